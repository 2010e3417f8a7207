import type { Backend } from '../../backend/backend.ts';
import type { HeadWeights } from '../diagnostics.ts';
import type { ClassGroups } from '../groups.ts';
import { type LinearMethodName, methodNeeds } from '../methods/result.ts';
import type { LogitPasses } from '../passes.ts';
import { type FittedLinearMethod, type Odir, parametrise } from './family.ts';
import { fitLinear, type LinearFitOptions, type LinearFitResult } from './fit.ts';
import type { LinearMap } from './map.ts';
import { type WaDetails, weightAligning } from './wa.ts';

/** What a linear-family method gives: its map and how it got there (fit details, or wa's ratio). */
export interface LinearMethodResult {
  method: LinearMethodName;
  map: LinearMap;
  details: LinearFitResult['details'] | WaDetails;
}

export interface LinearMethodInput {
  /** The fitting set's kept, labelled rows (vector, matrix, dirichlet, affine). */
  passes: () => Promise<LogitPasses>;
  groups: ClassGroups;
  /** The head (wa). */
  weights?: HeadWeights;
  bias?: Float32Array;
  odir?: Odir;
  fit?: LinearFitOptions;
}

/** Runs one method of the linear family (DESIGN.md §1.1): a fit, or wa in closed form from the head. */
export async function linearMethod(
  backend: Backend,
  method: LinearMethodName,
  input: LinearMethodInput,
): Promise<LinearMethodResult> {
  if (method === 'wa') {
    if (!input.weights) throw methodNeeds('wa', "the head's weights", 'weights');
    return { method, ...weightAligning(input.weights, input.bias ?? null, input.groups) };
  }
  const fitted: FittedLinearMethod = method;
  const r = await fitLinear(backend, await input.passes(), input.groups, fitted, {
    ...input.fit,
    ...(input.odir ? { odir: input.odir } : {}),
  });
  return { method, map: r.map, details: r.details };
}

/**
 * matrix and dirichlet run by default up to this many parameters (a full map of C = 100 classes): their
 * cost grows with C² per row, so beyond it they run only when named in `methods`.
 */
export const DEFAULT_FULL_MAP_PARAMETERS = 10_100;

/** The parameters of matrix or dirichlet when over DEFAULT_FULL_MAP_PARAMETERS (so not run by default), else null. */
export function tooLargeByDefault(method: string, groups: ClassGroups): number | null {
  if (method !== 'matrix' && method !== 'dirichlet') return null;
  // Every class counted as labelled: the most parameters a fit on these groups can have.
  const size = parametrise(
    method,
    groups.numClasses,
    groups,
    new Float64Array(groups.numClasses).fill(1),
  ).size;
  return size > DEFAULT_FULL_MAP_PARAMETERS ? size : null;
}
