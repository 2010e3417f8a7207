import { LINEAR_XENT_COEFS } from '@ftcal/kernels';
import { InputError } from '../../errors.ts';
import { ABSENT, type ClassGroups } from '../groups.ts';
import type { LinearMap, MapVec } from './map.ts';

/** The shape of the maps a fit evaluates: fixed for the whole fit. */
export interface MapShape {
  form: LinearMap['form'];
  input: LinearMap['input'];
  cols: number;
}

/**
 * The data term of a linear-family fit (DESIGN.md §1.1) on one backend: the mean softmax cross-entropy of
 * s_i = W·x_i + b over the fitting rows, its gradient in (W, b), and its Hessian applied to directions,
 * with the rows kept where the backend computes (host memory, or the device) for the whole fit.
 */
export interface LinearData {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Fitting rows per label class: what the fit can place (and the absent-row check). */
  readonly labelCounts: Float64Array;
  /** Whether the rows stay resident between passes (else they are streamed from the source every pass). */
  readonly resident: boolean;
  /** Relative noise of `loss` from float32 rounding, below which a line search cannot tell two points apart. */
  readonly lossNoise: number;
  /**
   * The stopping max |∂L/∂θ| of DESIGN.md §1.1 for these sums: 1e-6 where they are float64 (the CPU
   * backend), 1e-4 where they are float32 partial sums (WebGPU).
   */
  readonly tolerance: number;
  /** Mean cross-entropy at `map` and its (W, b) gradient; the point of the following hessVecs. */
  lossGrad(map: LinearMap): Promise<{ loss: number; grad: MapVec }>;
  /** The mean cross-entropy's Hessian at the last lossGrad point, applied to each direction. */
  hessVecs(dirs: readonly MapVec[]): Promise<MapVec[]>;
  dispose(): void;
}

/** Runs `use` on `data` and disposes of it after, whatever happens. */
export async function usingLinearData<T>(
  data: LinearData,
  use: (data: LinearData) => Promise<T>,
): Promise<T> {
  try {
    return await use(data);
  } finally {
    data.dispose();
  }
}

/**
 * The kernels' coef array [a | b | da | db | mask] at a map (a, b used when diagonal; its masked classes),
 * for a direction (da, db; diagonal) or none.
 */
export function coefOf(map: LinearMap, dir: MapVec | null): Float32Array {
  const c = map.cols;
  const coef = new Float32Array(LINEAR_XENT_COEFS * c);
  if (map.form === 'diagonal') {
    coef.set(map.weights, 0);
    coef.set(map.bias, c);
    if (dir) {
      coef.set(dir.weights, 2 * c);
      coef.set(dir.bias, 3 * c);
    }
  }
  for (const m of map.masked) coef[4 * c + m] = 1;
  return coef;
}

/** Adds the labels' classes into `counts`. */
export function countLabels(labels: Int32Array, counts: Float64Array): void {
  for (const y of labels) counts[y]!++;
}

/**
 * A −∞ logit is a class masked in its row (it keeps score −∞ and adds nothing to the others), but a row
 * whose label is masked has infinite loss: the fit refuses it, naming the row.
 */
export function refuseMaskedLabels(
  x: Float32Array,
  labels: Int32Array,
  cols: number,
  firstRow: number,
  name: string,
): void {
  for (let r = 0; r < labels.length; r++) {
    if (x[r * cols + labels[r]!] !== Number.NEGATIVE_INFINITY) continue;
    throw new InputError({
      code: 'non-finite',
      file: name,
      problem: `row ${firstRow + r} has a −Infinity logit for its label ${labels[r]}, an infinite loss the linear family cannot fit`,
      fix: 'drop the rows whose label is masked',
    });
  }
}

export function countAbsent(labels: Int32Array, groups: ClassGroups): number {
  let n = 0;
  for (const y of labels) if (groups.codes[y] === ABSENT) n++;
  return n;
}
