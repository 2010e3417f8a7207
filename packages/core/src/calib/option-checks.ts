import { InputError } from '../errors.ts';

/** What a numeric option must be, and how a message says it. */
const KINDS = {
  finite: { ok: (x: number) => Number.isFinite(x), want: 'a finite number' },
  positive: { ok: (x: number) => Number.isFinite(x) && x > 0, want: 'a finite number > 0' },
  nonNegative: { ok: (x: number) => Number.isFinite(x) && x >= 0, want: 'a finite number ≥ 0' },
  count: { ok: (x: number) => Number.isSafeInteger(x) && x > 0, want: 'a whole number > 0' },
} as const;

/**
 * The one check of the library's numeric options (γ, T, bins, chunk rows, δ): a bad value is an
 * InputError with code 'option' whose fix names the option, so a front end words it with its own flag.
 * `what` is the quantity in the vocabulary of DESIGN.md §1 (γ, T, δ of constrained, …).
 */
export function checkOption(value: number, option: string, what: string, kind: keyof typeof KINDS): void {
  const { ok, want } = KINDS[kind];
  if (ok(value)) return;
  throw new InputError({
    code: 'option',
    problem: `${what} = ${value} is not ${want}`,
    fix: `pass ${want} as {option}`,
    option: { name: option },
  });
}

export const checkGamma = (gamma: number, option = 'gamma'): void =>
  checkOption(gamma, option, 'γ', 'finite');

export const checkTemperature = (temperature: number, option = 'temperature'): void =>
  checkOption(temperature, option, 'T', 'positive');
