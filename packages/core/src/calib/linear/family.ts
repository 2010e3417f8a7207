import { InputError } from '../../errors.ts';
import { ABSENT, type ClassGroups } from '../groups.ts';
import type { LinearMap, MapVec } from './map.ts';

/** The fitted members of the linear family (DESIGN.md §1.1); `wa` is closed-form (wa.ts). */
export type FittedLinearMethod = 'vector' | 'matrix' | 'dirichlet' | 'affine';

export const FITTED_LINEAR_METHODS: readonly FittedLinearMethod[] = [
  'vector',
  'matrix',
  'dirichlet',
  'affine',
];

export function isFittedLinear(method: string): method is FittedLinearMethod {
  return (FITTED_LINEAR_METHODS as readonly string[]).includes(method);
}

/** ODIR weights: λ on the off-diagonal entries of W, μ on the bias (DESIGN.md §1.1). */
export interface Odir {
  lambda: number;
  mu: number;
}

export const DEFAULT_ODIR: Odir = { lambda: 1e-3, mu: 1e-3 };

/**
 * One parametrisation θ ↦ (W, b) of s = W·x + b: how many parameters, where they start, and the chain rule
 * between θ and the map's (W, b) space, where the data passes work. Only affine is not linear in θ (its
 * scales are exp(θ_S), exp(θ_U)), so only it has a curvature term.
 */
export interface Parametrisation {
  readonly method: FittedLinearMethod;
  readonly size: number;
  readonly form: LinearMap['form'];
  readonly input: LinearMap['input'];
  readonly cols: number;
  readonly masked: readonly number[];
  initial(): Float64Array;
  map(theta: Float64Array): LinearMap;
  /** J·v: the map-space direction of θ-direction v at θ. */
  push(theta: Float64Array, v: Float64Array): MapVec;
  /** Jᵀ·g: the θ-gradient of a map-space gradient g at θ. */
  pull(theta: Float64Array, g: MapVec): Float64Array;
  /** Σ_k g_k·∂²map_k/∂θ² applied to v, for the map-space gradient g (zero for maps linear in θ). */
  curvature(theta: Float64Array, g: MapVec, v: Float64Array): Float64Array | null;
  /** The regulariser R(θ) with its gradient and (constant, diagonal) Hessian. */
  penalty(theta: Float64Array): { value: number; grad: Float64Array; hessDiag: Float64Array } | null;
  /**
   * θ moved along the directions the objective cannot see (a common shift of the placed classes' biases,
   * or of a column of their weights, when no penalty holds it) to one fixed representative: mean zero.
   */
  canonical(theta: Float64Array): Float64Array;
}

/** Subtracts the mean of theta[start + i·stride] over i < count from each of them. */
function centre(theta: Float64Array, start: number, stride: number, count: number): void {
  if (count === 0) return;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += theta[start + i * stride]!;
  for (let i = 0; i < count; i++) theta[start + i * stride]! -= sum / count;
}

/**
 * vector, matrix and dirichlet place only the classes the fitting set has rows labelled in: for any other
 * class (every class of O, since no row is labelled there, and any class of S ∪ U without fitting rows)
 * their likelihood pushes the score down without bound, so those classes are masked to −∞, the limit, and
 * have no parameters. affine ties every class to a group's scale, which keeps it bounded.
 */
function placedClasses(
  labelled: (c: number) => boolean,
  cols: number,
): { placed: number[]; masked: number[] } {
  const placed: number[] = [];
  const masked: number[] = [];
  for (let c = 0; c < cols; c++) (labelled(c) ? placed : masked).push(c);
  return { placed, masked };
}

function vector(cols: number, labelled: (c: number) => boolean): Parametrisation {
  const { placed, masked } = placedClasses(labelled, cols);
  const k = placed.length;
  return {
    method: 'vector',
    size: 2 * k,
    form: 'diagonal',
    input: 'logits',
    cols,
    masked,
    initial: () => {
      const t = new Float64Array(2 * k);
      t.fill(1, 0, k);
      return t;
    },
    map(theta) {
      const weights = new Float64Array(cols).fill(1);
      const bias = new Float64Array(cols);
      placed.forEach((c, i) => {
        weights[c] = theta[i]!;
        bias[c] = theta[k + i]!;
      });
      return { input: 'logits', form: 'diagonal', cols, weights, bias, masked };
    },
    push(_theta, v) {
      const weights = new Float64Array(cols);
      const bias = new Float64Array(cols);
      placed.forEach((c, i) => {
        weights[c] = v[i]!;
        bias[c] = v[k + i]!;
      });
      return { weights, bias };
    },
    pull(_theta, g) {
      const out = new Float64Array(2 * k);
      placed.forEach((c, i) => {
        out[i] = g.weights[c]!;
        out[k + i] = g.bias[c]!;
      });
      return out;
    },
    curvature: () => null,
    penalty: () => null,
    canonical(theta) {
      const t = Float64Array.from(theta);
      centre(t, k, 1, k);
      return t;
    },
  };
}

/** matrix and dirichlet: W's rows and b for the placed classes, θ = [W rows (K×C) | b (K)]. */
function full(
  method: 'matrix' | 'dirichlet',
  cols: number,
  labelled: (c: number) => boolean,
  odir: Odir,
): Parametrisation {
  const { placed, masked } = placedClasses(labelled, cols);
  const k = placed.length;
  const size = k * cols + k;
  // ODIR: λ·Σ_{i≠j} W_ij² / (C(C−1)) + μ·Σ_j b_j² / C; masked rows hold no weight and no bias.
  const weight = new Float64Array(size);
  placed.forEach((c, i) => {
    for (let j = 0; j < cols; j++) if (j !== c) weight[i * cols + j] = odir.lambda / (cols * (cols - 1));
    weight[k * cols + i] = odir.mu / cols;
  });
  const input = method === 'dirichlet' ? 'log-softmax' : 'logits';
  return {
    method,
    size,
    form: 'full',
    input,
    cols,
    masked,
    initial: () => {
      const t = new Float64Array(size);
      placed.forEach((c, i) => {
        t[i * cols + c] = 1;
      });
      return t;
    },
    map(theta) {
      const { weights, bias } = this.push(theta, theta);
      // Masked rows keep the identity's (their scores are −∞ whatever they hold).
      for (const c of masked) weights[c * cols + c] = 1;
      return { input, form: 'full', cols, weights, bias, masked };
    },
    push(_theta, v) {
      const weights = new Float64Array(cols * cols);
      const bias = new Float64Array(cols);
      placed.forEach((c, i) => {
        weights.set(v.subarray(i * cols, (i + 1) * cols), c * cols);
        bias[c] = v[k * cols + i]!;
      });
      return { weights, bias };
    },
    pull(_theta, g) {
      const out = new Float64Array(size);
      placed.forEach((c, i) => {
        out.set(g.weights.subarray(c * cols, (c + 1) * cols), i * cols);
        out[k * cols + i] = g.bias[c]!;
      });
      return out;
    },
    curvature: () => null,
    penalty(theta) {
      let value = 0;
      const grad = new Float64Array(size);
      const hessDiag = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        value += weight[i]! * theta[i]! ** 2;
        grad[i] = 2 * weight[i]! * theta[i]!;
        hessDiag[i] = 2 * weight[i]!;
      }
      return { value, grad, hessDiag };
    },
    canonical(theta) {
      const t = Float64Array.from(theta);
      if (odir.mu === 0) centre(t, k * cols, 1, k);
      // A common column u of the placed rows adds uᵀx to every placed score: invisible to the softmax.
      if (odir.lambda === 0) for (let j = 0; j < cols; j++) centre(t, j, cols, k);
      return t;
    },
  };
}

/** affine: θ = (θ_S, θ_U, β); s_c = exp(θ_S)·z_c on S ∪ O, exp(θ_U)·z_c + β on U. */
function affine(cols: number, groups: ClassGroups): Parametrisation {
  const absent = Array.from(groups.codes, (g) => g === ABSENT);
  const scales = (theta: Float64Array) => [Math.exp(theta[0]!), Math.exp(theta[1]!)] as const;
  return {
    method: 'affine',
    size: 3,
    form: 'diagonal',
    input: 'logits',
    cols,
    masked: [],
    initial: () => new Float64Array(3),
    map(theta) {
      const [aS, aU] = scales(theta);
      const weights = Float64Array.from(absent, (u) => (u ? aU : aS));
      const bias = Float64Array.from(absent, (u) => (u ? theta[2]! : 0));
      return { input: 'logits', form: 'diagonal', cols, weights, bias, masked: [] };
    },
    push(theta, v) {
      const [aS, aU] = scales(theta);
      const weights = new Float64Array(cols);
      const bias = new Float64Array(cols);
      absent.forEach((u, c) => {
        weights[c] = u ? aU * v[1]! : aS * v[0]!;
        bias[c] = u ? v[2]! : 0;
      });
      return { weights, bias };
    },
    pull(theta, g) {
      const [aS, aU] = scales(theta);
      const out = new Float64Array(3);
      absent.forEach((u, c) => {
        if (u) {
          out[1]! += aU * g.weights[c]!;
          out[2]! += g.bias[c]!;
        } else out[0]! += aS * g.weights[c]!;
      });
      return out;
    },
    curvature(theta, g, v) {
      // ∂²a/∂θ² = a for a = exp(θ): the diagonal term Σ_c g_c·a_c on θ_S and on θ_U.
      const pulled = this.pull(theta, { weights: g.weights, bias: new Float64Array(cols) });
      return Float64Array.of(pulled[0]! * v[0]!, pulled[1]! * v[1]!, 0);
    },
    penalty: () => null,
    canonical: (theta) => Float64Array.from(theta),
  };
}

/** What a method's maps look like: known before the fit, so its rows can be laid out first. */
export function mapShape(
  method: FittedLinearMethod,
  cols: number,
): { form: LinearMap['form']; input: LinearMap['input']; cols: number } {
  return {
    form: method === 'matrix' || method === 'dirichlet' ? 'full' : 'diagonal',
    input: method === 'dirichlet' ? 'log-softmax' : 'logits',
    cols,
  };
}

/**
 * The parametrisation of `method` for a head of `cols` classes, whose fitting set has `labelCounts[c]` rows
 * labelled c: vector, matrix and dirichlet place the classes counted there (the others are masked),
 * affine takes its two scales from `groups` (U against S ∪ O). `groups` null (only the fitter's own tests,
 * at C = 1, which has no groups) serves vector, matrix and dirichlet alone.
 */
export function parametrise(
  method: FittedLinearMethod,
  cols: number,
  groups: ClassGroups | null,
  labelCounts: ArrayLike<number>,
  odir: Odir = DEFAULT_ODIR,
): Parametrisation {
  const labelled = (c: number) => labelCounts[c]! > 0;
  switch (method) {
    case 'vector':
      return vector(cols, labelled);
    case 'matrix':
    case 'dirichlet':
      return full(method, cols, labelled, odir);
    case 'affine':
      if (!groups) {
        throw new InputError({
          code: 'groups',
          problem: 'affine needs class groups (its scales are per group)',
        });
      }
      return affine(cols, groups);
  }
}
