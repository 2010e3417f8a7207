import type { Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import { InputError } from '../../errors.ts';
import type { ClassGroups } from '../groups.ts';
import { checkOption } from '../option-checks.ts';
import {
  type Evaluated,
  evaluatePairs,
  type NewtonDetails,
  type NewtonOptions,
  newtonMinimise,
  newtonTolerance,
} from './newton.ts';
import type { MethodResult } from './result.ts';

export interface NllOptions extends NewtonOptions {
  /** Starting point. Default γ = 0, T = 1. */
  gamma?: number;
  temperature?: number;
}

function startTemperature(t: number | undefined): number {
  const temperature = t ?? 1;
  checkOption(temperature, 'temperature', 'the starting T', 'temperature');
  return Math.log(temperature);
}

function requireRows(logits: ResidentLogits, what: string): void {
  if (logits.rows === 0) {
    throw new InputError({
      code: 'labels',
      file: logits.name,
      problem: `${what} needs at least one labelled row`,
      fix: 'pass a labelled set with at least one row kept',
    });
  }
}

/**
 * Newton on `start` over resident logits: every evaluation (one per iteration, all line-search steps as
 * candidates) is one pass, `toPair` maps the method's coordinates to (γ, log T) and `fromPair` takes
 * the method's part of each result back.
 */
function fit(
  backend: Backend,
  logits: ResidentLogits,
  groups: ClassGroups,
  start: number[],
  toPair: (theta: number[]) => number[],
  fromPair: (e: Evaluated) => Evaluated,
  options: NewtonOptions,
): Promise<{ theta: number[]; details: NewtonDetails }> {
  let residentRows = 0;
  const evaluate = async (points: number[][]) => {
    const r = await evaluatePairs(backend, logits, groups, points.map(toPair));
    residentRows = r.residentRows;
    return r.points.map(fromPair);
  };
  return newtonMinimise(evaluate, start, logits.rows, () => residentRows, {
    ...options,
    tolerance: options.tolerance ?? newtonTolerance(backend),
  });
}

/**
 * `nll` (DESIGN.md §1): (γ, T) minimising the mean NLL of softmax((z + γ·[c∈U]) / T) on a labelled set.
 * Newton steps on (γ, log T), so T = e^τ stays positive by construction, with gradient and Hessian from
 * backend.nllGrad; see newtonMinimise for the safeguards (|eigenvalues|, one-pass backtracking).
 */
export async function nllMethod(
  backend: Backend,
  logits: ResidentLogits,
  groups: ClassGroups,
  options: NllOptions = {},
): Promise<MethodResult<NewtonDetails>> {
  requireRows(logits, 'nll');
  const start = [options.gamma ?? 0, startTemperature(options.temperature)];
  const same = <T>(x: T) => x;
  const { theta, details } = await fit(backend, logits, groups, start, same, same, options);
  return { method: 'nll', gamma: theta[0]!, temperature: Math.exp(theta[1]!), details };
}

export interface TemperatureOptions extends NewtonOptions {
  /** The fixed bias. Default 0. */
  gamma?: number;
  /** Starting temperature. Default 1. */
  temperature?: number;
}

/** `temperature` (DESIGN.md §1): T alone minimising the mean NLL at a fixed γ (default 0), Newton on log T. */
export async function temperatureMethod(
  backend: Backend,
  logits: ResidentLogits,
  groups: ClassGroups,
  options: TemperatureOptions = {},
): Promise<MethodResult<NewtonDetails & { fixedGamma: number }>> {
  requireRows(logits, 'temperature');
  const gamma = options.gamma ?? 0;
  checkOption(gamma, 'gamma', 'the fixed γ of temperature', 'finite');
  const { theta, details } = await fit(
    backend,
    logits,
    groups,
    [startTemperature(options.temperature)],
    (p) => [gamma, p[0]!],
    (e) => ({ f: e.f, g: [e.g[1]!], h: [[e.h[1]![1]!]] }),
    options,
  );
  return {
    method: 'temperature',
    gamma,
    temperature: Math.exp(theta[0]!),
    details: { ...details, fixedGamma: gamma },
  };
}
