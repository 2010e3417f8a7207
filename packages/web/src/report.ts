import {
  type CurveMark,
  markOf,
  methodNote,
  methodRowOf,
  type ReportInput,
  reliabilityPanelOf,
  renderReportHtml,
  rowOutcomes,
  thresholdGroupsOf,
} from '@ftcal/core';
import type { Analysis, Choice } from './analysis.ts';

const choiceLabel = (c: Choice) => (c.method === 'manual' ? 'γ set by hand' : c.method);

/**
 * The report `ftcal report` writes, from what the page holds: the tables before (γ = 0, T = 1) and at the
 * current operating point, every method's row, the γ curve with the points marked, reliability diagrams
 * and the logit-gap histograms. Drawn by core's report writer; every number is the statistics'.
 */
export function pageReport(analysis: Analysis, current: Choice, date = new Date()): string {
  const { data, groups, inputs } = analysis;
  const zero = analysis.at({ gamma: 0, temperature: 1 });
  const now = analysis.at(current);
  const picked = [...analysis.methods.values()].flatMap((s) => (s.status === 'picked' ? [s.result] : []));
  const marks: CurveMark[] = [
    markOf('γ = 0', 0, zero.table),
    ...picked.map((r) => markOf(r.method, r.gamma, analysis.at(r).table)),
  ];
  if (current.method === 'manual') marks.push(markOf(choiceLabel(current), current.gamma, now.table));
  const name = (k: number) => analysis.classNames?.[k] ?? String(k);
  const evaluated: [string, string][] = [
    ['logits', analysis.data.source],
    ['labels', inputs.labels.file.name],
    ['class groups', inputs.groups.name],
    [
      'rows',
      `${data.rows} (${analysis.curve.seenRows} labelled seen, ${analysis.curve.absentRows} labelled absent${data.sourceRows !== data.rows ? `; ${data.sourceRows - data.rows} dropped` : ''})`,
    ],
    [
      'classes',
      `${groups.numClasses}: ${groups.seen.length} seen, ${groups.absent.length} absent, ${groups.other.length} other`,
    ],
  ];
  if (inputs.fit)
    evaluated.push(['fitting set (alg)', `${inputs.fit.logits.file.name}, ${inputs.fit.labels.file.name}`]);
  const input: ReportInput = {
    title: `ftcal calibration report: ${inputs.logits.file.name}`,
    evaluated,
    device: analysis.backend.name,
    date,
    calibration: {
      method: choiceLabel(current),
      before: analysis.tableOf(zero),
      after: analysis.tableOf(now),
    },
    methods: picked.map((r) => methodRowOf(r, analysis.tableOf(analysis.at(r)), methodNote(r))),
    curve: { points: analysis.curve.points, marks, ausuc: analysis.curve.ausuc, overallPanel: true },
    reliability: [
      reliabilityPanelOf('Before (γ = 0, T = 1)', zero.calibration),
      reliabilityPanelOf(`At ${choiceLabel(current)}`, now.calibration),
    ],
    logitGap: {
      thresholds: thresholdGroupsOf(rowOutcomes(data)),
      markers: marks.map((m) => ({ label: m.label, gamma: m.gamma })),
    },
    classes: {
      seen: groups.seen.map(name),
      absent: groups.absent.map(name),
      other: groups.other.map(name),
    },
  };
  return renderReportHtml(input);
}
