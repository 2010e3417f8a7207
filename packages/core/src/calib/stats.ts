import type { AccumulatorJob, Backend, RowMoments, RowStats } from '../backend/backend.ts';
import { compactColumns, copyColumns } from '../cpu/columns.ts';
import { emptyRowMoments, emptyRowStats } from '../cpu/row-stats.ts';
import { InputError } from '../errors.ts';
import { arraySource, type RowSource, rowChunks } from '../io/row-source.ts';
import { accumulatorOf, addState } from './accumulators.ts';
import { type ClassGroups, checkLabels } from './groups.ts';
import { checkOption } from './option-checks.ts';

/** What to do with a row holding NaN or +Infinity: fail (default) or drop it and count it. */
export type NanPolicy = 'error' | 'skip';

export interface StatsOptions {
  groups: ClassGroups;
  /** One label per source row. Needed for every accuracy; omit for unlabelled data. */
  labels?: Int32Array;
  /** Temperature of the log-sum-exps in the statistics. Default 1. */
  temperature?: number;
  /** Rows per chunk sent to the backend. Default: about 16 Mi values per chunk. */
  chunkRows?: number;
  nanPolicy?: NanPolicy;
  /** Drop rows labelled in O instead of failing (DESIGN.md §1 `--allow-other-labels`). */
  allowOtherLabels?: boolean;
  /** Chunk accumulators (calib/accumulators.ts) to run in the same pass; their states land in `accumulated`. */
  accumulators?: readonly AccumulatorJob[];
  /** Called after each chunk with the source rows processed so far and the total. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/** The state of one chunk accumulator summed over every kept row. */
export interface AccumulatedState {
  job: AccumulatorJob;
  state: Float64Array;
}

/**
 * Per-row statistics of a whole data set, kept instead of its logits: everything evaluate, curve and the
 * non-iterative methods need (DESIGN.md §1.3), and what a statistics file holds. Rows dropped by the NaN
 * policy or for a label in O are absent from `stats`, `moments` and `labels`; `keep` maps source rows to
 * kept ones.
 */
export interface DataStats {
  source: string;
  cols: number;
  /** Rows in the source. */
  sourceRows: number;
  /** Rows kept (= stats.rows). */
  rows: number;
  groups: ClassGroups;
  temperature: number;
  stats: RowStats;
  /** Logit moments of each kept row, for the diagnostics. */
  moments: RowMoments;
  /** Labels of the kept rows, or null for unlabelled data. */
  labels: Int32Array | null;
  /** 1 per kept source row; null when every row was kept. */
  keep: Uint8Array | null;
  dropped: { nonFinite: number; otherLabel: number };
  /** One state per StatsOptions.accumulators job, in that order. */
  accumulated: AccumulatedState[];
}

const VALUES_PER_CHUNK = 16 * 1024 * 1024;

/** Rows per chunk: the caller's `chunkRows` (checked), else about 16 Mi values per chunk. */
export function chunkRowsFor(cols: number, chunkRows?: number): number {
  if (chunkRows === undefined) return Math.max(1, Math.floor(VALUES_PER_CHUNK / Math.max(1, cols)));
  checkOption(chunkRows, 'chunkRows', 'rows per chunk', 'chunkRows');
  return chunkRows;
}

/** Index of the first row in [0, rows) holding NaN or +Infinity, scanning from `from`; -1 if none. */
function nextBadRow(data: Float32Array, cols: number, from: number, rows: number): number {
  for (let r = from; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      // -Infinity is a legal logit (a masked class); +Infinity and NaN are not.
      if (!(data[base + c]! < Number.POSITIVE_INFINITY)) return r;
    }
  }
  return -1;
}

function compactLabels(labels: Int32Array, keep: Uint8Array | null): Int32Array {
  if (!keep) return labels;
  return labels.filter((_, r) => keep[r] === 1);
}

/**
 * The one read of a data set (DESIGN.md §2): streams a RowSource chunk by chunk through `backend.rowPass`
 * and keeps only the per-row statistics, moments and labels (and the accumulators' states); the logits are
 * dropped as each chunk is done. NaN or +Infinity in a row is an InputError naming how many rows and the
 * first one, unless nanPolicy is 'skip' (those rows are dropped and counted); -Infinity is a legal logit.
 * Labels are checked by `checkLabels` (out of range: error; in O: error or dropped).
 */
export async function accumulateStats(
  backend: Backend,
  source: RowSource,
  options: StatsOptions,
): Promise<DataStats> {
  const { groups, labels } = options;
  const cols = source.cols;
  if (cols !== groups.numClasses) {
    throw new InputError({
      code: 'shape',
      file: source.name,
      problem: `${cols} logits per row but the class groups have ${groups.numClasses} classes`,
      fix: "use the groups of this model's head",
    });
  }
  if (labels && labels.length !== source.rows) {
    throw new InputError({
      code: 'shape',
      file: source.name,
      problem: `${source.rows} rows of logits but ${labels.length} labels`,
      fix: 'pass the labels of the same rows',
    });
  }
  const temperature = options.temperature ?? 1;
  const nanPolicy = options.nanPolicy ?? 'error';
  const labelCheck = labels
    ? checkLabels(labels, groups, {
        allowOtherLabels: options.allowOtherLabels ?? false,
        what: `${source.name} labels`,
      })
    : { keep: null, droppedOther: 0 };
  const otherKeep = labelCheck.keep;
  let keep = otherKeep ? otherKeep.slice() : null;
  let nonFinite = 0;
  let firstBad = -1;
  const markBad = (r: number) => {
    if (firstBad < 0) firstBad = r;
    nonFinite++;
    keep ??= new Uint8Array(source.rows).fill(1);
    keep[r] = 0;
  };
  const all = emptyRowStats(source.rows);
  const moments = emptyRowMoments(source.rows);
  const jobs = options.accumulators ?? [];
  const accumulated: AccumulatedState[] = jobs.map((job) => ({
    job,
    state: new Float64Array(accumulatorOf(job).stateLength(job.params as never, cols)),
  }));
  const chunkRows = chunkRowsFor(cols, options.chunkRows);
  // The CPU backend's workers read chunks straight from shared memory, so read them into it.
  const reuse = backend.kind === 'cpu' && typeof SharedArrayBuffer !== 'undefined' ? 'shared' : 'plain';
  for await (const { start, count, data } of rowChunks(source, chunkRows, { reuse })) {
    if (nonFinite > 0 && nanPolicy !== 'skip') {
      // The run is going to fail: only count the rest of the bad rows for the message.
      for (let r = nextBadRow(data, cols, 0, count); r >= 0; r = nextBadRow(data, cols, r + 1, count)) {
        markBad(start + r);
      }
    } else {
      const pass = await backend.rowPass(data, count, cols, {
        groups: groups.codes,
        temperature,
        ...(labels && { labels: labels.subarray(start, start + count) }),
        ...(otherKeep && { keep: otherKeep.subarray(start, start + count) }),
        accumulators: jobs,
      });
      copyColumns(all, pass.stats, start);
      copyColumns(moments, pass.moments, start);
      // rowPass marks a row holding NaN or +Infinity with lseSO = NaN.
      for (let r = 0; r < count; r++) if (Number.isNaN(pass.stats.lseSO[r]!)) markBad(start + r);
      pass.accumulated.forEach((state, j) => {
        addState(accumulated[j]!.state, state);
      });
    }
    options.onProgress?.(start + count, source.rows);
  }
  if (nonFinite > 0 && nanPolicy !== 'skip') {
    throw new InputError({
      code: 'non-finite',
      file: source.name,
      problem: `${nonFinite} rows hold NaN or +Infinity logits, first at row ${firstBad}`,
      fix: 'fix the model output or pass {option} to drop those rows',
      option: { name: 'nanPolicy', value: 'skip' },
    });
  }
  const kept = keep as Uint8Array | null;
  const stats = kept ? compactColumns(all, kept, emptyRowStats) : all;
  if (stats.rows === 0) throw noRowsLeft(source, nonFinite, labelCheck.droppedOther);
  return {
    source: source.name,
    cols,
    sourceRows: source.rows,
    rows: stats.rows,
    groups,
    temperature,
    stats,
    moments: kept ? compactColumns(moments, kept, emptyRowMoments) : moments,
    labels: labels ? compactLabels(labels, kept) : null,
    keep: kept,
    dropped: { nonFinite, otherLabel: labelCheck.droppedOther },
    accumulated,
  };
}

/**
 * Every statistic needs at least one row: say why there is none, an empty file or every row dropped (and
 * by which option), instead of letting a metric fail later without the cause.
 */
function noRowsLeft(source: RowSource, nonFinite: number, otherLabel: number): InputError {
  const file = source.name;
  if (source.rows === 0) {
    return new InputError({
      code: 'shape',
      file,
      problem: 'holds no rows',
      fix: 'pass logits with at least one row',
    });
  }
  const why = [nonFinite && `${nonFinite} with NaN/+Inf logits`, otherLabel && `${otherLabel} labelled in O`];
  const problem = `all ${source.rows} rows were dropped (${why.filter(Boolean).join(', ')}), none is left`;
  return nonFinite > 0
    ? new InputError({
        code: 'non-finite',
        file,
        problem,
        fix: 'fix the model output ({option} drops the rows holding NaN or +Infinity)',
        option: { name: 'nanPolicy', value: 'skip' },
      })
    : new InputError({
        code: 'labels',
        file,
        problem,
        fix: 'add those classes to the groups ({option} drops the rows labelled in O)',
        option: { name: 'allowOtherLabels', value: true },
      });
}

/** Statistics of an in-memory matrix: the same as `accumulateStats` over `arraySource`. */
export function statsOfArray(
  backend: Backend,
  z: Float32Array,
  rows: number,
  cols: number,
  options: StatsOptions,
): Promise<DataStats> {
  if (z.length !== rows * cols) {
    throw new InputError({
      code: 'shape',
      file: '<memory>',
      problem: `${z.length} values for a ${rows}×${cols} matrix`,
      fix: 'check the shape',
    });
  }
  return accumulateStats(backend, arraySource(z, rows, cols), options);
}
