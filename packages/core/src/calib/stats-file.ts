import type { RowMoments, RowStats } from '../backend/backend.ts';
import { type Column, columnsOf, copyColumns } from '../cpu/columns.ts';
import { emptyRowMoments, emptyRowStats } from '../cpu/row-stats.ts';
import { InputError } from '../errors.ts';
import type { ByteInput } from '../io/input.ts';
import { openNpz } from '../io/npz.ts';
import { type NpzMember, writeNpz } from '../io/npz-writer.ts';
import { accumulatorOf, addState } from './accumulators.ts';
import type { Fingerprint } from './calibrator.ts';
import { checkLabels, groupsFromCodes } from './groups.ts';
import type { AccumulatedState, DataStats } from './stats.ts';

/**
 * Statistics files (DESIGN.md §1.3): one shard's per-row statistics, written by `ftcal stats` (the map)
 * and merged by `--stats` (the reduce) into exactly what one run over the concatenated rows gives. An
 * uncompressed .npz (docs/formats.md): a JSON header as a uint8 array `header`, then one 1-D array per
 * per-row column (`stats/<field>`, `moments/<field>`, `labels`) and one per accumulator state
 * (`accumulators/<i>`). Rows are independent, so shards merge by concatenation, in the order given.
 */

export const STATS_SCHEMA_VERSION = 1;

export interface StatsFileHeader {
  kind: 'ftcal-stats';
  schemaVersion: 1;
  /** The logits the statistics were taken from. */
  source: string;
  sourceRows: number;
  /** Rows kept (those with NaN/+Infinity logits or a label in O are dropped and counted). */
  rows: number;
  cols: number;
  groups: { numClasses: number; seen: number[]; absent: number[]; other: number[] };
  /** The temperature of the log-sum-exps: tables at any γ, but at this T only. */
  temperature: number;
  labelled: boolean;
  dropped: { nonFinite: number; otherLabel: number };
  /** Fingerprints of the logits (and, for merged files, of every shard). */
  fingerprints: Fingerprint[];
  /** The backend that computed them: shards merge exactly when one kind of backend took them all. */
  backend: string;
  accumulators: { name: string; params: unknown; length: number }[];
}

/** Statistics read back from a file (or merged), with the fingerprints of the data behind them. */
export interface StatsFile {
  name: string;
  header: StatsFileHeader;
  data: DataStats;
}

function bad(file: string, problem: string, fix = 'write it again with ftcal stats'): InputError {
  return new InputError({ code: 'bad-file', file, problem, fix });
}

/** The per-row columns a file holds, by member name, with the arrays their values go into. */
function columnMembers(stats: RowStats, moments: RowMoments): [string, Column][] {
  return [
    ...columnsOf(stats).map(([k, c]): [string, Column] => [`stats/${k}`, c]),
    ...columnsOf(moments).map(([k, c]): [string, Column] => [`moments/${k}`, c]),
  ];
}

/** Writes one data set's statistics, atomically; `fingerprints` identify the logits they came from. */
export async function writeStatsFile(
  path: string,
  data: DataStats,
  provenance: { fingerprints: Fingerprint[]; backend: string },
): Promise<void> {
  const g = data.groups;
  const header: StatsFileHeader = {
    kind: 'ftcal-stats',
    schemaVersion: STATS_SCHEMA_VERSION,
    source: data.source,
    sourceRows: data.sourceRows,
    rows: data.rows,
    cols: data.cols,
    groups: { numClasses: g.numClasses, seen: [...g.seen], absent: [...g.absent], other: [...g.other] },
    temperature: data.temperature,
    labelled: data.labels !== null,
    dropped: { ...data.dropped },
    fingerprints: provenance.fingerprints,
    backend: provenance.backend,
    accumulators: data.accumulated.map((a) => ({ ...a.job, length: a.state.length })),
  };
  const members: NpzMember[] = [
    { name: 'header', data: new TextEncoder().encode(JSON.stringify(header)) },
    ...columnMembers(data.stats, data.moments).map(([name, d]) => ({ name, data: d as NpzMember['data'] })),
    ...(data.labels ? [{ name: 'labels', data: data.labels }] : []),
    ...data.accumulated.map((a, i) => ({ name: `accumulators/${i}`, data: a.state })),
  ];
  await writeNpz(path, members);
}

/** One member read whole as float64 (exact for every column type), checked for its length. */
async function readMember(
  input: ByteInput,
  name: string,
  member: string,
  length: number,
): Promise<Float64Array> {
  const source = await openNpz(input, { member, name });
  try {
    if (source.shape.length !== 1 || source.rows !== length) {
      throw bad(name, `member '${member}' has shape [${source.shape.join(', ')}], not [${length}]`);
    }
    return await source.readRowsF64(0, length);
  } finally {
    await source.close();
  }
}

function parseHeader(name: string, bytes: Float64Array): StatsFileHeader {
  let h: Partial<StatsFileHeader>;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes)));
  } catch {
    throw bad(name, 'its header is not JSON');
  }
  if (h?.kind !== 'ftcal-stats')
    throw bad(name, 'is an .npz but not a statistics file', 'pass files written by ftcal stats');
  if (h.schemaVersion !== STATS_SCHEMA_VERSION) {
    throw bad(
      name,
      `statistics schema version ${h.schemaVersion}; this ftcal reads version ${STATS_SCHEMA_VERSION}`,
    );
  }
  const ok =
    Number.isSafeInteger(h.rows) &&
    Number.isSafeInteger(h.sourceRows) &&
    Number.isSafeInteger(h.cols) &&
    (h.rows ?? -1) >= 0 &&
    typeof h.temperature === 'number' &&
    h.temperature > 0 &&
    Array.isArray(h.accumulators) &&
    Array.isArray(h.fingerprints) &&
    h.groups !== undefined;
  if (!ok) throw bad(name, 'its header lacks rows, cols, groups, temperature or accumulators');
  return h as StatsFileHeader;
}

/** Reads a statistics file (a path in Node, a Blob or File, or its bytes). */
export async function readStatsFile(input: ByteInput, options: { name?: string } = {}): Promise<StatsFile> {
  const name = options.name ?? (typeof input === 'string' ? input : '<statistics>');
  const headerSource = await openNpz(input, { member: 'header', name }).catch((e: unknown) => {
    if (e instanceof InputError && /no array 'header'/.test(e.message)) {
      throw bad(name, 'is an .npz but not a statistics file', 'pass files written by ftcal stats');
    }
    throw e;
  });
  let headerBytes: Float64Array;
  try {
    headerBytes = await headerSource.readRowsF64(0, headerSource.rows);
  } finally {
    await headerSource.close();
  }
  const header = parseHeader(name, headerBytes);
  const rows = header.rows;
  const codes = new Uint32Array(header.groups.numClasses).fill(2);
  for (const c of header.groups.seen) codes[c] = 0;
  for (const c of header.groups.absent) codes[c] = 1;
  const groups = groupsFromCodes(codes, name);
  if (groups.numClasses !== header.cols)
    throw bad(name, `groups of ${groups.numClasses} classes for ${header.cols} columns`);
  const stats = emptyRowStats(rows);
  const moments = emptyRowMoments(rows);
  for (const [member, column] of columnMembers(stats, moments)) {
    column.set(await readMember(input, name, member, rows));
  }
  let labels: Int32Array | null = null;
  if (header.labelled) {
    labels = Int32Array.from(await readMember(input, name, 'labels', rows));
    checkLabels(labels, groups, { what: `${name} labels` });
  }
  const accumulated: AccumulatedState[] = [];
  for (const [i, a] of header.accumulators.entries()) {
    const job = { name: a.name, params: a.params };
    accumulatorOf(job);
    accumulated.push({ job, state: await readMember(input, name, `accumulators/${i}`, a.length) });
  }
  const data: DataStats = {
    source: header.source,
    cols: header.cols,
    sourceRows: header.sourceRows,
    rows,
    groups,
    temperature: header.temperature,
    stats,
    moments,
    labels,
    keep: null,
    dropped: { ...header.dropped },
    accumulated,
  };
  return { name, header, data };
}

/** Why two statistics files cannot be merged, or null. */
function mismatch(a: StatsFile, b: StatsFile): InputError | null {
  const x = a.header;
  const y = b.header;
  const refuse = (problem: string, fix: string, code: 'groups' | 'option' = 'option') =>
    new InputError({ code, file: b.name, problem, fix });
  if (x.cols !== y.cols || a.data.groups.codes.join() !== b.data.groups.codes.join()) {
    return refuse(
      `statistics taken with other class groups than ${a.name}`,
      "take every shard's statistics with the same class groups",
      'groups',
    );
  }
  if (x.temperature !== y.temperature) {
    return refuse(
      `statistics taken at T = ${y.temperature}, ${a.name} at T = ${x.temperature}`,
      "take every shard's statistics at one temperature",
    );
  }
  if (x.labelled !== y.labelled) {
    return refuse(
      `statistics ${y.labelled ? 'with' : 'without'} labels, ${a.name} ${x.labelled ? 'with' : 'without'}`,
      'give every shard its labels, or none',
    );
  }
  const jobs = (h: StatsFileHeader) => JSON.stringify(h.accumulators);
  if (jobs(x) !== jobs(y)) {
    return refuse(
      `statistics with other accumulated metrics (or their operating point) than ${a.name}`,
      "take every shard's statistics with the same options",
    );
  }
  return null;
}

/**
 * Shards' statistics as one data set, rows in the order of `files`: exactly the statistics one run over
 * the concatenated logits keeps, so every table, the curve and the methods come out the same. Files
 * taken with other class groups, another temperature, or other accumulated metrics are refused.
 */
export function mergeStats(files: readonly StatsFile[]): StatsFile {
  if (files.length === 0) throw new RangeError('mergeStats: no statistics files');
  const first = files[0]!;
  if (files.length === 1) return first;
  for (const f of files.slice(1)) {
    const why = mismatch(first, f);
    if (why) throw why;
  }
  const rows = files.reduce((n, f) => n + f.data.rows, 0);
  const stats = emptyRowStats(rows);
  const moments = emptyRowMoments(rows);
  const labels = first.data.labels ? new Int32Array(rows) : null;
  const accumulated = first.data.accumulated.map((a) => ({
    job: a.job,
    state: new Float64Array(a.state.length),
  }));
  let at = 0;
  for (const f of files) {
    copyColumns(stats, f.data.stats, at);
    copyColumns(moments, f.data.moments, at);
    labels?.set(f.data.labels!, at);
    f.data.accumulated.forEach((a, i) => {
      addState(accumulated[i]!.state, a.state);
    });
    at += f.data.rows;
  }
  const sum = (pick: (f: StatsFile) => number) => files.reduce((n, f) => n + pick(f), 0);
  const name = `${first.name} … ${files.at(-1)!.name} (${files.length} statistics files)`;
  const dropped = {
    nonFinite: sum((f) => f.data.dropped.nonFinite),
    otherLabel: sum((f) => f.data.dropped.otherLabel),
  };
  const backends = [...new Set(files.map((f) => f.header.backend))];
  const header: StatsFileHeader = {
    ...first.header,
    source: name,
    sourceRows: sum((f) => f.data.sourceRows),
    rows,
    dropped,
    fingerprints: files.flatMap((f) => f.header.fingerprints),
    backend: backends.join(' + '),
  };
  return {
    name,
    header,
    data: {
      ...first.data,
      source: name,
      sourceRows: header.sourceRows,
      rows,
      stats,
      moments,
      labels,
      dropped,
      accumulated,
    },
  };
}
