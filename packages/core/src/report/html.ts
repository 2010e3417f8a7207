import { CONVENTIONS_HTML } from './conventions.ts';
import { escapeXml } from './escape.ts';
import { fixed } from './format.ts';
import { gammaCurveSvg } from './svg/gamma-curve.ts';
import { logitGapSvg } from './svg/logit-gap.ts';
import { reliabilitySvg } from './svg/reliability.ts';
import { changeRow, metricTableHtml, type TableRow } from './tables.ts';
import type { ReportInput } from './types.ts';

const CSS = `
:root{color-scheme:light}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#222;background:#fafafa}
header,main,footer{max-width:1000px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.25em;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin:0 0 12px}
dl.evaluated{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.evaluated dt{font-weight:600}
dl.evaluated dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.92em}
table{border-collapse:collapse;margin:8px 0 4px;background:#fff;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th[scope=row],td.note,th.note{text-align:left}
td.note{white-space:normal;color:#555;font-size:.9em;min-width:18em}
.table-scroll{overflow-x:auto}
thead th{background:#f0f0f0}
tr.derived{color:#555;font-style:italic}
.units{color:#555;font-size:.9em;margin:0 0 8px}
figure{margin:16px 0;background:#fff;border:1px solid #e5e5e5;padding:8px;overflow-x:auto}
figure svg{max-width:100%;height:auto;display:block}
figcaption{color:#444;font-size:.92em;margin-top:4px}
dl.conventions dt{font-weight:600;margin-top:8px}
dl.conventions dd{margin:0 0 0 16px}
.classes{overflow-wrap:anywhere}
footer{color:#777;font-size:.85em;padding-bottom:32px}
`;

const UNITS =
  '<p class="units">Accuracies in percent; AUSUC, ECE, MCE, RMSCE and classwise ECE (cwECE) on a 0–1 scale; NLL in nats; γ in logit units. ' +
  'A dash marks a value that does not exist (for example U/Y with no absent-class rows).</p>';

/** How many class names per group the page lists before abridging. */
const CLASS_NAMES_SHOWN = 60;

/**
 * The whole report as one self-contained HTML page: inline CSS and SVG, no scripts, no external
 * resources (a Content-Security-Policy forbids loading any), every user-provided string escaped.
 */
export function renderReportHtml(input: ReportInput): string {
  const title = input.title ?? 'ftcal calibration report';
  const date = Number.isNaN(input.date.getTime())
    ? 'unknown date'
    : input.date.toISOString().replace('.000Z', 'Z');
  const sections: string[] = [];

  if (input.calibration) {
    const { method, before, after } = input.calibration;
    const rows: TableRow[] = [
      { label: 'Before', table: before },
      { label: `After (${method})`, table: after },
      changeRow(before, after),
    ];
    sections.push(
      section(
        'calibration',
        `Calibration: ${method}`,
        metricTableHtml('Before and after calibration', rows) +
          metricTableHtml(
            'Top-k accuracy: the label among the k highest scores, ties S∪O before U',
            rows,
            true,
          ) +
          UNITS,
      ),
    );
  }
  if (input.methods.length > 0) {
    const rows = input.methods.map((m) => ({
      label: m.method,
      table: m.table,
      ...(m.note ? { note: m.note } : {}),
    }));
    sections.push(
      section('methods', 'Methods', metricTableHtml('Each method at its chosen γ and T', rows) + UNITS),
    );
  }
  if (input.bootstrap) {
    sections.push(section('bootstrap', 'Bootstrap intervals', intervalsHtml(input.bootstrap)));
  }
  const figures: string[] = [];
  if (input.curve) {
    figures.push(
      figure(
        gammaCurveSvg(input.curve, 'plot-gamma-curve'),
        'Seen against absent-class accuracy along the exact γ curve; the shaded area is AUSUC. ' +
          'Right: overall accuracy as γ grows.' +
          (input.curve.intervals?.length
            ? ' The tinted span (and the thick stretch of curve) is the bootstrap interval of a method’s γ.'
            : ''),
      ),
    );
  }
  if (input.reliability && input.reliability.length > 0) {
    figures.push(
      figure(
        reliabilitySvg(input.reliability, 'plot-reliability'),
        'Bars: accuracy per confidence bin; shaded: the gap to the bin’s mean confidence; dashed: perfect calibration.' +
          (input.reliability.some((p) => p.band)
            ? ' The dark span on a bar is the bootstrap interval of that bin’s accuracy.'
            : ''),
      ),
    );
  }
  if (input.logitGap) {
    figures.push(
      figure(
        logitGapSvg(input.logitGap, 'plot-logit-gap'),
        'Rows to the left of a γ line are predicted absent: in the top panel that costs seen accuracy, ' +
          'in the bottom panel it wins absent accuracy.',
      ),
    );
  }
  if (figures.length > 0) sections.push(section('plots', 'Plots', figures.join('')));
  if (input.classes) sections.push(section('classes', 'Class groups', classesHtml(input.classes)));
  sections.push(section('conventions', 'Conventions', CONVENTIONS_HTML));

  const evaluated = input.evaluated
    .map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="ftcal">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeXml(title)}</h1>
<p class="meta">Generated ${escapeXml(date)} on ${escapeXml(input.device)}</p>
${evaluated ? `<dl class="evaluated">${evaluated}</dl>` : ''}
</header>
<main>
${sections.join('\n')}
</main>
<footer>Method: Mai et al., “Fine-Tuning is Fine, if Calibrated”, NeurIPS 2024. Report written by ftcal.</footer>
</body>
</html>
`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}"><h2>${escapeXml(heading)}</h2>${body}</section>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function intervalsHtml(b: NonNullable<ReportInput['bootstrap']>): string {
  const body = b.rows
    .map(
      (r) =>
        `<tr><th scope="row">${escapeXml(r.label)}</th><td>${escapeXml(fixed(r.estimate, r.digits))}</td>` +
        `<td>${escapeXml(fixed(r.interval[0], r.digits))}</td><td>${escapeXml(fixed(r.interval[1], r.digits))}</td></tr>`,
    )
    .join('');
  const pct = Math.round(b.level * 100);
  return (
    `<table><caption>${pct}% intervals from ${b.replicates} bootstrap replicates (seed ${b.seed})</caption>` +
    `<thead><tr><th scope="col"></th><th scope="col">estimate</th><th scope="col">${(100 - pct) / 2}%</th>` +
    `<th scope="col">${100 - (100 - pct) / 2}%</th></tr></thead><tbody>${body}</tbody></table>` +
    '<p class="units">Each replicate resamples the evaluated rows with replacement and recomputes every ' +
    'metric from the statistics kept from the one pass; γ rows are re-picked on each replicate’s curve.</p>'
  );
}

function classesHtml(classes: NonNullable<ReportInput['classes']>): string {
  const groups: [string, readonly string[] | undefined][] = [
    ['S (seen)', classes.seen],
    ['U (absent)', classes.absent],
    ['O (other)', classes.other],
  ];
  return groups
    .filter(([, names]) => names && names.length > 0)
    .map(([label, names]) => {
      const shown = names!.slice(0, CLASS_NAMES_SHOWN).map(escapeXml).join(', ');
      const more =
        names!.length > CLASS_NAMES_SHOWN ? `, … and ${names!.length - CLASS_NAMES_SHOWN} more` : '';
      return `<p class="classes"><strong>${escapeXml(label)}</strong>, ${names!.length} classes: ${shown}${more}</p>`;
    })
    .join('');
}
