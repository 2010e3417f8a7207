import { InputError } from '../../errors.ts';
import type { RowSource } from '../../io/row-source.ts';

/**
 * What a logits input holds (DESIGN.md §1.2): logits (or log-probabilities, which are valid logits as
 * they are), or probabilities, which are turned into logits as log(max(p, 1e-45)).
 */
export type InputKind = 'logits' | 'probs';

export const INPUT_KINDS: readonly InputKind[] = ['logits', 'probs'];

/** How far a row of probabilities may sum from 1, and a value rise above 1 (f16/f32 rounding). */
const SUM_TOLERANCE = 1e-3;
/** The smallest f32 subnormal is 1.4e-45: log(p) stays finite for p = 0. */
const TINY = 1e-45;

/** Every value in [0, 1] and every row summing to 1 within 1e-3: probabilities, not logits. */
export function looksLikeProbabilities(z: Float32Array, rows: number, cols: number): boolean {
  if (rows === 0) return false;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) {
      const v = z[c]!;
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    if (!(Math.abs(sum - 1) <= SUM_TOLERANCE)) return false;
  }
  return true;
}

/** log(max(p, 1e-45)) of every value into `out`, which may be `p` itself. */
function probabilitiesAsLogits(
  source: RowSource,
  start: number,
  p: Float32Array,
  out: Float32Array = new Float32Array(p.length),
): Float32Array {
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (!(v >= 0 && v <= 1 + SUM_TOLERANCE)) {
      throw new InputError({
        code: 'input-kind',
        file: source.name,
        problem: `probabilities were announced but row ${start + Math.floor(i / source.cols)} holds ${v}, outside [0, 1]`,
        fix: 'these look like logits: leave {option} out',
        option: { name: 'inputKind', value: 'probs' },
      });
    }
    out[i] = Math.log(Math.max(v, TINY));
  }
  return out;
}

/**
 * The logits of `source` as the engine should read them. For 'logits' (the default) the first chunk
 * (the read that starts at row 0) is checked once: if it looks like probabilities, the read fails with
 * one InputError saying so, since calibrating probabilities as logits silently gives wrong answers.
 * For 'probs' every chunk is turned into log(max(p, 1e-45)), and a value outside [0, 1] is an error.
 */
export function withInputKind(source: RowSource, kind: InputKind = 'logits'): RowSource {
  if (!INPUT_KINDS.includes(kind)) {
    throw new InputError({
      code: 'option',
      problem: `input kind '${kind}' is not one of ${INPUT_KINDS.join(', ')}`,
      fix: 'pass logits or probs as {option}',
      option: { name: 'inputKind' },
    });
  }
  let checked = false;
  const checkFirst = (start: number, count: number, z: Float32Array) => {
    if (start !== 0 || checked) return;
    checked = true;
    if (looksLikeProbabilities(z, count, source.cols)) {
      throw new InputError({
        code: 'input-kind',
        file: source.name,
        problem: `these are probabilities, not logits (the first ${count} rows are in [0, 1] and each sums to 1)`,
        fix: 'pass the logits before softmax, or {option} to use log(p) as logits',
        option: { name: 'inputKind', value: 'probs' },
      });
    }
  };
  const wrapped: RowSource = {
    name: source.name,
    rows: source.rows,
    cols: source.cols,
    close: () => source.close(),
    async readRows(start, count) {
      const z = await source.readRows(start, count);
      if (kind === 'probs') return probabilitiesAsLogits(source, start, z);
      checkFirst(start, count, z);
      return z;
    },
  };
  // Kept where the source has it: the engine's chunk streams then reuse their (shared) buffers, which
  // the CPU pool reads in place, instead of allocating every chunk.
  if (source.readRowsInto) {
    const into = source.readRowsInto.bind(source);
    wrapped.readRowsInto = async (start, count, out) => {
      await into(start, count, out);
      if (kind === 'probs') probabilitiesAsLogits(source, start, out, out);
      else checkFirst(start, count, out);
    };
  }
  return wrapped;
}
