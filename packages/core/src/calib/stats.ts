import type { Backend, RowStats } from '../backend/backend.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import { InputError } from '../errors.ts';
import { type RowSource, rowChunks } from '../io/row-source.ts';
import { ABSENT, type ClassGroups, checkLabels, SEEN } from './groups.ts';
import { checkOption } from './option-checks.ts';

/** What to do with a row holding NaN or +Infinity: fail (default) or drop it and count it. */
export type NanPolicy = 'error' | 'skip';

export interface StatsOptions {
  groups: ClassGroups;
  /** One label per source row. Needed for every accuracy; omit for unlabelled data. */
  labels?: Int32Array;
  /** Temperature of the two log-sum-exps in the statistics. Default 1. */
  temperature?: number;
  /** Rows per chunk sent to the backend. Default: about 16 Mi values per chunk. */
  chunkRows?: number;
  nanPolicy?: NanPolicy;
  /** Drop rows labelled in O instead of failing (DESIGN.md §1 `--allow-other-labels`). */
  allowOtherLabels?: boolean;
  /** Also accumulate per-group logit moments (for diagnostics); costs one more pass over each chunk. */
  moments?: boolean;
  /** Called after each chunk with the source rows processed so far and the total. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/** Count, sum and sum of squares of the finite logits of one class group; -Infinity entries are left out. */
export interface Moments {
  count: number;
  sum: number;
  sumSq: number;
}

/** Logit moments by label group of the row (all rows, rows labelled in S, in U) and class group (S, U, O). */
export interface LogitMoments {
  all: GroupMoments;
  labelSeen: GroupMoments;
  labelAbsent: GroupMoments;
}
export interface GroupMoments {
  seen: Moments;
  absent: Moments;
  other: Moments;
}

/**
 * Per-row statistics of a whole data set, kept instead of its logits. Rows dropped by the NaN policy or
 * for a label in O are absent from `stats` and `labels`; `keep` maps source rows to kept ones.
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
  /** Labels of the kept rows, or null for unlabelled data. */
  labels: Int32Array | null;
  /** 1 per kept source row; null when every row was kept. */
  keep: Uint8Array | null;
  dropped: { nonFinite: number; otherLabel: number };
  moments: LogitMoments | null;
}

const VALUES_PER_CHUNK = 16 * 1024 * 1024;

/** Rows per chunk: the caller's `chunkRows` (checked), else about 16 Mi values per chunk. */
export function chunkRowsFor(cols: number, chunkRows?: number): number {
  if (chunkRows === undefined) return Math.max(1, Math.floor(VALUES_PER_CHUNK / Math.max(1, cols)));
  checkOption(chunkRows, 'chunkRows', 'rows per chunk', 'count');
  return chunkRows;
}

function zeroMoments(): GroupMoments {
  const m = () => ({ count: 0, sum: 0, sumSq: 0 });
  return { seen: m(), absent: m(), other: m() };
}

/** Index of the first row in [0, rows) holding NaN or +Infinity, scanning from `from`; -1 if none. */
function nextBadRow(data: Float32Array, cols: number, from: number, rows: number): number {
  for (let r = from; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[base + c]!;
      // -Infinity is a legal logit (a masked class); +Infinity and NaN are not.
      if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) return r;
    }
  }
  return -1;
}

function addMoments(
  data: Float32Array,
  rows: number,
  cols: number,
  codes: Uint32Array,
  labels: Int32Array | undefined,
  keep: Uint8Array | null,
  start: number,
  out: LogitMoments,
): void {
  const acc = new Float64Array(9);
  const groupsOf = [out.all.seen, out.all.absent, out.all.other];
  for (let r = 0; r < rows; r++) {
    if (keep && !keep[start + r]) continue;
    acc.fill(0);
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[base + c]!;
      if (v === Number.NEGATIVE_INFINITY) continue;
      const g = codes[c]! * 3;
      acc[g]! += 1;
      acc[g + 1]! += v;
      acc[g + 2]! += v * v;
    }
    const y = labels ? labels[start + r]! : -1;
    const byLabel =
      y < 0 ? null : codes[y] === SEEN ? out.labelSeen : codes[y] === ABSENT ? out.labelAbsent : null;
    const targets = byLabel ? [groupsOf, [byLabel.seen, byLabel.absent, byLabel.other]] : [groupsOf];
    for (const t of targets) {
      for (let g = 0; g < 3; g++) {
        t[g]!.count += acc[3 * g]!;
        t[g]!.sum += acc[3 * g + 1]!;
        t[g]!.sumSq += acc[3 * g + 2]!;
      }
    }
  }
}

function copyStats(dst: RowStats, src: RowStats, offset: number): void {
  for (const key of Object.keys(src) as (keyof RowStats)[]) {
    if (key === 'rows') continue;
    (dst[key] as Float32Array | Int32Array).set(src[key] as Float32Array & Int32Array, offset);
  }
}

/** Keeps the rows with keep[r] = 1, in order. */
function compactStats(stats: RowStats, keep: Uint8Array): RowStats {
  let n = 0;
  for (let r = 0; r < stats.rows; r++) n += keep[r]!;
  const out = emptyRowStats(n);
  for (const key of Object.keys(stats) as (keyof RowStats)[]) {
    if (key === 'rows') continue;
    const from = stats[key] as Float32Array | Int32Array;
    const to = out[key] as Float32Array | Int32Array;
    for (let r = 0, j = 0; r < stats.rows; r++) if (keep[r]) to[j++] = from[r]!;
  }
  return out;
}

function compactLabels(labels: Int32Array, keep: Uint8Array | null): Int32Array {
  if (!keep) return labels;
  return labels.filter((_, r) => keep[r] === 1);
}

/**
 * Streams a RowSource through `backend.rowStats` chunk by chunk and keeps only the per-row statistics and
 * labels: the logits are read once and dropped. NaN or +Infinity in a row is an InputError naming how many
 * rows and the first one, unless nanPolicy is 'skip' (those rows are dropped and counted); -Infinity is a
 * legal logit. Labels are checked by `checkLabels` (out of range: error; in O: error or dropped).
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
  let keep = labelCheck.keep;
  let nonFinite = 0;
  let firstBad = -1;
  const all = emptyRowStats(source.rows);
  const moments: LogitMoments | null = options.moments
    ? { all: zeroMoments(), labelSeen: zeroMoments(), labelAbsent: zeroMoments() }
    : null;
  const chunkRows = chunkRowsFor(cols, options.chunkRows);
  for await (const { start, count, data } of rowChunks(source, chunkRows)) {
    for (let r = nextBadRow(data, cols, 0, count); r >= 0; r = nextBadRow(data, cols, r + 1, count)) {
      if (firstBad < 0) firstBad = start + r;
      nonFinite++;
      keep ??= new Uint8Array(source.rows).fill(1);
      keep[start + r] = 0;
    }
    // Once the policy is going to fail there is no point asking the backend for statistics.
    if (nonFinite === 0 || nanPolicy === 'skip') {
      const chunkLabels = labels?.subarray(start, start + count);
      const s = await backend.rowStats(data, count, cols, {
        groups: groups.codes,
        temperature,
        ...(chunkLabels ? { labels: chunkLabels } : {}),
      });
      copyStats(all, s, start);
      if (moments) addMoments(data, count, cols, groups.codes, labels, keep, start, moments);
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
  const stats = keep ? compactStats(all, keep) : all;
  return {
    source: source.name,
    cols,
    sourceRows: source.rows,
    rows: stats.rows,
    groups,
    temperature,
    stats,
    labels: labels ? compactLabels(labels, keep) : null,
    keep,
    dropped: { nonFinite, otherLabel: labelCheck.droppedOther },
    moments,
  };
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
  const source = {
    name: '<memory>',
    rows,
    cols,
    readRows: async (start: number, count: number) => z.subarray(start * cols, (start + count) * cols),
    close: async () => {},
  };
  return accumulateStats(backend, source, options);
}
