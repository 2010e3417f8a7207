import type { AdapterReport } from '../device/adapter.ts';

/** Options shared by the ops that read calibrated scores s_c = (z_c + γ·[c∈U]) / T. */
export interface ScoreOptions {
  /** Bias added to the absent-class logits. Default 0. */
  gamma?: number;
  /** Temperature T > 0. Default 1. */
  temperature?: number;
  /** One group code per class (0 seen, 1 absent, 2 other); default: every class seen. */
  groups?: Uint32Array;
}

export interface SoftmaxOptions extends ScoreOptions {
  /** Log-softmax instead of softmax. */
  log?: boolean;
}

/**
 * One implementation of every kernel ftcal runs: `webgpu` (WGSL through Dawn) or `cpu` (the twins).
 * Both take and return row-major host arrays and split work that exceeds one storage binding, so
 * callers never see chunking; results agree bit for bit on max/argmax/counts, within stated
 * tolerances on sums.
 */
export interface Backend {
  readonly kind: 'webgpu' | 'cpu';
  /** One line for logs: backend kind and, for WebGPU, the adapter. */
  readonly name: string;
  readonly adapter: AdapterReport | null;
  softmax(z: Float32Array, rows: number, cols: number, options?: SoftmaxOptions): Promise<Float32Array>;
  dispose(): void;
}

export function checkShape(what: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
    throw new RangeError(`${what}: bad shape ${rows}×${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`${what}: ${data.length} values for shape ${rows}×${cols}`);
  }
}

export function groupsOrSeen(groups: Uint32Array | undefined, cols: number): Uint32Array {
  if (!groups) return new Uint32Array(cols);
  if (groups.length !== cols) throw new RangeError(`groups has ${groups.length} entries for ${cols} classes`);
  return groups;
}

export function checkTemperature(t: number): void {
  if (!(t > 0) || !Number.isFinite(t))
    throw new RangeError(`temperature must be a finite number > 0, got ${t}`);
}
