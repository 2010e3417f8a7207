import type { Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import type { HeadWeights } from '../diagnostics.ts';
import type { ClassGroups } from '../groups.ts';
import { type LinearMethodName, methodNeeds } from '../methods/result.ts';
import { countLabels } from './data.ts';
import { type FittedLinearMethod, isFittedLinear, type Odir, parametrise } from './family.ts';
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
  logits: () => Promise<ResidentLogits>;
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
  const r = await fitLinear(backend, await input.logits(), input.groups, fitted, {
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

/** Why a fitted linear method is left out of the default methods, with the numbers to say so. */
export interface DefaultSkip {
  /** `too-large`: a full map over DEFAULT_FULL_MAP_PARAMETERS; `too-few-rows`: fewer fitting rows than parameters. */
  reason: 'too-large' | 'too-few-rows';
  parameters: number;
  rows: number;
}

/**
 * Whether `method` stays out of the default methods for a fitting set with these labels, and why: a full
 * map too large to fit by default, or more parameters than fitting rows, where the classes tend to
 * separate and the likelihood to have no optimum. Named in `methods`, it runs anyway. Null: it runs.
 */
export function defaultSkip(method: string, groups: ClassGroups, labels: Int32Array): DefaultSkip | null {
  if (!isFittedLinear(method)) return null;
  const counts = new Float64Array(groups.numClasses);
  countLabels(labels, counts);
  const parameters = parametrise(method, groups.numClasses, groups, counts).size;
  const rows = labels.length;
  if ((method === 'matrix' || method === 'dirichlet') && parameters > DEFAULT_FULL_MAP_PARAMETERS) {
    return { reason: 'too-large', parameters, rows };
  }
  return rows < parameters ? { reason: 'too-few-rows', parameters, rows } : null;
}
