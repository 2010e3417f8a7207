import type { Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import { InputError } from '../../errors.ts';
import { type ClassGroups, OTHER } from '../groups.ts';
import { checkOption } from '../option-checks.ts';
import { countAbsent } from './data.ts';
import {
  DEFAULT_ODIR,
  type FittedLinearMethod,
  isFittedLinear,
  mapShape,
  type Odir,
  parametrise,
} from './family.ts';
import type { LinearMap } from './map.ts';
import { type LinearFitDetails, type LinearNewtonOptions, minimiseLinear } from './newton.ts';

export interface LinearFitOptions extends LinearNewtonOptions {
  /** ODIR weights of matrix and dirichlet. Default λ = μ = 1e-3. */
  odir?: Odir;
}

export interface LinearFitResult {
  method: FittedLinearMethod;
  map: LinearMap;
  details: LinearFitDetails & {
    /**
     * Classes of S ∪ U the fitting set has no rows labelled in: vector, matrix and dirichlet hold them at
     * −∞ (as every class of O), so the calibrated scores never predict them.
     */
    unlabelledClasses: number[];
    /** matrix, dirichlet: the ODIR weights used. */
    odir?: Odir;
    /** affine: θ_S, θ_U (log scales) and β. */
    affine?: { thetaS: number; thetaU: number; beta: number };
  };
}

/**
 * The refusal of DESIGN.md §1.1: fitted on rows labelled in S alone, a calibrator learns to push the absent
 * classes down, the very damage γ undoes.
 */
export function noAbsentRows(method: string, file: string): InputError {
  return new InputError({
    code: 'labels',
    file,
    problem: `${method} is fitted on labelled rows and this fitting set has none labelled in U (absent classes)`,
    fix: 'fitting on seen-labelled rows alone would push the absent classes down: fit on a labelled set that covers them',
  });
}

/**
 * Refuses, before any work, to run fitted methods of the linear family on a fitting set with no rows
 * labelled in U (counted over all its rows; fitLinear counts again over the rows kept).
 */
export function refuseUnfittable(
  methods: readonly string[],
  fitSet: { logits: { name: string }; labels: Int32Array },
  groups: ClassGroups,
): void {
  const fitted = methods.find(isFittedLinear);
  if (fitted && countAbsent(fitSet.labels, groups) === 0) throw noAbsentRows(fitted, fitSet.logits.name);
}

/** The data term where the backend computes: host memory and backend.matmul, or the WebGPU device. */
function countAbsentIn(labelCounts: Float64Array, groups: ClassGroups): number {
  let n = 0;
  for (const c of groups.absent) n += labelCounts[c]!;
  return n;
}

/**
 * Fits one member of the linear family (vector, matrix, dirichlet, affine; DESIGN.md §1.1) on the kept,
 * labelled rows of `logits`: the mean cross-entropy of s = W·x + b (plus ODIR for matrix and dirichlet)
 * minimised by Newton steps (minimiseLinear), the rows kept where the backend computes for the whole fit.
 * `groups` null fits every class (no absent-row check): the fitter's tests at C = 1 use it.
 */
export async function fitLinear(
  backend: Backend,
  logits: ResidentLogits,
  groups: ClassGroups | null,
  method: FittedLinearMethod,
  options: LinearFitOptions = {},
): Promise<LinearFitResult> {
  const odir = options.odir ?? DEFAULT_ODIR;
  checkOption(odir.lambda, 'odir', 'the ODIR weight λ', 'nonNegative');
  checkOption(odir.mu, 'odir', 'the ODIR weight μ', 'nonNegative');
  return backend.withLinearData(logits, mapShape(method, logits.cols), async (data) => {
    if (groups && countAbsentIn(data.labelCounts, groups) === 0) throw noAbsentRows(method, logits.name);
    const param = parametrise(method, logits.cols, groups, data.labelCounts, odir);
    const { theta, details } = await minimiseLinear(
      param,
      data,
      options.tolerance ?? data.tolerance,
      options,
    );
    return {
      method,
      map: param.map(theta),
      details: {
        ...details,
        unlabelledClasses: param.masked.filter((c) => !groups || groups.codes[c] !== OTHER),
        ...(param.form === 'full' ? { odir } : {}),
        ...(method === 'affine' ? { affine: { thetaS: theta[0]!, thetaU: theta[1]!, beta: theta[2]! } } : {}),
      },
    };
  });
}
