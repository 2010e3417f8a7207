import type { MetricTable } from '../calib/evaluate.ts';
import { escapeXml } from './escape.ts';
import { DASH, fixed, logitValue } from './format.ts';

interface Column {
  key: keyof MetricTable;
  head: string;
  title: string;
  format: (v: number | undefined) => string;
}

const pct = (v: number | undefined) => fixed(v, 2);
const four = (v: number | undefined) => fixed(v, 4);
const gamma = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? DASH : logitValue(v));

/** Column order and formats of every metric table (DESIGN.md §3 names). */
const COLUMNS: readonly Column[] = [
  { key: 'gamma', head: 'γ', title: 'bias added to absent-class logits', format: gamma },
  { key: 'temperature', head: 'T', title: 'temperature dividing all logits', format: four },
  { key: 'Y/Y', head: 'Y/Y', title: 'overall accuracy, %', format: pct },
  { key: 'S/Y', head: 'S/Y', title: 'seen-class rows, argmax over all classes, %', format: pct },
  { key: 'U/Y', head: 'U/Y', title: 'absent-class rows, argmax over all classes, %', format: pct },
  { key: 'S/S', head: 'S/S', title: 'seen-class rows, argmax over seen classes, %', format: pct },
  { key: 'U/U', head: 'U/U', title: 'absent-class rows, argmax over absent classes, %', format: pct },
  { key: 'H', head: 'H', title: 'harmonic mean of S/Y and U/Y, %', format: pct },
  { key: 'ausuc', head: 'AUSUC', title: 'area under the seen/unseen accuracy curve, 0–1', format: four },
  { key: 'nll', head: 'NLL', title: 'mean negative log-likelihood, nats', format: four },
  { key: 'ece', head: 'ECE', title: 'top-label expected calibration error, 0–1', format: four },
  {
    key: 'mce',
    head: 'MCE',
    title: 'top-label maximum calibration error over the ECE bins, 0–1',
    format: four,
  },
  { key: 'rmsce', head: 'RMSCE', title: 'top-label root-mean-square calibration error, 0–1', format: four },
  {
    key: 'classwiseEce',
    head: 'cwECE',
    title: 'classwise ECE, mean over the seen and absent classes, 0–1',
    format: four,
  },
  { key: 'brier', head: 'Brier', title: 'Brier score', format: four },
];

/** Top-k columns ("Y/Y@5" …) for the k the rows carry, after the accuracy columns. */
function topKColumns(rows: readonly TableRow[]): Column[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.table)) if (/^[YSU]\/[YSU]@\d+$/.test(k)) keys.add(k);
  return [...keys].map((key) => ({
    key: key as keyof MetricTable,
    head: key,
    title: `${key.split('@')[0]} with the label among the top ${key.split('@')[1]} scores, %`,
    format: pct,
  }));
}

export interface TableRow {
  label: string;
  table: Partial<MetricTable>;
  note?: string;
  /** Rendered in a muted style (a derived row such as the change). */
  derived?: boolean;
}

function present(rows: readonly TableRow[]): Column[] {
  return COLUMNS.filter((c) => rows.some((r) => r.table[c.key] !== undefined));
}

/**
 * An HTML table of metric rows; only columns some row has are shown (`topK`: the top-k splits, which
 * have a table of their own). Every label is escaped; a table wider than the page scrolls.
 */
export function metricTableHtml(caption: string, rows: readonly TableRow[], topK = false): string {
  const columns = topK ? topKColumns(rows) : present(rows);
  if (columns.length === 0) return '';
  const withNotes = rows.some((r) => r.note);
  const head =
    '<tr><th scope="col"></th>' +
    columns.map((c) => `<th scope="col" title="${escapeXml(c.title)}">${escapeXml(c.head)}</th>`).join('') +
    (withNotes ? '<th scope="col" class="note">Notes</th>' : '') +
    '</tr>';
  const body = rows
    .map(
      (r) =>
        `<tr${r.derived ? ' class="derived"' : ''}><th scope="row">${escapeXml(r.label)}</th>` +
        columns.map((c) => `<td>${escapeXml(c.format(r.table[c.key]))}</td>`).join('') +
        (withNotes ? `<td class="note">${escapeXml(r.note ?? '')}</td>` : '') +
        '</tr>',
    )
    .join('');
  return `<div class="table-scroll"><table><caption>${escapeXml(caption)}</caption><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/** after − before for each metric both have (γ and T excluded: their change is not a result). */
export function changeRow(before: Partial<MetricTable>, after: Partial<MetricTable>): TableRow {
  const table: Partial<MetricTable> = {};
  for (const c of [...COLUMNS, ...topKColumns([{ label: '', table: before }])]) {
    if (c.key === 'gamma' || c.key === 'temperature') continue;
    const a = after[c.key];
    const b = before[c.key];
    if (a !== undefined && b !== undefined) table[c.key] = a - b;
  }
  return { label: 'Change (after − before)', table, derived: true };
}
