import type { Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import { InputError } from '../../errors.ts';
import { missingLabels } from '../accuracy.ts';
import type { ClassGroups } from '../groups.ts';

export interface NewtonOptions {
  /** Stop when the gradient norm of the mean NLL falls to this. Default 1e-8. */
  tolerance?: number;
  /** Default 100. */
  maxIterations?: number;
}

/**
 * Default stopping gradient norm of the mean NLL. The CPU twin sums in f64; the WebGPU pass sums per-row
 * terms in f32 per workgroup, which leaves ~1e-6 relative noise in the mean gradient, so asking it for 1e-8
 * would end every fit in 'no-decrease' with converged = false although γ and T agree to ~1e-5.
 */
export function newtonTolerance(backend: Backend): number {
  return backend.kind === 'cpu' ? 1e-8 : 1e-5;
}

export type StopReason = 'gradient' | 'no-decrease' | 'max-iterations';

export interface NewtonDetails {
  converged: boolean;
  stopReason: StopReason;
  iterations: number;
  /** Euclidean norm of the gradient of the mean NLL at the returned point, in (γ, log T) coordinates. */
  gradNorm: number;
  /** The gradient norm counted as converged (see newtonTolerance). */
  tolerance: number;
  /** Mean NLL at the returned point. */
  nll: number;
  /** nllGrad passes over the data (one per iteration, each with every line-search step as a candidate). */
  passes: number;
  rows: number;
  /**
   * Whether every row stayed where the backend keeps them between passes (device memory on WebGPU,
   * host memory on the CPU) instead of being streamed again for every pass; `residentRows` of `rows` did.
   */
  residentLogits: boolean;
  residentRows: number;
}

/** Mean NLL, gradient and Hessian at K points, from the backend's summed nllGrad. */
export interface Evaluated {
  f: number;
  g: number[];
  h: number[][];
}

/** Line-search steps evaluated together in one pass: the largest one passing Armijo's test is taken. */
const STEPS = [1, 0.5, 0.25, 0.125, 1 / 16, 1 / 64, 1 / 256, 1 / 2048];
/** Largest move of one coordinate per iteration, so a near-flat Hessian cannot throw T to e^±1000. */
const MAX_STEP = 8;
const ARMIJO = 1e-4;

/**
 * The descent direction −|H|⁻¹g: the Hessian's eigenvalues are replaced by their absolute values (plus a
 * tiny floor), which keeps Newton's step where H is positive definite and turns it into a descent
 * direction where H is indefinite, far from the optimum.
 */
function direction(g: number[], h: number[][]): number[] {
  if (g.length === 1) {
    const a = Math.abs(h[0]![0]!);
    return [-g[0]! / (a + 1e-12 * (1 + a))];
  }
  const a = h[0]![0]!;
  const b = h[0]![1]!;
  const c = h[1]![1]!;
  const mid = (a + c) / 2;
  const rad = Math.hypot((a - c) / 2, b);
  const lambdas = [mid + rad, mid - rad];
  const floor = 1e-12 * (1 + Math.abs(mid) + rad);
  // Eigenvector of the larger eigenvalue; the other is its perpendicular.
  let v1 = rad === 0 ? [1, 0] : Math.abs(b) > 0 ? [lambdas[0]! - c, b] : a >= c ? [1, 0] : [0, 1];
  const n1 = Math.hypot(v1[0]!, v1[1]!);
  v1 = [v1[0]! / n1, v1[1]! / n1];
  const vs = [v1, [-v1[1]!, v1[0]!]];
  const d = [0, 0];
  for (let i = 0; i < 2; i++) {
    const v = vs[i]!;
    const coef = (v[0]! * g[0]! + v[1]! * g[1]!) / (Math.abs(lambdas[i]!) + floor);
    d[0]! -= coef * v[0]!;
    d[1]! -= coef * v[1]!;
  }
  return d;
}

/**
 * Damped Newton with a one-pass backtracking line search. `evaluate` returns mean NLL, gradient and
 * Hessian at each of several points; every iteration evaluates all line-search steps at once, and the
 * accepted step's gradient and Hessian come with it, so each iteration costs one pass over the data.
 */
export async function newtonMinimise(
  evaluate: (points: number[][]) => Promise<Evaluated[]>,
  start: number[],
  rows: number,
  residentRows: () => number,
  options: NewtonOptions = {},
): Promise<{ theta: number[]; details: NewtonDetails }> {
  const tolerance = options.tolerance ?? 1e-8;
  const maxIterations = options.maxIterations ?? 100;
  let theta = start;
  let [cur] = await evaluate([theta]);
  let passes = 1;
  if (!Number.isFinite(cur!.f)) {
    throw new InputError({
      code: 'non-finite',
      problem: `the NLL is not finite at the start (${cur!.f})`,
      fix: 'rows whose label logit is -Infinity have infinite NLL: drop them',
    });
  }
  let iterations = 0;
  let stopReason: StopReason = 'max-iterations';
  const norm = (g: number[]) => Math.hypot(...g);
  for (; iterations < maxIterations; iterations++) {
    if (norm(cur!.g) <= tolerance) {
      stopReason = 'gradient';
      break;
    }
    let d = direction(cur!.g, cur!.h);
    const big = Math.max(...d.map(Math.abs));
    if (big > MAX_STEP) d = d.map((x) => (x * MAX_STEP) / big);
    const slope = d.reduce((s, x, i) => s + x * cur!.g[i]!, 0);
    const trial = STEPS.map((a) => theta.map((x, i) => x + a * d[i]!));
    const results = await evaluate(trial);
    passes++;
    let chosen = STEPS.findIndex((a, j) => results[j]!.f <= cur!.f + ARMIJO * a * slope);
    if (chosen < 0) {
      // No step passes Armijo (rounding near the optimum): take the best one if it still decreases f.
      let best = 0;
      for (let j = 1; j < results.length; j++) if (results[j]!.f < results[best]!.f) best = j;
      chosen = results[best]!.f < cur!.f ? best : -1;
    }
    if (chosen < 0) {
      stopReason = 'no-decrease';
      break;
    }
    theta = trial[chosen]!;
    cur = results[chosen]!;
  }
  const gradNorm = norm(cur!.g);
  return {
    theta,
    details: {
      converged: gradNorm <= tolerance,
      stopReason,
      iterations,
      gradNorm,
      tolerance,
      nll: cur!.f,
      passes,
      rows,
      residentLogits: residentRows() === rows,
      residentRows: residentRows(),
    },
  };
}

/**
 * Mean NLL, gradient and Hessian in (γ, log T) at each (γ, log T) pair: one backend.nllGradResident pass
 * over the logits for all of them, with the rows it read from resident memory.
 */
export async function evaluatePairs(
  backend: Backend,
  logits: ResidentLogits,
  groups: ClassGroups,
  pairs: number[][],
): Promise<{ points: Evaluated[]; residentRows: number }> {
  if (!logits.labelled) throw missingLabels('nll and temperature', logits.name);
  const candidates = Float64Array.from(pairs.flat());
  const r = await backend.nllGradResident(logits, { groups: groups.codes, candidates });
  const n = r.rows;
  const points = pairs.map((_, j) => ({
    f: r.nll[j]! / n,
    g: [r.grad[2 * j]! / n, r.grad[2 * j + 1]! / n],
    h: [
      [r.hess[3 * j]! / n, r.hess[3 * j + 1]! / n],
      [r.hess[3 * j + 1]! / n, r.hess[3 * j + 2]! / n],
    ],
  }));
  return { points, residentRows: r.residentRows ?? 0 };
}
