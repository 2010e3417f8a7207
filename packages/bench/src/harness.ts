import os from 'node:os';
import type { GpuPassTimer } from '@ftcal/core';

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export interface Timing {
  warmup: number;
  reps: number;
  /** Wall time of one call, host to host, in milliseconds. */
  wallMs: Summary;
  /** Compute-pass time from timestamp queries, in ms; null where the adapter has no 'timestamp-query'. */
  gpuMs: Summary | null;
  /** Compute passes one call began on the GPU (null when it ran on no GPU). */
  passes: number | null;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the machine skews wall times. */
  loadAverage: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() || 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

export interface MeasureOptions {
  warmup?: number;
  /** Most repetitions. */
  reps: number;
  /** Fewest repetitions, even past the budget. */
  minReps?: number;
  /** Stop repeating once this much wall time has gone into repetitions (ms). */
  budgetMs: number;
  /** Times the compute passes of each call where the device has timestamp queries. */
  timer?: GpuPassTimer | null;
}

/**
 * Warm-up calls (pipeline compilation, first-touch allocation) and then repetitions until `reps`
 * or the time budget, whichever comes first; reports median and min–max, never a mean, so one
 * preempted run on a shared machine does not move the figure.
 */
export async function measure(run: () => Promise<unknown>, options: MeasureOptions): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const minReps = Math.min(options.minReps ?? 1, options.reps);
  const timer = options.timer ?? null;
  const once = async (): Promise<{ wall: number; gpu: number | null; passes: number | null }> => {
    if (!timer) {
      const t0 = performance.now();
      await run();
      return { wall: performance.now() - t0, gpu: null, passes: null };
    }
    let wall = 0;
    const timed = await timer.time(async () => {
      const t0 = performance.now();
      await run();
      wall = performance.now() - t0;
    });
    return { wall, gpu: timed.gpuMs, passes: timed.passes };
  };
  for (let i = 0; i < warmup; i++) await once();
  const walls: number[] = [];
  const gpus: number[] = [];
  let passes: number | null = null;
  let spent = 0;
  while (walls.length < options.reps && (walls.length < minReps || spent < options.budgetMs)) {
    const r = await once();
    walls.push(r.wall);
    if (r.gpu !== null) gpus.push(r.gpu);
    passes = r.passes;
    spent += r.wall;
  }
  return {
    warmup,
    reps: walls.length,
    wallMs: summarize(walls),
    gpuMs: gpus.length === walls.length ? summarize(gpus) : null,
    passes,
  };
}

/** A timing that another process measured (NumPy), in the same shape. */
export function externalTiming(wallMs: readonly number[], warmup: number): Timing {
  return { warmup, reps: wallMs.length, wallMs: summarize(wallMs), gpuMs: null, passes: null };
}
