import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type Backend, createNpyWriter, type MatmulOptions, openNpy } from '@ftcal/core';
import {
  type BenchContext,
  describe,
  newCase,
  normDiff,
  recordRun,
  skipped,
  unavailable,
  withTiming,
} from '../context.ts';
import { pow10, randomMatrix } from '../data.ts';
import { externalTiming } from '../harness.ts';
import { cliPath, peerScript } from '../paths.ts';
import type { CpuMatmulPeer, MissingPeer } from '../peers/cpu-libraries.ts';
import type { Case, Run } from '../results.ts';

/**
 * ftcal's CPU matmul (the WebAssembly SIMD kernel on the worker pool) against NumPy's matmul (OpenBLAS) and
 * against the libraries it could have been built on (peers/cpu-libraries.ts), then `ftcal logits` as a
 * user runs it against a NumPy script doing the same (np.load, matmul + bias, np.save), each a fresh
 * process. The ratios are what issue 15 sets goals on: within 3× of NumPy at 1024³ and end to end at the
 * features → logits shape.
 */

interface Shape {
  m: number;
  n: number;
  k: number;
  transB: boolean;
  bias: boolean;
  why?: string;
}

function shapes(quick: boolean): Shape[] {
  if (quick) {
    return [
      { m: 256, n: 256, k: 256, transB: false, bias: false },
      { m: 1000, n: 100, k: 64, transB: true, bias: true, why: 'features→logits' },
    ];
  }
  return [
    { m: 1024, n: 1024, k: 1024, transB: false, bias: false },
    { m: 2048, n: 2048, k: 2048, transB: false, bias: false },
    { m: 10_000, n: 1000, k: 768, transB: true, bias: true, why: 'features→logits' },
  ];
}

function label(s: Shape): string {
  const extras = [s.transB ? 'Bᵀ' : '', s.bias ? '+bias' : '', s.why ?? ''].filter(Boolean).join(', ');
  return `${s.m}×${s.n}×${s.k}${extras ? ` (${extras})` : ''}`;
}

/** A contender of one matmul case: one timed call per round. */
interface Contender {
  impl: string;
  device: string;
  mode: Run['mode'];
  /** One timed call, in ms (warm-up calls excluded). */
  once(): Promise<number>;
  walls: number[];
  failed: string | null;
  check?: () => string | undefined;
}

/** A peer whose one call takes longer than this runs in the first round only. */
const SLOW_CALL_MS = 5_000;

/**
 * ftcal, NumPy and every candidate library, one call each per round, rounds alternated so that a
 * change in the machine's load (it is shared) falls on all of them alike; medians over the rounds.
 */
async function matmulCase(
  ctx: BenchContext,
  cpu: Backend,
  peers: (CpuMatmulPeer | MissingPeer)[],
  s: Shape,
): Promise<Case> {
  const flops = 2 * s.m * s.n * s.k;
  const c = newCase(ctx, 'cpu-matmul', 'CPU matmul', label(s), { m: s.m, n: s.n, k: s.k }, { flops });
  c.baseline = 'ftcal-cpu';
  const device = ctx.machine.cpu;
  if (flops > ctx.opts.maxFlops) {
    skipped(c, 'ftcal-cpu', device, 'in-process', `2·M·N·K over --max-flops ${ctx.opts.maxFlops}`);
    return c;
  }
  const a = randomMatrix(s.m * s.k, 1);
  const b = randomMatrix(s.k * s.n, 2);
  const options: MatmulOptions = { transB: s.transB };
  if (s.bias) options.bias = randomMatrix(s.n, 3);
  const timed = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  let reference: Float32Array | null = null;
  const contenders: Contender[] = [
    {
      impl: 'ftcal-cpu',
      device: `${device} (${cpu.name})`,
      mode: 'in-process',
      once: () =>
        timed(async () => {
          reference = await cpu.matmul(a, b, s.m, s.n, s.k, options);
        }),
      walls: [],
      failed: null,
    },
  ];
  const numpy = ctx.numpy;
  if (numpy) {
    const job = {
      id: c.label,
      op: 'matmul' as const,
      m: s.m,
      n: s.n,
      k: s.k,
      transB: s.transB,
      bias: s.bias,
    };
    contenders.push({
      impl: 'numpy',
      device: `${device} (NumPy ${numpy.version})`,
      mode: 'subprocess',
      // Timed inside Python after its own warm-up call (a fresh process per round).
      once: async () => {
        const [res] = await numpy.run([{ ...job, reps: 1, budget_ms: 0, warmup: 1 }]);
        if (!res?.wall_ms?.[0]) throw new Error(res?.error ?? 'no result');
        return res.wall_ms[0];
      },
      walls: [],
      failed: null,
    });
  }
  for (const peer of peers) {
    if (!('matmul' in peer)) {
      unavailable(c, peer.impl, device, 'in-process', peer.reason);
      continue;
    }
    let out: Float32Array | null = null;
    contenders.push({
      impl: peer.impl,
      device: `${device} (${peer.name} ${peer.version})`,
      mode: 'in-process',
      once: () =>
        timed(async () => {
          out = await peer.matmul(a, b, s.m, s.n, s.k, { transB: s.transB, bias: options.bias });
        }),
      walls: [],
      failed: null,
      check: () => (out && reference ? normDiff(out, reference) : undefined),
    });
  }
  const rounds = Math.max(1, ctx.opts.quick ? 3 : ctx.opts.reps);
  // Warm-up: one untimed call each (worker threads, compilation, first-touch memory).
  const warm = new Set<Contender>();
  for (let round = 0; round < rounds; round++) {
    for (const x of contenders) {
      if (x.failed || (round > 0 && x.walls.some((ms) => ms > SLOW_CALL_MS))) continue;
      try {
        if (!warm.has(x) && x.impl !== 'numpy') {
          const ms = await x.once();
          warm.add(x);
          // A call this slow is measured once, not warmed up first.
          if (ms > SLOW_CALL_MS) {
            x.walls.push(ms);
            continue;
          }
        }
        x.walls.push(await x.once());
      } catch (e) {
        x.failed = (e as Error).message.split('\n')[0]!;
      }
    }
  }
  for (const x of contenders) {
    const meta = { impl: x.impl, device: x.device, mode: x.mode };
    const run: Run = x.failed
      ? { ...meta, status: 'failed', note: x.failed }
      : withTiming(c, meta, externalTiming(x.walls, 1));
    const check = x.check?.();
    if (check && run.status === 'ok') run.check = check;
    recordRun(c, run);
    ctx.log(`  ${c.op} ${c.label} ${describe(run)}`);
  }
  return c;
}

/** Wall time of one process, start to exit; a non-zero exit is an error with its last stderr line. */
function timedProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else
        reject(
          new Error(`${path.basename(args[0] ?? command)} exited ${code}: ${err.trim().split('\n').at(-1)}`),
        );
    });
  });
}

async function writeNpy(file: string, rows: number, cols: number, seed: number): Promise<void> {
  const writer = await createNpyWriter(file, 'float32', cols === 1 ? [rows] : [rows, cols]);
  const step = Math.max(1, Math.floor(2 ** 22 / cols));
  for (let r = 0; r < rows; r += step)
    await writer.writeRows(randomMatrix(Math.min(step, rows - r) * cols, seed + r));
  await writer.commit();
}

async function readAll(file: string): Promise<Float32Array> {
  const src = await openNpy(file);
  try {
    return await src.readRows(0, src.rows);
  } finally {
    await src.close();
  }
}

/**
 * `ftcal logits --device cpu` and the NumPy script, alternated, each a fresh process reading the same .npy
 * files and writing its own; the median over the repetitions after one warm-up of each.
 */
async function logitsCase(ctx: BenchContext): Promise<Case> {
  const [rows, dim, classes] = ctx.opts.quick ? [2000, 256, 100] : [10_000, 768, 1000];
  const flops = 2 * rows * dim * classes;
  const c = newCase(
    ctx,
    'cpu-matmul',
    'ftcal logits (.npy → .npy, end to end)',
    `N=${pow10(rows)} D=${dim} C=${pow10(classes)}, with bias`,
    { rows, dim, classes },
    { flops },
  );
  c.baseline = 'ftcal-cli';
  const device = ctx.machine.cpu;
  const cli = cliPath();
  const script = peerScript('numpy_logits.py');
  if (!cli) {
    unavailable(
      c,
      'ftcal-cli',
      device,
      'subprocess',
      'packages/cli/dist/ftcal.mjs is missing: build the CLI first',
    );
    return c;
  }
  const dir = ctx.tmp;
  const [features, weights, bias] = ['features', 'weights', 'bias'].map((x) =>
    path.join(dir, `logits-${x}.npy`),
  );
  ctx.log(`  writing ${c.label} inputs to temporary .npy files`);
  await writeNpy(features!, rows, dim, 11);
  await writeNpy(weights!, classes, dim, 12);
  await writeNpy(bias!, classes, 1, 13);
  const outFtcal = path.join(dir, 'logits-ftcal.npy');
  const outNumpy = path.join(dir, 'logits-numpy.npy');
  const runners: { impl: string; note: string; run: () => Promise<number> }[] = [
    {
      impl: 'ftcal-cli',
      note: `node ${path.relative(process.cwd(), cli)} logits --device cpu`,
      run: () =>
        timedProcess(
          process.execPath,
          [
            cli,
            'logits',
            '--features',
            features!,
            '--weights',
            weights!,
            '--bias',
            bias!,
            '--out',
            outFtcal,
            '--device',
            'cpu',
          ],
          { ...process.env, FTCAL_PROGRESS: 'never' },
        ),
    },
  ];
  if (ctx.numpy && script) {
    runners.push({
      impl: 'numpy-script',
      note: `python3 numpy_logits.py (NumPy ${ctx.numpy.version}): np.load, f @ w.T + b, np.save`,
      run: () =>
        timedProcess(
          process.env.PYTHON ?? 'python3',
          [script, features!, weights!, bias!, outNumpy],
          process.env,
        ),
    });
  } else {
    unavailable(
      c,
      'numpy-script',
      device,
      'subprocess',
      ctx.numpy ? 'numpy_logits.py not found' : 'no NumPy',
    );
  }
  const reps = Math.max(3, ctx.opts.quick ? 3 : ctx.opts.reps);
  const walls = runners.map(() => [] as number[]);
  const failed = runners.map(() => null as string | null);
  for (let rep = -1; rep < reps; rep++) {
    for (const [i, r] of runners.entries()) {
      if (failed[i]) continue;
      try {
        const ms = await r.run();
        if (rep >= 0) walls[i]!.push(ms);
      } catch (e) {
        failed[i] = (e as Error).message;
      }
    }
  }
  for (const [i, r] of runners.entries()) {
    const meta = { impl: r.impl, device, mode: 'subprocess' as const, note: r.note };
    const run = failed[i]
      ? { ...meta, status: 'failed' as const, note: failed[i]! }
      : withTiming(c, meta, externalTiming(walls[i]!, 1));
    if (i > 0 && run.status === 'ok') run.check = normDiff(await readAll(outNumpy), await readAll(outFtcal));
    recordRun(c, run);
    ctx.log(`  ${c.op} ${describe(run)}`);
  }
  await Promise.all([features, weights, bias, outFtcal, outNumpy].map((f) => rm(f!, { force: true })));
  return c;
}

/** Appends each case as it finishes. */
export async function cpuMatmulSuite(
  ctx: BenchContext,
  cpu: Backend,
  peers: (CpuMatmulPeer | MissingPeer)[],
  cases: Case[] = [],
): Promise<Case[]> {
  ctx.log('cpu-matmul: ftcal CPU vs NumPy and the candidate libraries');
  for (const s of shapes(ctx.opts.quick)) cases.push(await matmulCase(ctx, cpu, peers, s));
  ctx.log('cpu-matmul: ftcal logits end to end');
  cases.push(await logitsCase(ctx));
  return cases;
}
