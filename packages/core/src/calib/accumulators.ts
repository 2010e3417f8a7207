import type { AccumulatorJob, Backend, RowStats } from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import { classwiseAccumulator } from './metrics/classwise.ts';
import { topKAccumulator } from './metrics/topk.ts';

/**
 * Chunk accumulators: what the one pass over the logits (Backend.rowPass) computes besides per-row
 * statistics, for metrics that need every logit of a row at the operating point and cannot be kept per
 * row (classwise ECE needs p_ic for all C classes). The pass calls `addRow` for every counted row while
 * the row is in cache, on worker threads for the CPU backend and on the calling thread otherwise; each
 * worker task has a state of its own, and states combine by elementwise addition: over tasks, chunks,
 * and the shards of a statistics file (DESIGN.md §1.3). A state whose words hold integers (counts, or
 * sums in fixed units such as 2^-24) therefore gives exactly the same result however the rows were split;
 * a float sum would differ in its last bits.
 *
 * An accumulator is registered in ACCUMULATORS under a name: worker threads find it there (a function
 * cannot be sent to them), and a statistics file names the states it holds.
 */

/** Rows of one chunk as the pass sees them: row r's logits are z[r·cols, (r+1)·cols). */
export interface ChunkRows {
  z: Float32Array;
  cols: number;
  /** One group code per class: 0 seen, 1 absent, 2 other. */
  groups: Uint32Array;
  /** Class index per row, or null for unlabelled rows. */
  labels: Int32Array | null;
  /** fround(1 / T), the temperature of the statistics. */
  invT: number;
  /** The statistics of these rows, already computed when addRow runs (same row index). */
  stats: Omit<RowStats, 'rows'>;
}

/** A whole chunk as a device path sees it: its rows, and which of them the accumulators count. */
export interface DeviceChunk extends ChunkRows {
  rows: number;
  /** 1 for a row to add (kept, and with no NaN/+Infinity logit). */
  counted: Uint8Array;
}

export interface ChunkAccumulator<P = never> {
  /** Words of state for these parameters and this many classes. */
  stateLength(params: P, cols: number): number;
  /** Adds row r of the chunk (never a row with NaN/+Infinity logits or dropped for its label) to `state`. */
  addRow(state: Float64Array, params: P, chunk: ChunkRows, r: number): void;
  /**
   * Optional device path: the WebGPU backend's rowPass adds the whole chunk through the backend's own
   * kernels instead of calling addRow per row on the host. It must add exactly what addRow would.
   */
  addChunk?(backend: Backend, state: Float64Array, params: P, chunk: DeviceChunk): Promise<void>;
}

/** Every accumulator the pass can run, by name: DESIGN.md §1.2's top-k splits and classwise ECE. */
export const ACCUMULATORS: Record<string, ChunkAccumulator<never>> = {
  topK: topKAccumulator as ChunkAccumulator<never>,
  classwise: classwiseAccumulator as ChunkAccumulator<never>,
};

/** The registered accumulator of a job; a name nobody registered is the caller's mistake. */
export function accumulatorOf(job: AccumulatorJob): ChunkAccumulator<unknown> {
  const acc = ACCUMULATORS[job.name] as ChunkAccumulator<unknown> | undefined;
  if (!acc) {
    throw new InputError({
      code: 'option',
      problem: `no chunk accumulator named '${job.name}'`,
      fix: `use one of ${Object.keys(ACCUMULATORS).join(', ') || '(none registered)'}`,
    });
  }
  return acc;
}

/** Adds `from` into `into`, word by word. */
export function addState(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
}
