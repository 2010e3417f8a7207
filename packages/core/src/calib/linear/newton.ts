import { InputError } from '../../errors.ts';
import type { LinearData } from './data.ts';
import { choleskySolve, symmetricEigen } from './eigen.ts';
import type { Parametrisation } from './family.ts';
import type { MapVec } from './map.ts';

export interface LinearNewtonOptions {
  /** Stop when the largest gradient entry falls to this. Default 1e-6 on the CPU backend, 1e-4 on WebGPU. */
  tolerance?: number;
  /** Default 100. */
  maxIterations?: number;
  /** Form the exact Hessian up to this many parameters; truncated Newton beyond. Default 128. */
  exactHessianMax?: number;
  /** Conjugate-gradient steps per truncated Newton step at most. Default 250. */
  maxCgIterations?: number;
}

export type LinearStopReason = 'gradient' | 'no-decrease' | 'max-iterations';

export interface LinearFitDetails {
  converged: boolean;
  stopReason: LinearStopReason;
  /** Newton steps taken. */
  iterations: number;
  /** The objective L (mean NLL + the ODIR penalty) at the returned parameters. */
  loss: number;
  /** Its mean NLL part. */
  nll: number;
  /** max_k |∂L/∂θ_k| at the returned parameters. */
  gradNorm: number;
  tolerance: number;
  /** How the Newton steps were solved: the formed Hessian, or conjugate gradients on its products. */
  hessian: 'exact' | 'truncated';
  /** Hessian-vector products (each two matmuls and a softmax pass for a full map). */
  hessianProducts: number;
  /** Loss-and-gradient passes over the rows (one per line-search trial). */
  passes: number;
  parameters: number;
  rows: number;
  residentLogits: boolean;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;
/** Directions per batch of Hessian products when the Hessian is formed (bounds the memory of one pass). */
const BASIS_BATCH = 32;

interface Point {
  theta: Float64Array;
  loss: number;
  nll: number;
  grad: Float64Array;
  /** The map-space gradient, for affine's curvature term. */
  mapGrad: MapVec;
}

const infNorm = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const dotOf = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** The objective in θ: the data term through the parametrisation's chain rule, plus the ODIR penalty. */
class Objective {
  hessianProducts = 0;
  passes = 0;
  constructor(
    readonly param: Parametrisation,
    readonly data: LinearData,
  ) {}

  async at(theta: Float64Array): Promise<Point> {
    this.passes++;
    const { loss: nll, grad: mapGrad } = await this.data.lossGrad(this.param.map(theta));
    const grad = this.param.pull(theta, mapGrad);
    const r = this.param.penalty(theta);
    if (r) for (let i = 0; i < grad.length; i++) grad[i]! += r.grad[i]!;
    return { theta, loss: nll + (r?.value ?? 0), nll, grad, mapGrad };
  }

  /** H·v for each v, at `point` (the data term's last lossGrad). */
  async hessVecs(point: Point, vs: readonly Float64Array[]): Promise<Float64Array[]> {
    this.hessianProducts += vs.length;
    const { theta } = point;
    const products = await this.data.hessVecs(vs.map((v) => this.param.push(theta, v)));
    const hessDiag = this.param.penalty(theta)?.hessDiag;
    return products.map((hv, j) => {
      const v = vs[j]!;
      const out = this.param.pull(theta, hv);
      const extra = this.param.curvature(theta, point.mapGrad, v);
      for (let i = 0; i < out.length; i++) out[i]! += (extra?.[i] ?? 0) + (hessDiag?.[i] ?? 0) * v[i]!;
      return out;
    });
  }
}

/**
 * The Newton step from the formed Hessian: by Cholesky where it is clearly positive definite, else from its
 * eigenvalues by their absolute values (affine's start can be non-convex in θ), floored at 1e-10 of the
 * largest so a flat direction (vector's common bias shift) takes no step beyond its rounding noise.
 */
async function exactStep(obj: Objective, point: Point): Promise<Float64Array> {
  const n = point.grad.length;
  const h = new Float64Array(n * n);
  for (let j0 = 0; j0 < n; j0 += BASIS_BATCH) {
    const basis = Array.from({ length: Math.min(BASIS_BATCH, n - j0) }, (_, i) => {
      const e = new Float64Array(n);
      e[j0 + i] = 1;
      return e;
    });
    const cols = await obj.hessVecs(point, basis);
    cols.forEach((col, i) => {
      for (let r = 0; r < n; r++) h[r * n + j0 + i] = col[r]!;
    });
  }
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) {
      const avg = (h[r * n + c]! + h[c * n + r]!) / 2;
      h[r * n + c] = avg;
      h[c * n + r] = avg;
    }
  }
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(h[i * n + i]!));
  const direct = choleskySolve(h, point.grad, n, 1e-8 * maxDiag);
  if (direct) return direct.map((x) => -x);
  const { values, vectors } = symmetricEigen(h, n);
  const top = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const floor = Math.max(1e-10 * top, 1e-300);
  const step = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let proj = 0;
    for (let r = 0; r < n; r++) proj += vectors[r * n + k]! * point.grad[r]!;
    const coef = -proj / Math.max(Math.abs(values[k]!), floor);
    for (let r = 0; r < n; r++) step[r]! += coef * vectors[r * n + k]!;
  }
  return step;
}

/**
 * Truncated Newton: conjugate gradients on H·d = −g from d = 0, each iteration one Hessian-vector product,
 * stopped at a residual of min(0.5, √‖g‖)·‖g‖ (which keeps convergence superlinear), at non-positive
 * curvature, or after `maxCg` products.
 */
async function cgStep(obj: Objective, point: Point, maxCg: number): Promise<Float64Array> {
  const g = point.grad;
  const n = g.length;
  const gNorm = Math.sqrt(dotOf(g, g));
  const target = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
  const d = new Float64Array(n);
  const r = g.map((x) => -x);
  let p = Float64Array.from(r);
  let rr = dotOf(r, r);
  for (let j = 0; j < maxCg; j++) {
    const [hp] = await obj.hessVecs(point, [p]);
    const curv = dotOf(p, hp!);
    if (!(curv > 0)) {
      if (j === 0) return Float64Array.from(r);
      break;
    }
    const alpha = rr / curv;
    for (let i = 0; i < n; i++) {
      d[i]! += alpha * p[i]!;
      r[i]! -= alpha * hp![i]!;
    }
    const next = dotOf(r, r);
    if (Math.sqrt(next) <= target) break;
    const beta = next / rr;
    p = p.map((x, i) => r[i]! + beta * x);
    rr = next;
  }
  return d;
}

/**
 * Minimises the linear family's objective (DESIGN.md §1.1) by Newton steps with a backtracking line
 * search: the exact Hessian while the parameters number at most `exactHessianMax`, conjugate gradients on
 * Hessian-vector products beyond. A step is taken at the first halving that passes Armijo's test; near the
 * optimum, where the decrease falls below the loss's float32 noise, a full step that does not raise the
 * loss beyond that noise and lowers the gradient is taken too. Stops at max|∂L/∂θ| ≤ tolerance, when no
 * step helps, or after maxIterations, and says which.
 */
export async function minimiseLinear(
  param: Parametrisation,
  data: LinearData,
  tolerance: number,
  options: LinearNewtonOptions = {},
): Promise<{ theta: Float64Array; details: LinearFitDetails }> {
  const maxIterations = options.maxIterations ?? 100;
  const exact = param.size <= (options.exactHessianMax ?? 128);
  const maxCg = options.maxCgIterations ?? 250;
  const obj = new Objective(param, data);
  let cur = await obj.at(param.initial());
  if (!Number.isFinite(cur.loss)) {
    throw new InputError({
      code: 'non-finite',
      file: data.name,
      problem: `the ${param.method} objective is not finite at its start (${cur.loss})`,
      fix: 'fit on finite logits',
    });
  }
  let iterations = 0;
  let stopReason: LinearStopReason = 'max-iterations';
  for (; iterations < maxIterations; iterations++) {
    const gMax = infNorm(cur.grad);
    if (gMax <= tolerance) {
      stopReason = 'gradient';
      break;
    }
    let step = exact ? await exactStep(obj, cur) : await cgStep(obj, cur, maxCg);
    let slope = dotOf(step, cur.grad);
    if (!(slope < 0)) {
      step = cur.grad.map((x) => -x);
      slope = -dotOf(cur.grad, cur.grad);
    }
    const noise = data.lossNoise * Math.max(1, Math.abs(cur.loss));
    let next: Point | null = null;
    // Halving stops once the decrease Armijo asks for is below the loss's noise: it could not be seen.
    for (let h = 0, alpha = 1; h < MAX_HALVINGS && (h === 0 || -alpha * slope > noise); h++, alpha /= 2) {
      const trial = await obj.at(cur.theta.map((x, i) => x + alpha * step[i]!));
      const armijo = trial.loss <= cur.loss + ARMIJO * alpha * slope;
      const withinNoise = h === 0 && trial.loss <= cur.loss + noise && infNorm(trial.grad) < gMax;
      if (armijo || withinNoise) {
        next = trial;
        break;
      }
    }
    if (!next) {
      stopReason = 'no-decrease';
      break;
    }
    cur = next;
  }
  const gradNorm = infNorm(cur.grad);
  return {
    theta: param.canonical(cur.theta),
    details: {
      converged: gradNorm <= tolerance,
      stopReason,
      iterations,
      loss: cur.loss,
      nll: cur.nll,
      gradNorm,
      tolerance,
      hessian: exact ? 'exact' : 'truncated',
      hessianProducts: obj.hessianProducts,
      passes: obj.passes,
      parameters: param.size,
      rows: data.rows,
      residentLogits: data.resident,
    },
  };
}
