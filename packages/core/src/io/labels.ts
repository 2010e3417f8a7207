import { inputError } from './fail.ts';
import type { TensorSource } from './tensor-source.ts';

/** Rows per read while converting labels: bounds the f64 scratch for a very long label file. */
const LABEL_CHUNK = 1 << 20;

/**
 * Class-index labels from an integer array, or a float array holding integral values (as many exporters
 * write them). A 2-D array must have one column. Negative or non-integral values are errors: a class
 * index is neither, and rounding one silently would corrupt every accuracy.
 */
export async function labelsFromSource(source: TensorSource): Promise<Int32Array> {
  const file = source.name;
  if (source.shape.length === 2 && source.cols !== 1) {
    throw inputError(
      file,
      `labels must be 1-D but the array is ${source.rows}×${source.cols}`,
      'save one class index per row (for one-hot labels, save labels.argmax(1))',
      'labels',
    );
  }
  const out = new Int32Array(source.rows);
  for (let start = 0; start < source.rows; start += LABEL_CHUNK) {
    const count = Math.min(LABEL_CHUNK, source.rows - start);
    const values = await source.readRowsF64(start, count);
    for (let k = 0; k < count; k++) {
      const v = values[k]!;
      if (!Number.isInteger(v)) {
        const problem = Number.isNaN(v) ? 'is NaN' : `is ${v}, not an integer`;
        throw inputError(
          file,
          `label at row ${start + k} ${problem}`,
          'labels must be integer class indices',
          'labels',
        );
      }
      if (v < 0 || v > 0x7fffffff) {
        throw inputError(
          file,
          `label at row ${start + k} is ${v}, not a class index`,
          'labels must be class indices 0..C-1',
          'labels',
        );
      }
      out[start + k] = v;
    }
  }
  return out;
}
