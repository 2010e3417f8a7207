import {
  curvePlotOf,
  markOf,
  type ReportInput,
  type ReportMethodRow,
  rowOutcomes,
  thresholdGroupsOf,
} from '@ftcal/core';
import { METHOD_FIT } from './evaluate.ts';
import type { DemoRun } from './run.ts';

/** The HTML report's input for a demo run: the table, the fine-tuned model's γ curve and logit gaps. */
export function demoReportInput(run: DemoRun, date = new Date()): ReportInput {
  const { result, evaluation } = run;
  const d = result.data;
  const methods: ReportMethodRow[] = result.rows.map((row) => ({
    method: row.name,
    table: { ...row.accuracy, ausuc: row.ausuc, gamma: row.gamma },
    note: `NCM U/Y ${row.ncm['U/Y'].toFixed(1)}%${row.method ? `; γ fitted on ${METHOD_FIT[row.method]}` : ''}`,
  }));
  const fine = result.rows.find((r) => r.model === 'fine-tuned' && r.method === null)!;
  const alg = result.rows.find((r) => r.method === 'alg');
  const marks = result.rows
    .filter((r) => r.model === 'fine-tuned')
    .map((r) => markOf(r.method ?? 'γ = 0', r.gamma, r.accuracy));
  return {
    title: 'ftcal demo: fine-tuning is fine, if calibrated (MNIST digits)',
    evaluated: [
      ['data', d.source],
      ['pre-training', `${d.pretrainRows} digits of all ten classes, domain A (as drawn)`],
      [
        'fine-tuning',
        `${d.finetuneRows} digits of S = {${d.seen.join(', ')}}, domain B (shifted ${d.domainB.shiftX} px right, ${d.domainB.shiftY} px down, noise σ ${d.domainB.noiseSigma})`,
      ],
      ['test', `${d.testRows} held-out domain-B digits of all ten classes`],
      ['model', `MLP ${result.model.layers.join('→')}, SGD with momentum ${result.model.momentum}`],
      ['seed', String(result.seed)],
      ['verdict', result.verdict.sentences.join(' ')],
    ],
    device: result.backend,
    date,
    ...(alg
      ? {
          calibration: {
            method: 'alg',
            before: { ...fine.accuracy, ausuc: fine.ausuc, gamma: 0 },
            after: { ...alg.accuracy, ausuc: alg.ausuc, gamma: alg.gamma },
          },
        }
      : {}),
    methods,
    curve: curvePlotOf(evaluation.curves.finetuned, marks),
    logitGap: {
      thresholds: thresholdGroupsOf(rowOutcomes(evaluation.finetunedStats)),
      markers: result.rows.filter((r) => r.method).map((r) => ({ label: r.method!, gamma: r.gamma })),
    },
    classes: { seen: d.seen.map(String), absent: d.absent.map(String) },
  };
}
