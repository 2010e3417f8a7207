import { InputError } from '../../errors.ts';

/** The linear calibrator family (DESIGN.md §1.1): s = W·x + b instead of a (γ, T). */
export type LinearMethodName = 'vector' | 'matrix' | 'dirichlet' | 'affine' | 'wa';

/** Every way of choosing the calibration (DESIGN.md §1 "Choosing γ", §1.1). */
export type MethodName =
  | 'alg'
  | 'oracle'
  | 'constrained'
  | 'hmean'
  | 'pcv'
  | 'nll'
  | 'temperature'
  | LinearMethodName;

export const LINEAR_METHOD_NAMES: readonly LinearMethodName[] = [
  'vector',
  'matrix',
  'dirichlet',
  'affine',
  'wa',
];

export const METHOD_NAMES: readonly MethodName[] = [
  'alg',
  'oracle',
  'constrained',
  'hmean',
  'pcv',
  'nll',
  'temperature',
  ...LINEAR_METHOD_NAMES,
];

export function isLinearMethod(m: MethodName): m is LinearMethodName {
  return (LINEAR_METHOD_NAMES as readonly string[]).includes(m);
}

/**
 * What each method returns: the bias γ on absent-class logits, the temperature T (1 for the methods that
 * only choose γ) and method-specific details (rows used, iterations, the curve point chosen…).
 */
export interface MethodResult<D = Record<string, unknown>> {
  method: MethodName;
  gamma: number;
  temperature: number;
  details: D;
}

/** A method run without an input it needs: an InputError whose fix names the input's option. */
export function methodNeeds(method: MethodName, what: string, option: string): InputError {
  return new InputError({
    code: 'unsupported',
    problem: `${method} needs ${what}`,
    fix: `pass {option} or drop ${method}`,
    option: { name: option },
  });
}
