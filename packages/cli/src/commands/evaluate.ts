import { basename } from 'node:path';
import { type Evaluation, evaluate, evaluateStats, InputError } from '@ftcal/core';
import type { Command } from 'commander';
import { labelsFor, loadHeadWeights, openLogitsFor, withOpenFiles } from '../datasets.ts';
import {
  deviceOption,
  type GroupArgs,
  jsonOption,
  loadGroups,
  nanPolicyOf,
  nanPolicyOption,
  withBackend,
} from '../inputs.ts';
import { addMetricOptions, atPointFromStats, type MetricArgs, metricOptionsOf } from '../metric-options.ts';
import {
  addGroupOptions,
  allowOtherLabelsOption,
  binsOption,
  chunkRowsOption,
  equalMassOption,
  listOption,
  numberOption,
} from '../options.ts';
import { info, print, printJson, table } from '../output.ts';
import { progress } from '../progress.ts';
import { inputKind, loadStats, statsOption } from '../stats-inputs.ts';
import {
  classwiseLine,
  curveJson,
  diagnosticsLines,
  fixed,
  intervalLines,
  metricCells,
  metricHeader,
  scalar,
  topKLines,
} from '../tables.ts';

interface EvaluateOptions extends GroupArgs, MetricArgs {
  logits?: string[];
  labels?: string;
  stats?: string[];
  gamma: number;
  temperature: number;
  weights?: string;
  bins: number;
  equalMass?: boolean;
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

function droppedText(e: Evaluation): string | null {
  const { nonFinite, otherLabel } = e.data.dropped;
  if (nonFinite + otherLabel === 0) return null;
  const parts = [
    nonFinite ? `${nonFinite} with NaN/+Inf logits` : '',
    otherLabel ? `${otherLabel} labelled in O` : '',
  ].filter(Boolean);
  return `${e.data.source}: dropped ${parts.join(' and ')} of ${e.data.sourceRows} rows`;
}

function printEvaluations(evaluations: Evaluation[]): void {
  const first = evaluations[0]!;
  const g = first.groups;
  print(
    `${g.numClasses} classes: ${g.seen.length} seen, ${g.absent.length} absent${g.other.length ? `, ${g.other.length} other` : ''}; γ = ${scalar(first.gamma)}, T = ${scalar(first.temperature)}; accuracies in %`,
  );
  const rows = [['logits', 'rows', ...metricHeader(first.table)]];
  for (const e of evaluations)
    rows.push([basename(e.data.source), String(e.data.rows), ...metricCells(e.table)]);
  print(table(rows));
  for (const e of evaluations) {
    const dropped = droppedText(e);
    if (dropped) print(dropped);
  }
  const topK = topKLines(evaluations.map((e) => [basename(e.data.source), e.table]));
  if (topK) {
    print();
    for (const line of topK) print(line);
  }
  for (const e of evaluations) {
    if (!e.ci) continue;
    print();
    print(`${basename(e.data.source)}:`);
    for (const line of intervalLines(e.ci)) print(`  ${line}`);
  }
  for (const e of evaluations) {
    print();
    print(`diagnostics, ${basename(e.data.source)} (mean ± std over rows)`);
    for (const line of diagnosticsLines(e.diagnostics)) print(`  ${line}`);
    if (e.classwise) print(`  ${classwiseLine(e.classwise)}`);
    if (e.confidence.equalMass) {
      print(
        `  ECE over ${e.confidence.equalMass.numBins} equal-mass bins: ${fixed(e.confidence.equalMass.ece, 4)}`,
      );
    }
  }
}

async function evaluateLogits(
  opts: EvaluateOptions & { logits: string[]; labels: string },
): Promise<Evaluation[]> {
  const metrics = metricOptionsOf(opts);
  return withOpenFiles(async (files) => {
    const first = await openLogitsFor(files, opts.logits[0]!, null);
    const groups = await loadGroups(opts, first.cols);
    const allowOther = opts.allowOtherLabels === true;
    const labels = await labelsFor(opts.labels, first, groups, allowOther);
    const sets = [first];
    for (const spec of opts.logits.slice(1)) {
      const s = await openLogitsFor(files, spec, groups, opts.logits[0]);
      if (s.rows !== labels.length) {
        throw new InputError(
          `${spec}: ${s.rows} rows but ${opts.labels} holds ${labels.length} labels; every --logits must score the same labelled rows`,
        );
      }
      sets.push(s);
    }
    const weights = opts.weights ? await loadHeadWeights(opts.weights, groups.numClasses) : undefined;
    return withBackend(opts.device, async (backend) => {
      const out: Evaluation[] = [];
      for (const logits of sets) {
        const bar = progress(`evaluating ${basename(logits.name)}`);
        out.push(
          await evaluate(backend, {
            logits,
            labels,
            groups,
            gamma: opts.gamma,
            temperature: opts.temperature,
            bins: opts.bins,
            nanPolicy: nanPolicyOf(opts.nanPolicy),
            ...(opts.equalMass ? { equalMass: true } : {}),
            ...(allowOther ? { allowOtherLabels: true } : {}),
            ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
            ...(weights ? { weights } : {}),
            ...metrics,
            onProgress: (stage, done, total) => bar.update(done, total, stage),
          }),
        );
        bar.done();
      }
      return out;
    });
  });
}

/** The reduce step: merged statistics files, evaluated at their own T. */
async function evaluateFromStats(opts: EvaluateOptions, temperatureGiven: boolean): Promise<Evaluation> {
  const metrics = atPointFromStats(opts, true);
  const { data } = await loadStats(opts.stats!, opts);
  if (temperatureGiven && opts.temperature !== data.temperature) {
    throw new InputError(
      `${data.source}: the statistics were taken at T = ${data.temperature}, not ${opts.temperature}; evaluate at another T needs the logits (or statistics taken at that T)`,
    );
  }
  const weights = opts.weights ? await loadHeadWeights(opts.weights, data.groups.numClasses) : undefined;
  return withBackend(opts.device, async (backend) => {
    const bar = progress('bootstrap');
    const e = await evaluateStats(backend, data, {
      gamma: opts.gamma,
      bins: opts.bins,
      ...(opts.equalMass ? { equalMass: true } : {}),
      ...(weights ? { weights } : {}),
      ...metrics,
      onProgress: (_stage, done, total) => bar.update(done, total),
    });
    bar.done();
    return e;
  });
}

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description(
      'accuracy table (Y/Y S/Y U/Y S/S U/U H), AUSUC, NLL/ECE/Brier and diagnostics at one operating point (γ, T); several --logits give one row each',
    )
    .addOption(
      listOption(
        '--logits <file>',
        'logits (rows × classes): .npy, .npz[:name], .safetensors[:name], .csv, or a quoted glob or @list.txt of shards read as one; repeat for checkpoints',
      ),
    )
    .option('--labels <file>', 'class index of each row (one file, or one per logits shard)')
    .addOption(statsOption());
  addGroupOptions(cmd)
    .addOption(numberOption('--gamma <g>', 'bias added to absent-class logits', 'gamma').default(0))
    .addOption(numberOption('--temperature <T>', 'temperature dividing the scores', 'temperature').default(1))
    .option(
      '--weights <file>',
      'head weights (classes × features, nn.Linear layout) for weight-norm diagnostics',
    )
    .addOption(binsOption())
    .addOption(equalMassOption());
  addMetricOptions(cmd)
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: EvaluateOptions, command: Command) => {
      const evaluations =
        inputKind('evaluate', opts) === 'stats'
          ? [await evaluateFromStats(opts, command.getOptionValueSource('temperature') === 'cli')]
          : await evaluateLogits(opts as EvaluateOptions & { logits: string[]; labels: string });
      if (opts.json) {
        for (const e of evaluations) {
          const dropped = droppedText(e);
          if (dropped) info(`ftcal: ${dropped}`);
        }
        const docs = evaluations.map((e) => ({
          ...e,
          labels: opts.labels ?? null,
          ...(opts.stats && { stats: opts.stats }),
          curve: curveJson(e.curve),
        }));
        printJson(docs.length === 1 ? docs[0] : docs);
        return;
      }
      printEvaluations(evaluations);
    });
}
