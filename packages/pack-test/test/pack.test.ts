import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '../../../tools/chromium.ts';
import { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';

/**
 * DESIGN.md §5: the library as a user installs it. The packed tarballs of @ftcal/kernels and @ftcal/core
 * are installed with plain npm (and `webgpu` beside them) into a directory outside the workspace; then a
 * Node script, a TypeScript file and a page bundled for the browser use that install, and the page runs
 * in headless Chromium on navigator.gpu (SwiftShader) and on the CPU backend. Every run evaluates and
 * calibrates examples/toy; the tables must agree with the Node CPU run. DEVELOPERS.md says how to run it.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');
const toy = join(repo, 'examples/toy');
const consumer = join(here, '../consumer');
const requireGpu = process.env.FTCAL_REQUIRE_GPU === '1';
/** SwiftShader's Vulkan driver as Debian's chromium package installs it (scripts/setup.sh). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The child's environment without the outer pnpm's npm_* settings, which would steer the inner npm. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface RunResult {
  backend: string;
  evaluate: { rows: number; table: Record<string, Json> };
  calibrate: { method: string; gamma: number; before: Record<string, Json>; after: Record<string, Json> };
  fingerprints: { sha256: string }[];
  applied: number[];
  deviceAliveAfterDispose?: boolean;
  lines?: string[];
}

/** What every run must give identically on any backend: accuracies, AUSUC, curve picks, fingerprints. */
const EXACT_KEY = /^(Y\/Y|S\/Y|U\/Y|S\/S|U\/U|H|ausuc|rows|method|sha256|source|scope|edgeRows|cols)$/;

/**
 * Compares two results number by number: keys in EXACT_KEY (and everything when `tolerance` is 0) must be
 * equal; other numbers (NLL, ECE, Brier, alg's γ from f32 GPU sums) within `tolerance` relative.
 */
function expectSameResult(got: Json, want: Json, tolerance: number, path = '$', key = ''): void {
  if (typeof want === 'number' && typeof got === 'number') {
    if (Object.is(got, want)) return;
    const exact = tolerance === 0 || EXACT_KEY.test(key);
    const scale = Math.max(Math.abs(want), 1e-6);
    if (exact || !(Math.abs(got - want) <= tolerance * scale)) {
      throw new Error(
        `${path}: ${got} vs ${want}${exact ? ' (must be equal)' : ` (over ${tolerance} relative)`}`,
      );
    }
    return;
  }
  if (Array.isArray(want)) {
    expect(Array.isArray(got), path).toBe(true);
    expect((got as Json[]).length, `${path}.length`).toBe(want.length);
    for (const [i, w] of want.entries())
      expectSameResult((got as Json[])[i]!, w, tolerance, `${path}[${i}]`, key);
    return;
  }
  if (want !== null && typeof want === 'object') {
    expect(got !== null && typeof got === 'object', path).toBe(true);
    const g = got as Record<string, Json>;
    expect(Object.keys(g).sort(), path).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expectSameResult(g[k]!, want[k]!, tolerance, `${path}.${k}`, k);
    return;
  }
  expect(got, path).toEqual(want);
}

/** A result without what names the backend or logs: the numbers the platforms must share. */
const numbers = ({ backend: _b, lines: _l, deviceAliveAfterDispose: _d, ...rest }: RunResult) => rest as Json;

describe('@ftcal/core installed from its packed tarball with plain npm', () => {
  let dir = '';
  let app = '';
  let tarballs: string[] = [];
  let nodeCpu: RunResult;

  beforeAll(() => {
    return (async () => {
      dir = await mkdtemp(join(tmpdir(), 'ftcal-pack-'));
      app = join(dir, 'app');
      mkdirSync(app);
      for (const pkg of ['kernels', 'core']) {
        sh('pnpm', ['pack', '--pack-destination', dir], join(repo, 'packages', pkg));
      }
      tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'ftcal-consumer', private: true, type: 'module' }),
      );
      for (const f of readdirSync(consumer)) copyFileSync(join(consumer, f), join(app, f));
      sh(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--loglevel=error',
          ...tarballs.map((t) => join(dir, t)),
          'webgpu@0.6.2',
          // For the Node program's typecheck, as a TypeScript user in Node has them.
          '@types/node@20',
          '@webgpu/types@0.1.74',
        ],
        app,
      );
    })();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('packs dist, README and LICENSE only, with resolved dependency ranges', () => {
    expect(tarballs.sort()).toEqual(['ftcal-core-0.2.0.tgz', 'ftcal-kernels-0.2.0.tgz']);
    for (const t of tarballs) {
      const entries = sh('tar', ['-tzf', join(dir, t)], dir)
        .trim()
        .split('\n');
      for (const e of entries) expect(e).toMatch(/^package\/(dist\/.+|package\.json|README\.md|LICENSE)$/);
      expect(entries).toContain('package/LICENSE');
      expect(entries).toContain('package/dist/types/index.d.ts');
    }
    const core = join(app, 'node_modules/@ftcal/core');
    for (const f of ['node.js', 'browser.js', 'cpu-worker.js'])
      expect(existsSync(join(core, 'dist', f)), f).toBe(true);
    const manifest = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8'));
    expect(manifest.version).toBe('0.2.0');
    expect(manifest.dependencies['@ftcal/kernels']).toBe('^0.2.0');
    expect(JSON.stringify(manifest)).not.toMatch(/workspace:/);
    // #platform is resolved when the bundles are built; nothing installed may still import it.
    for (const f of ['node.js', 'browser.js', 'cpu-worker.js']) {
      expect(readFileSync(join(core, 'dist', f), 'utf8')).not.toMatch(/from ["']#platform/);
    }
  });

  const runNode = (mode: 'cpu' | 'gpu' | 'device', adapter = 'llvmpipe') =>
    JSON.parse(
      sh(process.execPath, ['run.mjs', toy, mode, adapter], app, {
        ...cleanEnv,
        FTCAL_CPU_THREADS: '2',
        FTCAL_ADAPTER: adapter,
        // A program making its own device on SwiftShader points Vulkan at its driver (DEVELOPERS.md).
        ...(mode === 'device' && adapter === 'swiftshader' && { VK_ICD_FILENAMES: SWIFTSHADER_ICD }),
      }),
    ) as RunResult;

  it('a Node script evaluates and calibrates examples/toy on the CPU backend', () => {
    nodeCpu = runNode('cpu');
    expect(nodeCpu.backend).toBe('cpu (TypeScript, WebAssembly SIMD matmul, 2 threads)');
    expect(nodeCpu.evaluate.rows).toBe(1000);
    expect(nodeCpu.calibrate.method).toBe('oracle');
    expect(nodeCpu.calibrate.after['U/Y']).toBeGreaterThan(nodeCpu.calibrate.before['U/Y'] as number);
    expect(nodeCpu.fingerprints[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  let nodeMatmul: number[] = [];
  it("a Node script runs the CPU backend's matmul (its WebAssembly kernel, on worker threads)", () => {
    const script =
      "import * as core from '@ftcal/core'; import { cpuMatmul } from './workload.mjs'; console.log(JSON.stringify(await cpuMatmul(core)));";
    nodeMatmul = JSON.parse(
      sh(process.execPath, ['--input-type=module', '-e', script], app, {
        ...cleanEnv,
        FTCAL_CPU_THREADS: '2',
      }),
    );
    expect(nodeMatmul).toHaveLength(601 * 29);
    expect(nodeMatmul.every(Number.isFinite)).toBe(true);
  });

  describe.each(
    TEST_ADAPTERS.flatMap((adapter) => (['gpu', 'device'] as const).map((mode) => [adapter, mode] as const)),
  )('a Node script on %s (%s)', (adapter, mode) => {
    it('gives the CPU run’s tables', (ctx) => {
      let r: RunResult;
      try {
        r = runNode(mode, adapter);
      } catch (e) {
        if (!requireGpu && /no WebGPU adapter|no (OpenGL ES|Vulkan) adapter/.test(String(e)))
          return ctx.skip();
        throw e;
      }
      expect(r.backend).toMatch(new RegExp(`^webgpu \\(.*${adapter}`, 'i'));
      expectSameResult(numbers(r), numbers(nodeCpu), 1e-4);
      if (mode === 'device') expect(r.deviceAliveAfterDispose).toBe(true);
    });
  });

  it('a TypeScript file typechecks against the installed .d.ts, for the browser and for Node', () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const strict = { strict: true, noEmit: true, target: 'es2022' };
    for (const [name, options] of [
      // A page: Blob, File and WebGPU's types from TypeScript's DOM lib, and no types packages, so core's
      // .d.ts are checked too (no skipLibCheck) and may name nothing from Node.
      [
        'browser',
        {
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['es2023', 'dom'],
          types: [],
          skipLibCheck: false,
        },
      ],
      // A Node program: Blob and File from @types/node, WebGPU from @webgpu/types (whose own .d.ts need the
      // DOM lib, hence skipLibCheck, as Node projects with it set).
      [
        'node',
        {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2023'],
          types: ['node', '@webgpu/types'],
          skipLibCheck: true,
        },
      ],
    ] as const) {
      const config = join(app, `tsconfig.${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({ compilerOptions: { ...strict, ...options }, files: ['check.ts'] }),
      );
      sh(process.execPath, [tsc, '-p', config], app);
    }
  });

  describe('a page bundled from the install for the browser', () => {
    let context: BrowserContext | undefined;
    let page: import('playwright-core').Page;
    const problems: string[] = [];

    it('bundles with esbuild --platform=browser, which refuses node: built-ins', async () => {
      const options = {
        bundle: true,
        platform: 'browser',
        format: 'esm',
        absWorkingDir: app,
        logLevel: 'silent',
      } as const;
      await build({ ...options, entryPoints: ['page.mjs'], outfile: join(app, 'page.js') });
      const bundle = readFileSync(join(app, 'page.js'), 'utf8');
      expect(bundle).not.toMatch(/from ["'](node:|webgpu["'])/);
      // The guard the build relies on: a node: built-in anywhere in the graph fails the bundle.
      writeFileSync(join(app, 'uses-node.mjs'), "import '@ftcal/core';\nimport 'node:fs';\n");
      await expect(build({ ...options, entryPoints: ['uses-node.mjs'], write: false })).rejects.toThrow(
        /Could not resolve "node:fs"/,
      );
    });

    it('opens in headless Chromium with WebGPU', async (ctx) => {
      if (!haveChromium()) return ctx.skip();
      context = await chromium.launchPersistentContext(join(dir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_FLAGS,
      });
      page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      // http://localhost is a secure context, which navigator.gpu needs; every request is answered here.
      await page.route('http://localhost:4173/**', (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path === '/') {
          return route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><script type="module" src="/page.js"></script>',
          });
        }
        if (path === '/page.js')
          return route.fulfill({ contentType: 'text/javascript', path: join(app, 'page.js') });
        const name = path.replace(/^\/toy\//, '');
        if (path.startsWith('/toy/') && /^[\w.-]+$/.test(name))
          return route.fulfill({ path: join(toy, name) });
        return route.fulfill({ status: 404 });
      });
      await page.goto('http://localhost:4173/');
      await page.waitForFunction(() => 'runFtcal' in globalThis);
      expect(
        await page.evaluate(() => 'gpu' in (globalThis as unknown as { navigator: object }).navigator),
      ).toBe(true);
    });

    const inPage = (mode: string) =>
      page.evaluate(
        (m) => (globalThis as unknown as { runFtcal(m: string): Promise<RunResult> }).runFtcal(m),
        mode,
      );

    it('on the CPU backend gives the Node run’s tables (sums within a few ulps: another V8)', async (ctx) => {
      if (!context) return ctx.skip();
      const r = await inPage('cpu');
      expect(r.backend).toBe('cpu (TypeScript, WebAssembly SIMD matmul, 1 thread)');
      expectSameResult(numbers(r), numbers(nodeCpu), 1e-13);
      expect(problems).toEqual([]);
    });

    it.for(['gpu', 'device'])(
      'on navigator.gpu (SwiftShader, %s) gives the same tables',
      async (mode, ctx) => {
        if (!context) return ctx.skip();
        const r = await inPage(mode);
        expect(r.backend).toMatch(/^webgpu \(/);
        expect(r.lines?.[0]).toMatch(
          mode === 'device' ? /\(the caller's device\)$/ : /software adapter, asked for with device: 'gpu'/,
        );
        expectSameResult(numbers(r), numbers(nodeCpu), 1e-4);
        if (mode === 'device') expect(r.deviceAliveAfterDispose).toBe(true);
        expect(problems).toEqual([]);
      },
    );

    it("runs the CPU backend's matmul in the page bit for bit as Node's worker threads do", async (ctx) => {
      if (!context) return ctx.skip();
      const got = await page.evaluate(() =>
        (globalThis as unknown as { matmulFtcal(): Promise<number[]> }).matmulFtcal(),
      );
      expect(got).toHaveLength(nodeMatmul.length);
      const differ = got.findIndex((v, i) => !Object.is(v, nodeMatmul[i]));
      expect(differ, `first different value at ${differ}`).toBe(-1);
    });

    it('keeps auto off a software adapter, and says a path and worker threads need Node', async (ctx) => {
      if (!context) return ctx.skip();
      const probe = await page.evaluate(() =>
        (globalThis as unknown as { probeFtcal(): Promise<Record<string, unknown>> }).probeFtcal(),
      );
      expect(probe.auto).toEqual({
        chosen: 'cpu',
        summary: expect.stringMatching(/^ftcal: using the CPU backend \(only a software adapter was found/),
      });
      expect(probe.path).toEqual({
        name: 'InputError',
        code: 'file-access',
        message: expect.stringMatching(/^logits\.npy: a path cannot be read in a browser/),
      });
      expect(probe.threads).toBe(1);
      expect(probe.twoThreads).toEqual({
        name: 'InputError',
        message: expect.stringMatching(
          /^2 CPU threads were asked for, but this platform has no worker threads; .*threads: 1/,
        ),
      });
    });

    afterAll(async () => {
      await context?.close();
    });
  });
});
