import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { openAtomicWriter, writeFileAtomic } from '../../src/io/atomic.ts';
import { expectInputError, withTempDir } from './helpers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEMP_NAME = /^\.big\.npy\.tmp-\d+-[0-9a-f]{8}$/;

describe('atomic writes', () => {
  it('writes whole files and replaces existing ones', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'out.json');
      await writeFile(path, 'old');
      await writeFileAtomic(path, '{"new": true}');
      expect(await readFile(path, 'utf8')).toBe('{"new": true}');
      await writeFileAtomic(path, [Uint8Array.of(1, 2), Uint8Array.of(3)]);
      expect([...(await readFile(path))]).toEqual([1, 2, 3]);
      expect(await readdir(dir)).toEqual(['out.json']);
    });
  });

  it('abort leaves neither the target nor the temp file', async () => {
    await withTempDir(async (dir) => {
      const writer = await openAtomicWriter(join(dir, 'x.npy'));
      await writer.write(new Uint8Array(1000));
      expect(basename(writer.tempPath)).toMatch(/^\.x\.npy\.tmp-\d+-[0-9a-f]{8}$/);
      await writer.abort();
      await writer.abort();
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('a failed rename removes the temp file and reports the path', async () => {
    await withTempDir(async (dir) => {
      // The target is a non-empty directory: the rename fails after all data was written.
      const target = join(dir, 'taken');
      await writeFile(join(dir, 'keep'), '');
      await mkdir(target);
      await writeFile(join(target, 'inside'), 'x');
      const writer = await openAtomicWriter(target);
      await writer.write(Uint8Array.of(1));
      await expect(writer.commit()).rejects.toThrow(/taken/);
      expect((await readdir(dir)).sort()).toEqual(['keep', 'taken']);
    });
  });

  it('a missing directory is an InputError naming the file', async () => {
    await expectInputError(
      writeFileAtomic('/nonexistent-ftcal-dir/out.npy', 'x'),
      /out\.npy: no such file; check the path/,
    );
  });
});

describe('a writer killed midway', () => {
  let script = '';
  beforeAll(async () => {
    // Bundled outside the repo: the child needs only node builtins, and a crash leaves no stray file here.
    const bundleDir = await mkdtemp(join(tmpdir(), 'ftcal-atomic-child-'));
    script = join(bundleDir, 'child.mjs');
    await build({
      entryPoints: [join(HERE, 'atomic-child.ts')],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    return () => rm(bundleDir, { recursive: true, force: true });
  });

  function run(
    path: string,
    mode: 'kill' | 'commit',
  ): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<unknown> } {
    const child = spawn(process.execPath, [script, path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const firstLine = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', () => reject(new Error(`child exited before writing: ${out}`)));
    });
    const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    return { child, firstLine, exit };
  }

  it('leaves no file at the final path, only a clearly named temp file', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'big.npy');
      const { child, firstLine, exit } = run(path, 'kill');
      const line = await firstLine;
      expect(line).toMatch(/^writing /);
      // Data is on disk: the kill lands midway through a file of several MiB.
      expect((await stat(line.slice('writing '.length))).size).toBeGreaterThanOrEqual(3 << 20);
      child.kill('SIGKILL');
      expect(await exit).toBe('SIGKILL');
      const left = await readdir(dir);
      expect(left).not.toContain('big.npy');
      for (const name of left) expect(name).toMatch(TEMP_NAME);
    });
  });

  it('the same writer left alone commits the whole file (the kill is what made the difference)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'big.npy');
      const { firstLine, exit } = run(path, 'commit');
      firstLine.catch(() => {});
      expect(await exit).toBe(0);
      expect(await readdir(dir)).toEqual(['big.npy']);
      expect((await stat(path)).size).toBe(4 << 20);
    });
  });
});
