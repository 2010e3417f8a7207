/** Number formatting shared by the tables and the plots, so a value reads the same in both. */

export const DASH = '—';

/** Fixed decimals, or a dash for a missing or non-finite value. */
export function fixed(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  const text = value.toFixed(digits);
  // "-0.00" reads as a sign error in a table.
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** A count in at most ~5 characters: 987, 12.3k, 4.5M. Bin labels are narrow. */
export function compactCount(n: number): string {
  if (!Number.isFinite(n)) return DASH;
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** A γ or logit value: short, with enough digits to tell neighbouring operating points apart. */
export function logitValue(value: number): string {
  if (Number.isNaN(value)) return DASH;
  if (value === Number.POSITIVE_INFINITY) return '+∞';
  if (value === Number.NEGATIVE_INFINITY) return '−∞';
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return value.toExponential(2);
  return fixed(value, a >= 100 ? 1 : 3);
}
