/** Fixed decimals; a dash for NaN (an empty label group) or a missing value. */
export function fixed(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** Accuracies (percent) with 2 decimals, as the CLI's tables; everything else (γ, T, 0–1 metrics) with 4. */
const ACCURACY = new Set(['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H']);

export function metricText(key: string, value: number): string {
  return fixed(value, ACCURACY.has(key) ? 2 : 4);
}
