import type { Backend } from '../../backend/backend.ts';
import type { HeadWeights } from '../diagnostics.ts';
import type { ClassGroups } from '../groups.ts';
import { type LinearMethodName, methodNeeds } from '../methods/result.ts';
import type { LogitPasses } from '../passes.ts';
import type { FittedLinearMethod, Odir } from './family.ts';
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
