import type { Backend } from '../../backend/backend.ts';
import { InputError } from '../../errors.ts';
import type { ClassGroups } from '../groups.ts';
import { checkOption } from '../option-checks.ts';
import type { LogitPasses } from '../passes.ts';
import {
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

function requireRows(passes: LogitPasses, what: string): void {
  if (passes.rows === 0) {
    throw new InputError({
      code: 'labels',
      file: passes.name,
      problem: `${what} needs at least one labelled row`,
      fix: 'pass a labelled set with at least one row kept',
    });
  }
}

/**
 * `nll` (DESIGN.md §1): (γ, T) minimising the mean NLL of softmax((z + γ·[c∈U]) / T) on a labelled set.
 * Newton steps on (γ, log T), so T = e^τ stays positive by construction, with gradient and Hessian from
 * backend.nllGrad; see newtonMinimise for the safeguards (|eigenvalues|, one-pass backtracking).
 */
export async function nllMethod(
  backend: Backend,
  passes: LogitPasses,
  groups: ClassGroups,
  options: NllOptions = {},
): Promise<MethodResult<NewtonDetails>> {
  requireRows(passes, 'nll');
  const start = [options.gamma ?? 0, startTemperature(options.temperature)];
  const { theta, details } = await newtonMinimise(
    (points) => evaluatePairs(backend, passes, groups, points),
    start,
    passes.rows,
    passes.resident,
    { ...options, tolerance: options.tolerance ?? newtonTolerance(backend) },
  );
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
  passes: LogitPasses,
  groups: ClassGroups,
  options: TemperatureOptions = {},
): Promise<MethodResult<NewtonDetails & { fixedGamma: number }>> {
  requireRows(passes, 'temperature');
  const gamma = options.gamma ?? 0;
  checkOption(gamma, 'gamma', 'the fixed γ of temperature', 'gamma');
  const { theta, details } = await newtonMinimise(
    async (points) =>
      (
        await evaluatePairs(
          backend,
          passes,
          groups,
          points.map((p) => [gamma, p[0]!]),
        )
      ).map((e) => ({ f: e.f, g: [e.g[1]], h: [[e.h[1][1]]] })),
    [startTemperature(options.temperature)],
    passes.rows,
    passes.resident,
    { ...options, tolerance: options.tolerance ?? newtonTolerance(backend) },
  );
  return {
    method: 'temperature',
    gamma,
    temperature: Math.exp(theta[0]!),
    details: { ...details, fixedGamma: gamma },
  };
}
