import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
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
      const target = join(dir, 'taken');
      await writeFile(join(dir, 'keep'), '');
      const writer = await openAtomicWriter(target);
      await writer.write(Uint8Array.of(1));
      // The target becomes a non-empty directory while the data is written: the commit refuses it.
      await mkdir(target);
      await writeFile(join(target, 'inside'), 'x');
      await expect(writer.commit()).rejects.toThrow(/taken: is a directory, not a regular file/);
      expect((await readdir(dir)).sort()).toEqual(['keep', 'taken']);
    });
  });

  it('never renames over a pipe or a device: refused when opened, and when one appears before commit', async () => {
    await withTempDir(async (dir) => {
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      await expectInputError(
        openAtomicWriter(fifo),
        /fifo: is a named pipe, not a regular file; write to a file name/,
      );
      await expectInputError(
        openAtomicWriter(join(dir, 'null')).then(async (w) => {
          await w.write(Uint8Array.of(1));
          await symlink('/dev/null', join(dir, 'null'));
          await w.commit();
        }),
        /null: is a symbolic link, not a regular file/,
      );
      const late = join(dir, 'late');
      const writer = await openAtomicWriter(late);
      await writer.write(Uint8Array.of(1));
      execFileSync('mkfifo', [late]);
      await expectInputError(writer.commit(), /late: is a named pipe/);
      expect((await lstat(late)).isFIFO()).toBe(true);
      expect((await lstat(fifo)).isFIFO()).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['fifo', 'late', 'null']);
    });
  });

  it('writes through a symlink (also a dangling one): the link stays and points at the new content', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'real.json'), 'old');
      await symlink('real.json', join(dir, 'link.json'));
      await symlink('made.json', join(dir, 'dangling.json'));
      await writeFileAtomic(join(dir, 'link.json'), 'new');
      await writeFileAtomic(join(dir, 'dangling.json'), 'made');
      expect((await lstat(join(dir, 'link.json'))).isSymbolicLink()).toBe(true);
      expect(await readFile(join(dir, 'real.json'), 'utf8')).toBe('new');
      expect(await readFile(join(dir, 'made.json'), 'utf8')).toBe('made');
      await symlink('loop-b', join(dir, 'loop-a'));
      await symlink('loop-a', join(dir, 'loop-b'));
      await expectInputError(writeFileAtomic(join(dir, 'loop-a'), 'x'), /loop-a: too many symbolic links/);
    });
  });

  it('a name of 255 bytes (the limit) is written: the temp name is cut to fit beside it', async () => {
    await withTempDir(async (dir) => {
      for (const name of [`${'n'.repeat(250)}.json`, `${'é'.repeat(125)}.json`]) {
        const writer = await openAtomicWriter(join(dir, name));
        expect(Buffer.byteLength(basename(writer.tempPath))).toBeLessThanOrEqual(100);
        expect(basename(writer.tempPath)).toMatch(/^\.(n+|é+)\.tmp-\d+-[0-9a-f]{8}$/);
        await writer.write(Uint8Array.of(7));
        await writer.commit();
        expect([...(await readFile(join(dir, name)))]).toEqual([7]);
      }
      await expectInputError(writeFileAtomic(join(dir, `${'x'.repeat(256)}`), 'x'), /the name is too long/);
      expect((await readdir(dir)).length).toBe(2);
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
