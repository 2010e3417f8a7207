import { methodNote } from '@ftcal/core';
import { type Analysis, PAGE_METHODS } from './analysis.ts';
import { fixed } from './format.ts';

function cells(row: HTMLTableRowElement, values: readonly string[]): HTMLTableRowElement {
  for (const v of values) row.insertCell().textContent = v;
  return row;
}

/** One row per method: its γ and T and the metrics there, or why it has none yet. */
export function methodRows(a: Analysis): HTMLTableRowElement[] {
  return PAGE_METHODS.map((m) => {
    const row = document.createElement('tr');
    const state = a.methods.get(m)!;
    if (state.status !== 'picked') {
      const why = state.status === 'unavailable' ? state.reason : 'fitted when its button is pressed';
      return cells(row, [m, '—', '—', '—', '—', '—', '—', '—', '—', '—', why]);
    }
    const r = state.result;
    const t = a.tableOf(a.at(r));
    return cells(row, [
      m,
      fixed(r.gamma, 4),
      fixed(r.temperature, 4),
      fixed(t['Y/Y'], 2),
      fixed(t['S/Y'], 2),
      fixed(t['U/Y'], 2),
      fixed(t.H, 2),
      fixed(t.nll, 4),
      fixed(t.ece, 4),
      fixed(t.brier, 4),
      methodNote(r),
    ]);
  });
}
