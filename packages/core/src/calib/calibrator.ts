import { platform } from '#platform';
import type { Backend } from '../backend/backend.ts';
import { FtcalError, InputError } from '../errors.ts';
import { type RowSource, rowChunks } from '../io/row-source.ts';
import { ABSENT, type ClassGroups, makeGroups } from './groups.ts';
import { type LinearMap, linearScores } from './linear/map.ts';
import { checkOption, MAX_CLASSES, OPTION_KINDS, scoreOverflowError } from './option-checks.ts';
import { chunkRowsFor } from './stats.ts';

/**
 * The calibrator file's versions: 1 holds a (γ, T); 2 added the linear family's map (DESIGN.md §1.1). A
 * γ-family calibrator is still written as version 1, which earlier ftcal reads too.
 */
export const CALIBRATOR_SCHEMA_VERSION = 2;

/**
 * Identifies the data a calibration was fitted on without storing it: shape, and a SHA-256 of the raw
 * little-endian f32 rows, over the whole matrix when it is small, else over the first and last `edgeRows`.
 */
export interface Fingerprint {
  source: string;
  rows: number;
  cols: number;
  sha256: string;
  scope: 'all' | 'first-and-last-rows';
  /** Rows hashed at each end when scope is 'first-and-last-rows'. */
  edgeRows?: number;
}

/**
 * A linear-family map in JSON: s = W·x + b with x the logits or their log-softmax; `weights` holds C scales
 * (diagonal) or the C×C matrix row-major (full, row c for class c); `masked` classes score −∞.
 */
export interface LinearMapJson {
  input: LinearMap['input'];
  form: LinearMap['form'];
  weights: number[];
  bias: number[];
  masked: number[];
}

/**
 * The JSON form of a calibrator (DESIGN.md §3): what `ftcal apply` and the library load. A γ-family method
 * stores gamma and temperature (schemaVersion 1), a linear-family method its map (schemaVersion 2).
 */
export interface CalibratorJson {
  schemaVersion: 1 | 2;
  kind: 'ftcal-calibrator';
  groups: { numClasses: number; seen: number[]; absent: number[]; other: number[] };
  gamma?: number;
  temperature?: number;
  linear?: LinearMapJson;
  method: string;
  provenance: { fingerprints: Fingerprint[]; created: string };
}

/** Matrices up to this size are hashed whole; larger ones by their first and last rows. */
const WHOLE_HASH_BYTES = 64 * 1024 * 1024;
const EDGE_ROWS = 1024;

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export async function fingerprint(
  source: RowSource,
  options: { wholeHashBytes?: number; edgeRows?: number } = {},
): Promise<Fingerprint> {
  const hash = platform.sha256();
  const whole = source.rows * source.cols * 4 <= (options.wholeHashBytes ?? WHOLE_HASH_BYTES);
  const base = { source: source.name, rows: source.rows, cols: source.cols };
  if (whole) {
    for await (const { data } of rowChunks(source, chunkRowsFor(source.cols))) hash.update(bytesOf(data));
    return { ...base, sha256: hash.digest(), scope: 'all' };
  }
  const edgeRows = Math.min(options.edgeRows ?? EDGE_ROWS, Math.ceil(source.rows / 2));
  hash.update(bytesOf(await source.readRows(0, edgeRows)));
  hash.update(bytesOf(await source.readRows(source.rows - edgeRows, edgeRows)));
  return { ...base, sha256: hash.digest(), scope: 'first-and-last-rows', edgeRows };
}

export type CalibratedOutput = 'logits' | 'probabilities' | 'log-probabilities';

/**
 * The first row whose logits are usable (no NaN or +Infinity, not all -Infinity) but whose calibrated
 * output holds NaN or +Infinity: γ or 1/T pushed its scores past float32. -1 when there is none.
 */
function overflowedRow(z: Float32Array, out: Float32Array, rows: number, cols: number): number {
  const bad = (v: number) => Number.isNaN(v) || v === Number.POSITIVE_INFINITY;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let usable = false;
    for (let c = 0; c < cols; c++) {
      const v = z[base + c]!;
      if (bad(v)) {
        usable = false;
        break;
      }
      if (v !== Number.NEGATIVE_INFINITY) usable = true;
    }
    if (!usable) continue;
    for (let c = 0; c < cols; c++) if (bad(out[base + c]!)) return r;
  }
  return -1;
}

function bad(file: string, problem: string, fix: string): never {
  throw new InputError({ code: 'bad-file', file, problem, fix });
}

function isIndexList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x));
}

/** `length` numbers that stay finite as float32, the precision the map is applied in. */
function isF32List(v: unknown, length: number): v is number[] {
  return (
    Array.isArray(v) &&
    v.length === length &&
    v.every((x) => typeof x === 'number' && Number.isFinite(Math.fround(x)))
  );
}

/** Reads and checks a "linear" entry against the head's C classes. */
function linearFromJson(v: unknown, cols: number, name: string, fix: string): LinearMap {
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) bad(name, `"linear" must be an object`, fix);
  if (o.input !== 'logits' && o.input !== 'log-softmax') {
    bad(name, `"linear.input" must be "logits" or "log-softmax"`, fix);
  }
  if (o.form !== 'diagonal' && o.form !== 'full')
    bad(name, `"linear.form" must be "diagonal" or "full"`, fix);
  const size = o.form === 'full' ? cols * cols : cols;
  if (!isF32List(o.weights, size)) {
    bad(
      name,
      `"linear.weights" must hold ${size} numbers within float32 range for a ${o.form} map of ${cols} classes`,
      fix,
    );
  }
  if (!isF32List(o.bias, cols))
    bad(name, `"linear.bias" must hold ${cols} numbers within float32 range`, fix);
  if (!isIndexList(o.masked) || o.masked.some((c) => c < 0 || c >= cols)) {
    bad(name, `"linear.masked" must list class indices in [0, ${cols})`, fix);
  }
  return {
    input: o.input,
    form: o.form,
    cols,
    weights: Float64Array.from(o.weights),
    bias: Float64Array.from(o.bias),
    masked: [...new Set(o.masked)].sort((a, b) => a - b),
  };
}

/** What a calibrator applies: a (γ, T) of the γ family, or a linear-family map. */
export type CalibrationMap = { gamma: number; temperature: number } | { linear: LinearMap };

/**
 * A fitted calibration for one head's class groups: scores s = (z + γ·[c∈U]) / T, or s = W·x + b for the
 * linear family (DESIGN.md §1.1), with the method that chose them and fingerprints of the data it was
 * fitted on. Serialises to JSON and applies to new logits chunk by chunk.
 */
export class Calibrator {
  readonly groups: ClassGroups;
  /** γ and T of the γ family; NaN for a linear-family calibrator. */
  readonly gamma: number;
  readonly temperature: number;
  /** The linear family's map; null for the γ family. */
  readonly linear: LinearMap | null;
  readonly method: string;
  readonly fingerprints: readonly Fingerprint[];
  readonly created: string;

  constructor(
    init: CalibrationMap & {
      groups: ClassGroups;
      method: string;
      fingerprints?: readonly Fingerprint[];
      created?: string;
    },
  ) {
    this.groups = init.groups;
    if ('linear' in init) {
      this.checkCols(init.linear.cols, "the calibrator's map");
      this.gamma = Number.NaN;
      this.temperature = Number.NaN;
      this.linear = init.linear;
    } else {
      checkOption(init.gamma, 'gamma', "the calibrator's γ", 'gamma');
      checkOption(init.temperature, 'temperature', "the calibrator's T", 'temperature');
      this.gamma = init.gamma;
      this.temperature = init.temperature;
      this.linear = null;
    }
    this.method = init.method;
    this.fingerprints = init.fingerprints ?? [];
    this.created = init.created ?? new Date().toISOString();
  }

  toJSON(): CalibratorJson {
    const g = this.groups;
    const l = this.linear;
    return {
      schemaVersion: l ? 2 : 1,
      kind: 'ftcal-calibrator',
      groups: { numClasses: g.numClasses, seen: [...g.seen], absent: [...g.absent], other: [...g.other] },
      ...(l
        ? {
            linear: {
              input: l.input,
              form: l.form,
              weights: [...l.weights],
              bias: [...l.bias],
              masked: [...l.masked],
            },
          }
        : { gamma: this.gamma, temperature: this.temperature }),
      method: this.method,
      provenance: { fingerprints: [...this.fingerprints], created: this.created },
    };
  }

  /**
   * Reads a calibrator from its JSON text or parsed value, validating every field: anything malformed is
   * an InputError naming `name` (the file) and the field.
   */
  static fromJSON(json: string | unknown, name = 'calibrator JSON'): Calibrator {
    let v: unknown = json;
    if (typeof json === 'string') {
      try {
        v = JSON.parse(json);
      } catch (e) {
        bad(name, `not valid JSON (${(e as Error).message})`, 'pass the file ftcal wrote');
      }
    }
    const fix = 'pass a calibrator file written by ftcal';
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(name, 'not a JSON object', fix);
    const o = v as Record<string, unknown>;
    if (o.kind !== 'ftcal-calibrator') bad(name, `"kind" is not "ftcal-calibrator"`, fix);
    if (o.schemaVersion !== 1 && o.schemaVersion !== CALIBRATOR_SCHEMA_VERSION) {
      bad(
        name,
        `schemaVersion ${JSON.stringify(o.schemaVersion)} is not supported (this ftcal reads 1 to ${CALIBRATOR_SCHEMA_VERSION})`,
        'use the ftcal version that wrote it',
      );
    }
    const g = o.groups as Record<string, unknown> | undefined;
    if (typeof g !== 'object' || g === null) bad(name, `"groups" is missing`, fix);
    if (
      !Number.isSafeInteger(g.numClasses) ||
      (g.numClasses as number) < 2 ||
      (g.numClasses as number) > MAX_CLASSES
    ) {
      bad(name, `"groups.numClasses" must be a whole number in [2, ${MAX_CLASSES}]`, fix);
    }
    if (!isIndexList(g.seen) || !isIndexList(g.absent) || !isIndexList(g.other)) {
      bad(name, `"groups" needs integer numClasses and index lists seen, absent, other`, fix);
    }
    let groups: ClassGroups;
    try {
      groups = makeGroups(g.numClasses as number, g.seen, g.absent, name);
    } catch (e) {
      if (!(e instanceof FtcalError)) throw e;
      bad(name, `"groups": ${e.problem}`, fix);
    }
    if (groups.other.join() !== [...g.other].sort((a, b) => a - b).join()) {
      bad(name, `"groups.other" does not match the classes in neither seen nor absent`, fix);
    }
    let map: CalibrationMap;
    if (o.linear !== undefined) {
      if (o.schemaVersion === 1) bad(name, `"linear" needs schemaVersion 2`, fix);
      map = { linear: linearFromJson(o.linear, groups.numClasses, name, fix) };
    } else {
      for (const field of ['gamma', 'temperature'] as const) {
        const { ok, want } = OPTION_KINDS[field];
        if (typeof o[field] !== 'number' || !ok(o[field])) bad(name, `"${field}" must be ${want}`, fix);
      }
      map = { gamma: o.gamma as number, temperature: o.temperature as number };
    }
    if (typeof o.method !== 'string' || o.method === '') bad(name, `"method" must be a method's name`, fix);
    const p = o.provenance as Record<string, unknown> | undefined;
    if (
      typeof p !== 'object' ||
      p === null ||
      !Array.isArray(p.fingerprints) ||
      typeof p.created !== 'string'
    ) {
      bad(name, `"provenance" needs a fingerprints array and a created date`, fix);
    }
    for (const f of p.fingerprints as unknown[]) {
      const r = f as Record<string, unknown>;
      if (
        typeof r !== 'object' ||
        r === null ||
        typeof r.sha256 !== 'string' ||
        !/^[0-9a-f]{64}$/.test(r.sha256) ||
        !Number.isSafeInteger(r.rows) ||
        (r.rows as number) < 0 ||
        !Number.isSafeInteger(r.cols) ||
        (r.cols as number) < 1 ||
        (r.edgeRows !== undefined && !(Number.isSafeInteger(r.edgeRows) && (r.edgeRows as number) > 0))
      ) {
        bad(name, `a fingerprint needs whole rows ≥ 0, cols ≥ 1 and a hex sha256`, fix);
      }
    }
    return new Calibrator({
      ...map,
      groups,
      method: o.method as string,
      fingerprints: p.fingerprints as Fingerprint[],
      created: p.created,
    });
  }

  /**
   * Calibrated logits s = (z + γ·[c∈U]) / T of the γ family, rounded to f32 exactly as the softmax kernels
   * compute their scores (f32(γ) added, then multiplied by f32(1/T)), so argmax(s) agrees with their
   * probabilities. A linear-family calibrator computes its scores on a backend: use applyArray.
   */
  logits(z: Float32Array, rows: number, cols: number): Float32Array {
    this.checkCols(cols, '<memory>');
    if (this.linear) {
      throw new InputError({
        code: 'unsupported',
        problem: `logits(): a ${this.method} calibrator's scores s = W·x + b are computed on a backend`,
        fix: "call applyArray(backend, z, rows, cols, 'logits')",
      });
    }
    const gamma = Math.fround(this.gamma);
    const invT = Math.fround(1 / this.temperature);
    const codes = this.groups.codes;
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = codes[c] === ABSENT ? Math.fround(z[base + c]! + gamma) : z[base + c]!;
        out[base + c] = v * invT;
      }
    }
    return out;
  }

  private checkCols(cols: number, name: string): void {
    if (cols !== this.groups.numClasses) {
      throw new InputError({
        code: 'shape',
        file: name,
        problem: `${cols} logits per row but the calibrator was fitted for ${this.groups.numClasses} classes`,
        fix: 'apply it to logits of the same model head',
      });
    }
  }

  /**
   * Applies the calibration to a chunk: calibrated logits, or (log-)probabilities via backend.softmax. A
   * linear map's scores come from linearScores (a full W through backend.matmul).
   */
  async applyArray(
    backend: Backend,
    z: Float32Array,
    rows: number,
    cols: number,
    output: CalibratedOutput = 'probabilities',
    name = '<memory>',
  ): Promise<Float32Array> {
    return this.calibrated(backend, z, rows, cols, output, name, 0);
  }

  private async calibrated(
    backend: Backend,
    z: Float32Array,
    rows: number,
    cols: number,
    output: CalibratedOutput,
    name: string,
    firstRow: number,
  ): Promise<Float32Array> {
    this.checkCols(cols, name);
    let out: Float32Array;
    if (this.linear) {
      const s = await linearScores(backend, this.linear, z, rows);
      out =
        output === 'logits'
          ? s
          : await backend.softmax(s, rows, cols, { log: output === 'log-probabilities' });
    } else {
      out =
        output === 'logits'
          ? this.logits(z, rows, cols)
          : await backend.softmax(z, rows, cols, {
              gamma: this.gamma,
              temperature: this.temperature,
              groups: this.groups.codes,
              log: output === 'log-probabilities',
            });
    }
    const row = overflowedRow(z, out, rows, cols);
    if (row >= 0) throw this.overflowError(name, firstRow + row);
    return out;
  }

  private overflowError(file: string, row: number): InputError {
    if (!this.linear) return scoreOverflowError(file, row, this.gamma, this.temperature);
    return new InputError({
      code: 'non-finite',
      file,
      problem: `at row ${row} the ${this.method} calibrator's scores W·x + b overflow float32`,
      fix: 'apply it to logits of the scale it was fitted on (refit on these)',
    });
  }

  /** Streams a RowSource through the calibration, one chunk of rows at a time. */
  async *apply(
    backend: Backend,
    source: RowSource,
    options: { output?: CalibratedOutput; chunkRows?: number } = {},
  ): AsyncGenerator<{ start: number; count: number; data: Float32Array }> {
    this.checkCols(source.cols, source.name);
    const chunkRows = chunkRowsFor(source.cols, options.chunkRows);
    for await (const { start, count, data } of rowChunks(source, chunkRows)) {
      const out = await this.calibrated(
        backend,
        data,
        count,
        source.cols,
        options.output ?? 'probabilities',
        source.name,
        start,
      );
      yield { start, count, data: out };
    }
  }
}
