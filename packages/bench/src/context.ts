import type { Backend, GpuContext, GpuPassTimer } from '@ftcal/core';
import type { BenchOptions } from './args.ts';
import { externalTiming, type Machine, type MeasureOptions, measure, type Timing } from './harness.ts';
import type { NumpyJob, NumpyPeer, NumpyResult } from './peers/numpy.ts';
import type { TfjsPeer } from './peers/tfjs.ts';
import type { Case, Run } from './results.ts';

/** Everything a suite needs: the backend under test, its peers, and the run's budget. */
export interface BenchContext {
  opts: BenchOptions;
  machine: Machine;
  /** ftcal on the chosen device. */
  main: Backend;
  mainImpl: 'ftcal-webgpu' | 'ftcal-cpu';
  mainDevice: string;
  /** The GPU the main backend runs on (null on the CPU path). */
  gpu: GpuContext | null;
  /** Counts (and, with timestamp queries, times) the main backend's compute passes. */
  timer: GpuPassTimer | null;
  /** The CPU twin as a peer; null when the main backend is the CPU twin itself. */
  twin: Backend | null;
  numpy: NumpyPeer | null;
  tfjs: TfjsPeer | null;
  /** Scratch folder for the NumPy peer's inputs and the end-to-end .npy files. */
  tmp: string;
  /** Pieces of ftcal that a benchmark needs and this build lacks (listed in the report). */
  missing: Set<string>;
  /** Every case so far, in order (the result document's): newCase adds to it. */
  cases: Case[];
  log(line: string): void;
}

let afterRun: (() => void) | null = null;

/**
 * Called after every run is added to a case: the runner writes the result document there, so a run
 * killed mid-way (SIGKILL, a device-tool limit) keeps every measurement made before it.
 */
export function onEveryRun(listener: (() => void) | null): void {
  afterRun = listener;
}

/** Adds `r` to `c`'s runs (every run goes through here) and lets the runner write what it has. */
export function recordRun(c: Case, r: Run): Run {
  c.runs.push(r);
  afterRun?.();
  return r;
}

export function budget(ctx: BenchContext, heavy = false): MeasureOptions {
  const reps = ctx.opts.reps;
  if (ctx.opts.quick) return { warmup: 1, reps, minReps: 1, budgetMs: heavy ? 200 : 400 };
  return { warmup: 1, reps, minReps: Math.min(reps, heavy ? 1 : 3), budgetMs: heavy ? 2_000 : 4_000 };
}

export interface Work {
  flops?: number;
  bytes?: number;
  rows?: number;
  keys?: number;
}

function throughputOf(work: Work, ms: number, basis: 'wall' | 'gpu'): Run['throughput'] {
  if (work.flops !== undefined) return { value: work.flops / (ms * 1e6), unit: 'GFLOP/s', basis };
  if (work.bytes !== undefined) return { value: work.bytes / (ms * 1e6), unit: 'GB/s', basis };
  if (work.rows !== undefined) return { value: work.rows / (ms * 1e3), unit: 'Mrows/s', basis };
  if (work.keys !== undefined) return { value: work.keys / (ms * 1e3), unit: 'Mkeys/s', basis };
  return undefined;
}

export function withTiming(c: Case, run: Omit<Run, 'status'>, timing: Timing): Run {
  const r: Run = {
    ...run,
    status: 'ok',
    timing,
    throughput: throughputOf(c.work, timing.wallMs.median, 'wall'),
  };
  if (timing.gpuMs) r.gpuThroughput = throughputOf(c.work, timing.gpuMs.median, 'gpu');
  return r;
}

/**
 * Measures one implementation of a case and appends its Run; a thrown error becomes a 'failed' run
 * with the message, so one broken peer does not end the suite. `run` returns its output so `check`
 * can compare it with ftcal's afterwards.
 */
export async function timeRun<T>(
  ctx: BenchContext,
  c: Case,
  meta: { impl: string; device: string; mode: Run['mode']; note?: string },
  run: () => Promise<T>,
  options: {
    heavy?: boolean;
    /** Warm-up calls; default 1 (0 suits long pure-CPU calls, where one warm-up doubles the cost). */
    warmup?: number;
    timer?: GpuPassTimer | null;
    check?: (out: T) => string | undefined;
  } = {},
): Promise<Run> {
  let last: T | undefined;
  let r: Run;
  try {
    const timing = await measure(
      async () => {
        last = await run();
      },
      {
        ...budget(ctx, options.heavy),
        ...(options.warmup !== undefined ? { warmup: options.warmup } : {}),
        timer: options.timer ?? null,
      },
    );
    r = withTiming(c, meta, timing);
    if (timing.passes === 0) {
      r = {
        ...meta,
        status: 'not available',
        note: `ran no compute pass on the GPU: this op still delegates to the CPU twin in this build`,
      };
    } else if (options.check && last !== undefined) {
      const check = options.check(last);
      if (check) r.check = check;
    }
  } catch (e) {
    r = { ...meta, status: 'failed', note: (e as Error).message.split('\n')[0] };
  }
  recordRun(c, r);
  ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
  return r;
}

export function describe(r: Run): string {
  const who = `${r.impl}${r.mode === 'resident' ? ' (resident)' : ''}`;
  if (r.status !== 'ok' || !r.timing) return `${who}: ${r.status}${r.note ? ` (${r.note})` : ''}`;
  const t = r.timing.wallMs;
  const tp = r.throughput ? `, ${r.throughput.value.toPrecision(3)} ${r.throughput.unit}` : '';
  return `${who}: ${fmtMs(t.median)} [${fmtMs(t.min)}–${fmtMs(t.max)}]${tp}`;
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function skipped(c: Case, impl: string, device: string, mode: Run['mode'], note: string): Run {
  return recordRun(c, { impl, device, mode, status: 'skipped', note });
}

export function unavailable(c: Case, impl: string, device: string, mode: Run['mode'], note: string): Run {
  return recordRun(c, { impl, device, mode, status: 'not available', note });
}

/**
 * The case of `op` at `label` in the result document: a new one (added to ctx.cases at once, so a run
 * stopped inside it still reports it), or the one a peer that ran first (PyTorch) opened, which then
 * takes ftcal's shape and work.
 */
export function newCase(
  ctx: BenchContext,
  suite: Case['suite'],
  op: string,
  label: string,
  shape: Record<string, number>,
  work: Work,
): Case {
  const known = ctx.cases.find((c) => c.suite === suite && c.op === op && c.label === label);
  if (known) return Object.assign(known, { shape, work, baseline: ctx.mainImpl });
  const c: Case = { suite, op, label, shape, work, baseline: ctx.mainImpl, runs: [] };
  ctx.cases.push(c);
  return c;
}

/**
 * Largest absolute difference over the largest magnitude of the reference: a normwise error that does not
 * blow up on entries near zero, where sums computed in another order legitimately differ most.
 */
export function normDiff(out: ArrayLike<number>, ref: ArrayLike<number>): string {
  if (out.length !== ref.length) return `length ${out.length} vs ${ref.length}`;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(out[i]! - ref[i]!);
    if (!(d <= diff)) diff = d;
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return `max |Δ| / max |ftcal| = ${(diff / (scale || 1)).toExponential(1)}`;
}

/** Largest relative difference, scaled by the larger magnitude (NaN pairs and equal infinities agree). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const d = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-30);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Runs one NumPy job (timed inside Python) and appends its Run; NumPy missing gives 'not available'. */
export async function numpyRun(
  ctx: BenchContext,
  c: Case,
  job: NumpyJob,
  options: {
    heavy?: boolean;
    warmup?: number;
    impl?: string;
    check?: (r: NumpyResult) => string | undefined;
  } = {},
): Promise<Run | null> {
  if (!ctx.numpy) return null;
  const b = {
    ...budget(ctx, options.heavy),
    ...(options.warmup !== undefined ? { warmup: options.warmup } : {}),
  };
  const meta = {
    impl: options.impl ?? 'numpy',
    device: `${ctx.machine.cpu} (NumPy ${ctx.numpy.version})`,
    mode: 'subprocess' as const,
  };
  let r: Run;
  try {
    const [res] = await ctx.numpy.run([
      { ...job, reps: b.reps, budget_ms: b.budgetMs, warmup: b.warmup ?? 1 },
    ]);
    if (!res?.wall_ms) throw new Error(res?.error ?? 'no result');
    r = withTiming(c, meta, externalTiming(res.wall_ms, b.warmup ?? 1));
    const check = options.check?.(res);
    if (check) r.check = check;
  } catch (e) {
    r = { ...meta, status: 'failed', note: (e as Error).message.split('\n')[0] };
  }
  recordRun(c, r);
  ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
  return r;
}
