import { accumulatorOf } from '../calib/accumulators.ts';
import { OPTION_KINDS } from '../calib/option-checks.ts';
import { InputError } from '../errors.ts';
import type {
  LabelRankOptions,
  MatmulOptions,
  NllGradOptions,
  NllPassOptions,
  RowPassOptions,
  RowStatsOptions,
  SoftmaxOptions,
} from './backend.ts';
import type { ResidentLogits } from './resident-logits.ts';

/**
 * The argument checks of the Backend boundary (DESIGN.md §4). Both backends run them before any work,
 * so the GPU drivers, the CPU twins and the worker pool below can assume valid input; a caller's
 * mistake is one InputError, whichever backend runs.
 */

export function checkShape(op: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new InputError({
      code: 'shape',
      problem: `${op}: bad shape ${rows}×${cols}; rows must be a whole number ≥ 0 and columns ≥ 1`,
    });
  }
  if (data.length !== rows * cols) {
    throw new InputError({
      code: 'shape',
      problem: `${op}: ${data.length} values for shape ${rows}×${cols}`,
    });
  }
}

function checkGroups(op: string, groups: Uint32Array, cols: number): void {
  if (groups.length !== cols) {
    throw new InputError({
      code: 'groups',
      problem: `${op}: groups has ${groups.length} entries for ${cols} classes`,
    });
  }
  for (let c = 0; c < cols; c++) {
    if (groups[c]! > 2) {
      throw new InputError({
        code: 'groups',
        problem: `${op}: group code ${groups[c]} at class ${c}; codes are 0 (seen), 1 (absent) and 2 (other)`,
      });
    }
  }
}

/** γ and T as the kernels use them (f32(γ) added, f32(1/T) multiplied): both must fit float32. */
export function checkScoreOptions(op: string, options: { gamma?: number; temperature?: number }): void {
  const given = [
    ['gamma', options.gamma ?? 0, 'gamma'],
    ['temperature', options.temperature ?? 1, 'temperature'],
  ] as const;
  for (const [name, value, kind] of given) {
    const { ok, want } = OPTION_KINDS[kind];
    if (!ok(value)) {
      throw new InputError({ code: 'option', problem: `${op}: ${name} must be ${want}, got ${value}` });
    }
  }
}

/** One label per row, each a class index: a label outside [0, cols) would read past its row. */
export function checkLabelIndices(op: string, labels: Int32Array, rows: number, cols: number): void {
  if (labels.length !== rows) {
    throw new InputError({ code: 'shape', problem: `${op}: ${labels.length} labels for ${rows} rows` });
  }
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    if (!(y >= 0 && y < cols)) {
      throw new InputError({
        code: 'labels',
        problem: `${op}: label ${y} at row ${r} is outside [0, ${cols})`,
        fix: 'labels must be class indices of the logits',
      });
    }
  }
}

export function checkSoftmax(z: Float32Array, rows: number, cols: number, options: SoftmaxOptions): void {
  checkShape('softmax', z, rows, cols);
  if (options.groups) checkGroups('softmax', options.groups, cols);
  checkScoreOptions('softmax', options);
}

export function checkRowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): void {
  checkShape('rowStats', z, rows, cols);
  checkGroups('rowStats', options.groups, cols);
  if (options.labels && options.labels.length !== rows) {
    throw new InputError({
      code: 'shape',
      problem: `rowStats: ${options.labels.length} labels for ${rows} rows`,
    });
  }
  checkScoreOptions('rowStats', options);
}

export function checkRowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): void {
  checkRowStats(z, rows, cols, options);
  if (options.keep && options.keep.length !== rows) {
    throw new InputError({
      code: 'shape',
      problem: `rowPass: keep mask has ${options.keep.length} entries for ${rows} rows`,
    });
  }
  for (const job of options.accumulators ?? []) accumulatorOf(job);
}

export function checkLabelRanks(
  z: Float32Array,
  rows: number,
  cols: number,
  options: LabelRankOptions,
): void {
  checkShape('labelRanks', z, rows, cols);
  checkGroups('labelRanks', options.groups, cols);
  checkLabelIndices('labelRanks', options.labels, rows, cols);
  const gamma = options.gamma ?? 0;
  if (!Number.isFinite(gamma)) {
    throw new InputError({ code: 'option', problem: `labelRanks: γ must be a finite number, got ${gamma}` });
  }
}

/** Checks nllGrad's inputs and returns K, the number of candidates. */
export function checkNllGrad(z: Float32Array, rows: number, cols: number, options: NllGradOptions): number {
  checkShape('nllGrad', z, rows, cols);
  checkLabelIndices('nllGrad', options.labels, rows, cols);
  return checkNllPass(cols, options);
}

/** Checks nllGradResident's inputs (its labels were checked when the logits were made). */
export function checkNllResident(logits: ResidentLogits, options: NllPassOptions): number {
  if (!logits.labelled) {
    throw new InputError({
      code: 'labels',
      file: logits.name,
      problem: 'nllGrad needs a label per row, and these logits came without labels',
      fix: 'pass the labels with the logits',
    });
  }
  return checkNllPass(logits.cols, options);
}

function checkNllPass(cols: number, options: NllPassOptions): number {
  checkGroups('nllGrad', options.groups, cols);
  const { candidates } = options;
  if (candidates.length < 2 || candidates.length % 2 !== 0) {
    throw new InputError({
      code: 'shape',
      problem: `nllGrad: candidates must hold (γ, log T) pairs, got ${candidates.length} values`,
    });
  }
  for (let i = 0; i < candidates.length; i++) {
    if (!Number.isFinite(candidates[i]!)) {
      throw new InputError({ code: 'option', problem: `nllGrad: candidate value ${i} is not finite` });
    }
  }
  return candidates.length / 2;
}

export function checkMatmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  options: MatmulOptions,
): void {
  const batch = options.batch ?? 1;
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
    ['batch', batch],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new InputError({
        code: 'shape',
        problem: `matmul: ${name} must be a positive integer, got ${v}`,
      });
    }
  }
  if (a.length !== batch * m * k) {
    throw new InputError({
      code: 'shape',
      problem: `matmul: A has ${a.length} values, expected ${batch}·${m}·${k}`,
    });
  }
  if (!sharesB(b, n, k, batch) && b.length !== batch * k * n) {
    throw new InputError({
      code: 'shape',
      problem: `matmul: B has ${b.length} values, expected ${batch}·${k}·${n} or ${k}·${n}`,
    });
  }
  if (options.bias && options.bias.length !== n) {
    throw new InputError({
      code: 'shape',
      problem: `matmul: bias has ${options.bias.length} values, expected ${n}`,
    });
  }
}

/** A batched matmul whose B holds one K×N matrix uses it for every batch entry. */
export function sharesB(b: Float32Array, n: number, k: number, batch: number): boolean {
  return b.length === k * n && batch > 1;
}
