import type { AccumulatorJob, Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import { InputError } from '../../errors.ts';
import { accumulatorOf, addState } from '../accumulators.ts';
import { rowOutcomes } from '../accuracy.ts';
import type { ClassGroups } from '../groups.ts';
import { algTerms } from '../methods/alg.ts';
import { rowConfidence } from '../metrics.ts';
import type { AccumulatedState, DataStats } from '../stats.ts';
import { type BootstrapIntervals, bootstrapIntervals } from './bootstrap.ts';
import { type ClasswiseEce, classwiseJob, classwiseOf } from './classwise.ts';
import type { InputKind } from './input-kind.ts';
import { type TopKTable, topKJob, topKTable } from './topk.ts';

/**
 * The options of DESIGN.md §1.2 that evaluate and calibrate take beside their tables, and how the engine
 * runs them: top-k and classwise ECE as jobs of a pass over the logits at the operating point, the
 * bootstrap from the per-row statistics that pass kept.
 */
export interface MetricOptions {
  /** Also report top-k splits ("Y/Y@k" …) for this k ≥ 2. */
  topK?: number;
  /** Also report classwise ECE (a binning of all N·C probabilities). */
  classwise?: boolean;
  /** Bootstrap intervals ("ci") from this many replicates, seeded (default seed 0). */
  bootstrap?: { replicates: number; seed?: number };
  /** What the logits inputs hold (default 'logits': probabilities are refused). */
  inputKind?: InputKind;
}

/** What the metrics at one operating point add to its table. */
export interface PointExtras {
  topK: TopKTable;
  classwise: ClasswiseEce | null;
}

/** The pass jobs for the options' top-k and classwise ECE at bias γ (the pass's own T). */
export function extraJobs(options: MetricOptions, gamma: number, bins = 15): AccumulatorJob[] {
  const jobs: AccumulatorJob[] = [];
  if (options.classwise) jobs.push(classwiseJob(gamma, bins));
  if (options.topK !== undefined) jobs.push(topKJob(options.topK, gamma));
  return jobs;
}

/** Reads extraJobs' states (in that order) back into table entries and the classwise breakdown. */
export function extrasOf(
  states: readonly Float64Array[],
  options: MetricOptions,
  groups: ClassGroups,
  bins = 15,
): PointExtras {
  let at = 0;
  const classwise = options.classwise ? classwiseOf(states[at++]!, groups.codes, bins) : null;
  const topK = options.topK !== undefined ? topKTable(states[at++]!, options.topK) : {};
  return { topK, classwise };
}

/** The states of `jobs` from the jobs of a statistics pass (DataStats.accumulated) that ran them. */
export function statesOf(
  accumulated: readonly AccumulatedState[],
  jobs: readonly AccumulatorJob[],
): Float64Array[] {
  return jobs.map((job) => {
    const found = accumulated.find((a) => a.job === job);
    if (!found) throw new RangeError(`the pass did not run the ${job.name} job`);
    return found.state;
  });
}

function sameJob(a: AccumulatorJob, b: AccumulatorJob): boolean {
  if (a.name !== b.name) return false;
  const pa = a.params as Record<string, unknown>;
  const pb = b.params as Record<string, unknown>;
  const keys = Object.keys(pa);
  return keys.length === Object.keys(pb).length && keys.every((k) => Object.is(pa[k], pb[k]));
}

function describeJob(job: AccumulatorJob): string {
  const p = job.params as { k?: number; gamma?: number; bins?: number };
  const what = job.name === 'topK' ? `top-${p.k} accuracy` : `classwise ECE (${p.bins} bins)`;
  return `${what} at γ = ${p.gamma}`;
}

/**
 * The states of `jobs` from statistics taken before (a statistics file, merged shards): top-k and
 * classwise ECE merge only at the operating point the statistics pass ran them at (DESIGN.md §1.3), so a
 * job is found when the pass ran the same metric with the same parameters, and refused otherwise.
 */
export function heldStates(data: DataStats, jobs: readonly AccumulatorJob[]): Float64Array[] {
  return jobs.map((job) => {
    const found = data.accumulated.find((a) => sameJob(a.job, job));
    if (found) return found.state;
    const held = data.accumulated.map((a) => describeJob(a.job));
    const p = job.params as { k?: number; gamma: number };
    throw new InputError({
      code: 'unsupported',
      file: data.source,
      problem: `the statistics hold no ${describeJob(job)} (they hold ${held.length ? held.join(', ') : 'no metrics at an operating point'})`,
      fix: `take the statistics with {option} at γ = ${p.gamma} (and the same bins), or pass the logits`,
      option: job.name === 'topK' ? { name: 'topK', value: p.k! } : { name: 'classwise', value: true },
    });
  });
}

/**
 * `jobs` over the kept rows of `passes` at temperature T: one more read of the logits, for an operating
 * point chosen after the first pass (calibrate's chosen method).
 */
export async function accumulateOver(
  backend: Backend,
  passes: ResidentLogits,
  groups: ClassGroups,
  temperature: number,
  jobs: readonly AccumulatorJob[],
): Promise<Float64Array[]> {
  const states = jobs.map(
    (job) => new Float64Array(accumulatorOf(job).stateLength(job.params as never, passes.cols)),
  );
  await passes.forEach(async ({ z, rows, labels }) => {
    const pass = await backend.rowPass(z, rows, passes.cols, {
      groups: groups.codes,
      temperature,
      ...(labels && { labels }),
      accumulators: jobs,
    });
    pass.accumulated.forEach((s, j) => {
      addState(states[j]!, s);
    });
  });
  return states;
}

/**
 * Bootstrap intervals at (γ, T) for statistics taken at T: the accuracies at γ, AUSUC, NLL and ECE at
 * (γ, T), and γ of oracle, hmean and constrained (δ = maxSeenDrop) re-picked on each replicate's curve,
 * with alg re-fitted on the fitting set's statistics when given.
 */
export function bootstrapAt(
  backend: Backend,
  data: DataStats,
  gamma: number,
  options: {
    replicates: number;
    seed?: number;
    bins?: number;
    maxSeenDrop?: number;
    train?: DataStats | null;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<BootstrapIntervals> {
  return bootstrapIntervals(
    backend,
    {
      outcomes: rowOutcomes(data, 'bootstrap intervals'),
      gamma,
      temperature: data.temperature,
      point: rowConfidence(data, gamma),
      bins: options.bins ?? 15,
      picks: { oracle: true, hmean: true, constrained: options.maxSeenDrop ?? 1 },
      alg: options.train ? algTerms(options.train) : null,
    },
    {
      replicates: options.replicates,
      ...(options.seed !== undefined && { seed: options.seed }),
      ...(options.onProgress && { onProgress: options.onProgress }),
    },
  );
}
