import { GROUP_ABSENT, GROUP_SEEN } from '@ftcal/kernels';
import type { AccumulatorJob, RowMoments, RowStats } from '../backend/backend.ts';
import { accumulatorOf, type ChunkRows } from '../calib/accumulators.ts';

/**
 * The fused row pass (DESIGN.md §1 row statistics, plus what the engine needs beside them), as one row-range
 * kernel: the CPU twin of rowStats, the CPU backend's rowPass, and the host half of WebGPU's rowPass. Each
 * logit is loaded once per sweep and the row stays in L1 between the two sweeps: the first takes the group
 * maxima with their arguments, the finite counts, sums and sums of squares (the moments) and spots NaN or
 * +Infinity; the second sums exp(z/T − max) and its square for the log-sum-exps. Classes are visited as runs
 * of one group (a head's S and U are usually two ranges), so the inner loops read no group code.
 */

const NEG_INF = Number.NEGATIVE_INFINITY;
const POS_INF = Number.POSITIVE_INFINITY;

/** exp(x) is below the smallest float64 (it rounds to 0) for x ≤ EXP_MIN. */
const EXP_MIN = -745;
/** exp(−k/64) for k = 0 … 64·745. */
const EXP_TABLE = Float64Array.from({ length: 64 * 745 + 1 }, (_, k) => Math.exp(-k / 64));

/**
 * exp(x) for EXP_MIN < x ≤ 0 as exp(−k/64)·exp(r), r = x + k/64 in (−1/64, 0], exp(r) by its Taylor
 * polynomial of degree 6 (truncation below 3e-17): relative error under 1e-15 down to exp(−708) (results
 * in the subnormal range lose digits; below EXP_MIN it is 0), about four times faster than Math.exp in V8,
 * which dominated the pass. Written out where it is used; this copy is for tests.
 */
export function expNonPositive(x: number): number {
  if (!(x > EXP_MIN)) return 0;
  const k = (x * -64) | 0;
  const r = x + k * 0.015625;
  return (
    EXP_TABLE[k]! * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))))))
  );
}

/** Runs of consecutive classes in one group, as (first, end, code) triples in column order. */
export function groupRuns(groups: Uint32Array): Int32Array {
  const out: number[] = [];
  for (let c = 0; c < groups.length; ) {
    const g = groups[c]!;
    let e = c + 1;
    while (e < groups.length && groups[e] === g) e++;
    out.push(c, e, g === GROUP_SEEN ? 0 : g === GROUP_ABSENT ? 1 : 2);
    c = e;
  }
  return Int32Array.from(out);
}

/** One accumulator job in a kernel call: states for `starts.length` tasks, task i starting at row starts[i]. */
export interface AccumulatorTask {
  job: AccumulatorJob;
  length: number;
  starts: Int32Array;
  states: Float64Array;
}

export type StatColumns = Omit<RowStats, 'rows'>;
export type MomentColumns = Omit<RowMoments, 'rows'>;

/** rowPassRows for rows [r0, r1); in the pool every array is a view of a SharedArrayBuffer. */
export interface RowPassRowsArgs {
  z: Float32Array;
  cols: number;
  groups: Uint32Array;
  /** groupRuns(groups). */
  runs: Int32Array;
  labels: Int32Array | null;
  /** fround(1 / T), as every twin computes it. */
  invT: number;
  /** False when `stats` already holds the device's statistics: then only marks, moments, accumulators. */
  computeStats: boolean;
  stats: StatColumns;
  moments: MomentColumns | null;
  keep: Uint8Array | null;
  accumulators: readonly AccumulatorTask[];
}

// Per-group scratch of the first sweep, by group 0 (S), 1 (U), 2 (O): max, arg, count, sum, sum of squares.
const G_MAX = 0;
const G_ARG = 3;
const G_COUNT = 6;
const G_SUM = 9;
const G_SQ = 12;

export function rowPassRows(a: RowPassRowsArgs, r0: number, r1: number): void {
  const f = Math.fround;
  const { z, cols, runs, labels, invT, computeStats, stats, moments, keep } = a;
  const nRuns = runs.length / 3;
  const g = new Float64Array(15);
  const chunk: ChunkRows = { z, cols, groups: a.groups, labels, invT, stats };
  const tasks = a.accumulators.map((t) => {
    let i = t.starts.length - 1;
    while (i > 0 && t.starts[i]! > r0) i--;
    return {
      acc: accumulatorOf(t.job),
      params: t.job.params,
      state: t.states.subarray(i * t.length, (i + 1) * t.length),
    };
  });
  const table = EXP_TABLE;
  const classesS = classesIn(runs, 0);
  const classesU = classesIn(runs, 1);
  for (let r = r0; r < r1; r++) {
    const base = r * cols;
    g.fill(0);
    g[0] = g[1] = g[2] = NEG_INF;
    g[3] = g[4] = g[5] = -1;
    let bad = false;
    for (let k = 0; k < nRuns; k++) {
      const c0 = runs[3 * k]!;
      const c1 = runs[3 * k + 1]!;
      const gi = runs[3 * k + 2]!;
      let m = NEG_INF;
      let am = -1;
      let n = g[G_COUNT + gi]!;
      let s = g[G_SUM + gi]!;
      let q = g[G_SQ + gi]!;
      for (let c = base + c0, end = base + c1; c < end; c++) {
        const v = z[c]!;
        if (v > m) {
          m = v;
          am = c;
        }
        if (v > NEG_INF) {
          n++;
          s += v;
          q += v * v;
        }
        if (!(v < POS_INF)) bad = true;
      }
      g[G_COUNT + gi] = n;
      g[G_SUM + gi] = s;
      g[G_SQ + gi] = q;
      // Every value -Infinity (or NaN): the run's first class stands for it, as the lowest index.
      const arg = am < 0 ? c0 : am - base;
      // Runs come in column order, so only a strictly larger maximum moves a group's argument.
      if (g[G_ARG + gi]! < 0 || m > g[G_MAX + gi]!) {
        g[G_MAX + gi] = m;
        g[G_ARG + gi] = arg;
      }
    }
    if (computeStats) {
      const maxS = g[0]!;
      const argS = g[3]!;
      const maxU = g[1]!;
      const argU = g[4]!;
      // S∪O: the larger maximum, or on a tie (or both empty of finite values) the lower index.
      let maxSO = maxS;
      let argSO = argS;
      const argO = g[5]!;
      if (argO >= 0 && (argSO < 0 || g[2]! > maxSO || (g[2] === maxSO && argO < argSO))) {
        maxSO = g[2]!;
        argSO = argO;
      }
      const mSO = f(maxSO * invT);
      const mU = f(maxU * invT);
      let eSO = 0;
      let e2SO = 0;
      let eU = 0;
      let e2U = 0;
      if (mSO !== NEG_INF || mU !== NEG_INF) {
        for (let k = 0; k < nRuns; k++) {
          const inU = runs[3 * k + 2] === 1;
          const mg = inU ? mU : mSO;
          if (mg === NEG_INF) continue;
          let e1 = 0;
          let e2 = 0;
          const end = base + runs[3 * k + 1]!;
          if (invT === 1) {
            for (let c = base + runs[3 * k]!; c < end; c++) {
              const x = z[c]! - mg;
              if (x > EXP_MIN) {
                const j = (x * -64) | 0;
                const t = x + j * 0.015625;
                const e =
                  table[j]! *
                  (1 +
                    t *
                      (1 +
                        t *
                          (0.5 +
                            t *
                              (0.16666666666666666 +
                                t *
                                  (0.041666666666666664 +
                                    t * (0.008333333333333333 + t * 0.001388888888888889))))));
                e1 += e;
                e2 += e * e;
              }
            }
          } else {
            for (let c = base + runs[3 * k]!; c < end; c++) {
              const x = f(z[c]! * invT) - mg;
              if (x > EXP_MIN) {
                const j = (x * -64) | 0;
                const t = x + j * 0.015625;
                const e =
                  table[j]! *
                  (1 +
                    t *
                      (1 +
                        t *
                          (0.5 +
                            t *
                              (0.16666666666666666 +
                                t *
                                  (0.041666666666666664 +
                                    t * (0.008333333333333333 + t * 0.001388888888888889))))));
                e1 += e;
                e2 += e * e;
              }
            }
          }
          if (inU) {
            eU += e1;
            e2U += e2;
          } else {
            eSO += e1;
            e2SO += e2;
          }
        }
      }
      stats.maxSO[r] = maxSO;
      stats.argSO[r] = argSO;
      stats.maxU[r] = maxU;
      stats.argU[r] = argU;
      stats.maxS[r] = maxS;
      stats.argS[r] = argS;
      // Sums over a group include its -Infinity logits, as the GPU kernel's do.
      stats.sumS[r] = g[G_COUNT]! < classesS ? NEG_INF : g[G_SUM]!;
      stats.sumU[r] = g[G_COUNT + 1]! < classesU ? NEG_INF : g[G_SUM + 1]!;
      stats.lseSO[r] = mSO === NEG_INF ? NEG_INF : mSO + Math.log(eSO);
      stats.lseU[r] = mU === NEG_INF ? NEG_INF : mU + Math.log(eU);
      stats.logSqSO[r] = mSO === NEG_INF ? NEG_INF : Math.log(e2SO) - 2 * Math.log(eSO);
      stats.logSqU[r] = mU === NEG_INF ? NEG_INF : Math.log(e2U) - 2 * Math.log(eU);
      const y = labels ? labels[r]! : -1;
      stats.label[r] = y >= 0 && y < cols ? z[base + y]! : Number.NaN;
    }
    if (bad) stats.lseSO[r] = Number.NaN;
    if (moments) {
      moments.countS[r] = g[G_COUNT]!;
      moments.countU[r] = g[G_COUNT + 1]!;
      moments.countO[r] = g[G_COUNT + 2]!;
      moments.sumS[r] = g[G_SUM]!;
      moments.sumU[r] = g[G_SUM + 1]!;
      moments.sumO[r] = g[G_SUM + 2]!;
      moments.sumSqS[r] = g[G_SQ]!;
      moments.sumSqU[r] = g[G_SQ + 1]!;
      moments.sumSqO[r] = g[G_SQ + 2]!;
    }
    if (bad || (keep && !keep[r])) continue;
    for (const t of tasks) t.acc.addRow(t.state, t.params, chunk, r);
  }
}

/** Classes in group gi (0 S, 1 U, 2 O) over all runs. */
function classesIn(runs: Int32Array, gi: number): number {
  let n = 0;
  for (let k = 0; k < runs.length; k += 3) if (runs[k + 2] === gi) n += runs[k + 1]! - runs[k]!;
  return n;
}

/** Accumulator states of one job for `tasks` tasks starting at rows `starts`, in `alloc`ated memory. */
export function accumulatorTask(
  job: AccumulatorJob,
  cols: number,
  starts: readonly number[],
  alloc: (n: number) => Float64Array = (n) => new Float64Array(n),
): AccumulatorTask {
  const length = accumulatorOf(job).stateLength(job.params as never, cols);
  return { job, length, starts: Int32Array.from(starts), states: alloc(length * starts.length) };
}

/** The sum of a task's per-range states, in range order. */
export function summedState(t: AccumulatorTask, into = new Float64Array(t.length)): Float64Array {
  for (let i = 0; i < t.starts.length; i++) {
    for (let w = 0; w < t.length; w++) into[w]! += t.states[i * t.length + w]!;
  }
  return into;
}
