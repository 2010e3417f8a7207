import type { LinearData, MapShape } from '../calib/linear/data.ts';
import type { AdapterReport } from '../device/adapter.ts';
import type { ResidentLogits } from './resident-logits.ts';

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
 * C[b] = op(A[b])·op(B[b]) + bias for b < batch, row-major f32. op(A) is M×K and op(B) is K×N:
 * A is stored M×K (K×M when transA), B is stored K×N (N×K when transB, the nn.Linear weight layout).
 * When `b` holds a single matrix (K·N values) it is shared by every batch entry.
 */
export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** N values added to every row of every C[b]. */
  bias?: Float32Array;
  /** Number of matrices. Default 1. */
  batch?: number;
}

export interface RowStatsOptions {
  /** One group code per class (0 seen, 1 absent, 2 other). Required: the statistics are per group. */
  groups: Uint32Array;
  /** Label per row (class index); gives `label`, the label logit. Omit for unlabelled data. */
  labels?: Int32Array;
  /** Temperature for the two log-sum-exps. Default 1. */
  temperature?: number;
}

/**
 * DESIGN.md §1 row statistics, one entry per row. Maxima are of the raw logits z (not divided by T);
 * ties go to the lowest class index; an empty group gives max -Infinity and arg -1.
 * lseSO / lseU are log Σ exp(z_c / T) over S∪O and over U; logSqSO / logSqU are log Σ p_c² of the softmax
 * within the group, log Σ exp(2·z_c / T) − 2·lse (what the Brier score needs at any γ, in a form that
 * cannot overflow); all -Infinity for an empty group. These four are float64 arrays: the
 * CPU twin computes them in float64 (NLL of a confident row is a small difference of two of them), the
 * GPU kernel in float32. A row holding NaN or +Infinity has lseSO NaN after `rowPass` (its other fields
 * are then meaningless).
 */
export interface RowStats {
  rows: number;
  maxSO: Float32Array;
  argSO: Int32Array;
  maxU: Float32Array;
  argU: Int32Array;
  maxS: Float32Array;
  argS: Int32Array;
  /** z at the label (NaN without labels). */
  label: Float32Array;
  sumS: Float32Array;
  sumU: Float32Array;
  lseSO: Float64Array;
  lseU: Float64Array;
  logSqSO: Float64Array;
  logSqU: Float64Array;
}

/**
 * Logit moments of one row by class group, over its finite logits (-Infinity entries, masked classes, are
 * left out): how many, their sum and their sum of squares. Kept per row, like the statistics, so that
 * statistics of shards concatenate and every sum over rows is taken in row order whatever the split.
 */
export interface RowMoments {
  rows: number;
  countS: Int32Array;
  countU: Int32Array;
  countO: Int32Array;
  sumS: Float64Array;
  sumU: Float64Array;
  sumO: Float64Array;
  sumSqS: Float64Array;
  sumSqU: Float64Array;
  sumSqO: Float64Array;
}

/** A chunk accumulator to run in the row pass (calib/accumulators.ts): its registered name and parameters. */
export interface AccumulatorJob {
  name: string;
  /** Structured-clonable parameters (the pass may send them to worker threads). */
  params: unknown;
}

export interface RowPassOptions extends RowStatsOptions {
  /** 1 for rows the accumulators count (rows dropped for a label in O are 0); absent: every row. */
  keep?: Uint8Array;
  accumulators?: readonly AccumulatorJob[];
}

/** What one fused pass over a chunk of rows gives: statistics, moments, and each accumulator's state. */
export interface RowPass {
  stats: RowStats;
  moments: RowMoments;
  /** One state per job, in job order: the sum of the states of the rows counted. */
  accumulated: Float64Array[];
}

/** The calibration gradient pass over resident logits, whose labels come with them. */
export interface NllPassOptions {
  /** One group code per class (0 seen, 1 absent, 2 other). */
  groups: Uint32Array;
  /** K candidate pairs interleaved: (γ_0, logT_0, γ_1, logT_1, …). */
  candidates: Float64Array;
  /**
   * WebGPU: run the kernel's no-subgroup variant even where the device has subgroups (tests and the
   * bench compare the two). The CPU backend ignores it.
   */
  fallback?: boolean;
}

export interface NllGradOptions extends NllPassOptions {
  /** One label per row, in [0, cols). */
  labels: Int32Array;
}

/**
 * Sums over rows of NLL_i = logsumexp_c(s_ic) − s_iy with s_ic = (z_ic + γ·[c∈U]) / T, T = e^τ,
 * and their derivatives in (γ, τ), for each of K candidates (DESIGN.md §1 `nll`).
 */
export interface NllGradResult {
  k: number;
  rows: number;
  /** K sums of NLL. */
  nll: Float64Array;
  /** 2K: (∂/∂γ, ∂/∂τ) of the sums, interleaved. */
  grad: Float64Array;
  /** 3K: (∂²/∂γ², ∂²/∂γ∂τ, ∂²/∂τ²) of the sums, interleaved. */
  hess: Float64Array;
  /**
   * For a pass over ResidentLogits: rows read from where they were kept (device memory on WebGPU, host
   * memory on the CPU) rather than streamed for this pass.
   */
  residentRows?: number;
}

export interface LabelRankOptions {
  /** One group code per class (0 seen, 1 absent, 2 other). */
  groups: Uint32Array;
  /** One label per row, in [0, cols). */
  labels: Int32Array;
  /** Bias added to the absent-class logits. Default 0. */
  gamma?: number;
}

/**
 * Where each row's label ranks by score z + γ·[c∈U] (DESIGN.md §1.2 top-k): the number of classes
 * ranked before it, ties going to S∪O before U and then to the lower index. The label is among the top
 * k of a class set iff its rank there is < k.
 */
export interface LabelRanks {
  /** Among all C classes. */
  rankY: Int32Array;
  /** Among the classes of the label's own group (S, U or O); does not depend on γ. */
  rankOwn: Int32Array;
}

/** `sortKeys` result: the keys' bits in ascending order, and the input index of each. */
export interface SortedKeys {
  keys: Float32Array;
  order: Uint32Array;
}

/**
 * The calibration ops, on `webgpu` (WGSL through Dawn) or `cpu` (the TypeScript twins).
 * Both take and return row-major host arrays and split work that exceeds one storage binding, so
 * callers never see chunking; results agree bit for bit on max/argmax/counts, within stated
 * tolerances on sums. Both check their arguments the same way (validate.ts) before any work: a caller's
 * mistake is an InputError, and the drivers and twins below the boundary assume valid input.
 */
export interface Backend {
  readonly kind: 'webgpu' | 'cpu';
  /** One line for logs: backend kind and, for WebGPU, the adapter. */
  readonly name: string;
  readonly adapter: AdapterReport | null;
  softmax(z: Float32Array, rows: number, cols: number, options?: SoftmaxOptions): Promise<Float32Array>;
  /** C = op(A)·op(B) + bias, batched; returns batch·M·N values. */
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options?: MatmulOptions,
  ): Promise<Float32Array>;
  rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats>;
  /**
   * The engine's one read of a chunk (DESIGN.md §2): row statistics, per-row logit moments, NaN/+Infinity
   * rows marked (lseSO NaN; they are left out of the accumulators), and the chunk accumulators' states.
   */
  rowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): Promise<RowPass>;
  /** NLL, gradient and Hessian in (γ, log T) summed over rows, for K candidates at once. */
  nllGrad(z: Float32Array, rows: number, cols: number, options: NllGradOptions): Promise<NllGradResult>;
  /**
   * nllGrad summed over every kept row of labelled resident logits, in one pass. The WebGPU backend
   * keeps a copy on its device (uploaded by the first pass, reused by every later one until
   * `logits.release()`); the CPU backend reads the host chunks.
   */
  nllGradResident(logits: ResidentLogits, options: NllPassOptions): Promise<NllGradResult>;
  /**
   * The linear family's data term (DESIGN.md §1.1) over the kept, labelled rows of `logits`, for the whole
   * of one fit (`use`), disposed after it: on the WebGPU backend over its device copy, on the CPU backend
   * over the host chunks. One op for the whole fit, so a device lost in the middle of it re-runs the fit
   * on the CPU like any other op.
   */
  withLinearData<T>(
    logits: ResidentLogits,
    shape: MapShape,
    use: (data: LinearData) => Promise<T>,
  ): Promise<T>;
  /** The label's rank among all classes and within its group, at bias γ (top-k accuracy). */
  labelRanks(z: Float32Array, rows: number, cols: number, options: LabelRankOptions): Promise<LabelRanks>;
  /** Ascending, stable sort of f32 keys: returns the sorted keys and, for each position, the original index.
   *  Total order: -Infinity < finite (with -0 < +0) < +Infinity < NaN (all NaNs last, in input order). */
  sortKeys(keys: Float32Array): Promise<SortedKeys>;
  /** Each row divided by its L2 norm (NCM features); an all-zero row stays zero, a row with Inf/NaN is NaN. */
  l2Normalize(x: Float32Array, rows: number, cols: number): Promise<Float32Array>;
  dispose(): void;
}
