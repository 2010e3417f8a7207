/** Every way of choosing the calibration (DESIGN.md §1 "Choosing γ"). */
export type MethodName = 'alg' | 'oracle' | 'constrained' | 'hmean' | 'pcv' | 'nll' | 'temperature';

export const METHOD_NAMES: readonly MethodName[] = [
  'alg',
  'oracle',
  'constrained',
  'hmean',
  'pcv',
  'nll',
  'temperature',
];

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
