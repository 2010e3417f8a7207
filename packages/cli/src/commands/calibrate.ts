import { basename } from 'node:path';
import {
  type Backend,
  type Calibration,
  calibrate,
  calibrateStats,
  methodNote,
  writeFileAtomic,
} from '@ftcal/core';
import type { Command } from 'commander';
import {
  addCalibrationOptions,
  type CalibrationArgs,
  type OpenedCalibration,
  openCalibration,
  openStatsCalibration,
} from '../calibration-inputs.ts';
import { withOpenFiles } from '../datasets.ts';
import { deviceOption, jsonOption, nanPolicyOption, withBackend } from '../inputs.ts';
import { addMetricOptions, atPointFromStats, type MetricArgs, metricOptionsOf } from '../metric-options.ts';
import {
  addGroupOptions,
  allowOtherLabelsOption,
  binsOption,
  chunkRowsOption,
  equalMassOption,
} from '../options.ts';
import { print, printJson, table } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';
import { inputKind, statsOption } from '../stats-inputs.ts';
import {
  accuracyCells,
  accuracyHeader,
  calibratorText,
  classwiseLine,
  curveJson,
  fixed,
  intervalLines,
  metricCells,
  metricHeader,
  scalar,
  topKLines,
} from '../tables.ts';

interface CalibrateOptions extends CalibrationArgs, MetricArgs {
  stats?: string[];
  out: string;
  bins: number;
  equalMass?: boolean;
  device?: string;
  json?: boolean;
}

interface Skipped {
  method: string;
  reason: string;
}

/**
 * Opens and checks the inputs, then runs the calibration (a progress bar covers the streamed statistics
 * pass); `more` runs on the same backend and open files, for commands that need more than the tables.
 */
export async function runCalibration<T = undefined>(
  opts: CalibrationArgs & MetricArgs & { bins: number; equalMass?: boolean; device?: string },
  more?: (backend: Backend, c: Calibration, opened: OpenedCalibration) => Promise<T>,
): Promise<{ calibration: Calibration; skipped: Skipped[]; more: T | undefined }> {
  const metrics = metricOptionsOf(opts);
  return withOpenFiles(async (files) => {
    const opened = await openCalibration(files, opts);
    return withBackend(opts.device, async (backend) => {
      const bar = progress(`calibrating on ${basename(opts.logits)}`);
      // The methods after the statistics pass: the linear family's fits can take minutes at large C.
      const methodsBar = progress(`methods on ${basename(opts.logits)}`);
      const calibration = await calibrate(backend, {
        ...opened.input,
        bins: opts.bins,
        ...(opts.equalMass ? { equalMass: true } : {}),
        ...metrics,
        onProgress: (stage, done, total) => bar.update(done, total, stage),
        onMethod: (_method, done, total) => methodsBar.update(done, total),
      });
      bar.done();
      methodsBar.done();
      return { calibration, skipped: opened.skipped, more: await more?.(backend, calibration, opened) };
    });
  });
}

/** The reduce step: the calibration from merged statistics files (nll and temperature cannot run). */
async function calibrationFromStats(
  opts: CalibrateOptions & { stats: string[] },
): Promise<{ calibration: Calibration; skipped: Skipped[] }> {
  const metrics = atPointFromStats(opts);
  return withOpenFiles(async (files) => {
    const opened = await openStatsCalibration(files, opts);
    const calibration = await withBackend(opts.device, async (backend) => {
      const bar = progress('bootstrap');
      const c = await calibrateStats(backend, opened.data, {
        ...opened.options,
        bins: opts.bins,
        ...(opts.equalMass ? { equalMass: true } : {}),
        ...(metrics.bootstrap && { bootstrap: metrics.bootstrap }),
        fingerprints: opened.fingerprints,
        onProgress: (_stage, done, total) => bar.update(done, total),
      });
      bar.done();
      return c;
    });
    return { calibration, skipped: opened.skipped };
  });
}

/** Before/after tables, then every method's table on the same labelled set, then the skipped methods. */
function printCalibration(c: Calibration, skipped: readonly Skipped[]): void {
  print(
    `calibration on ${basename(c.data.source)} (${c.data.rows} rows: ${c.data.seenRows} labelled seen, ${c.data.absentRows} absent): ${calibratorText({ ...c, linear: c.calibrator.linear })}`,
  );
  const points: [string, typeof c.before][] = [
    ['before (γ = 0, T = 1)', c.before],
    [`after (${c.method})`, c.after],
  ];
  print(table([['', ...metricHeader(c.after)], ...points.map(([label, t]) => [label, ...metricCells(t)])]));
  if (c.classwise) {
    print(`before: ${classwiseLine(c.classwise.before)}`);
    print(`after:  ${classwiseLine(c.classwise.after)}`);
  }
  const topK = topKLines(points);
  if (topK) {
    print();
    for (const line of topK) print(line);
  }
  if (c.ci) {
    print();
    for (const line of intervalLines(c.ci)) print(line);
  }
  print();
  print(
    `all methods, on ${basename(c.data.source)} (accuracies in %; AUSUC ${fixed(c.before.ausuc, 4)} at any γ)`,
  );
  const rows = [['method', 'γ', 'T', ...accuracyHeader(), 'NLL', 'ECE', 'MCE', 'RMSCE', 'Brier', 'note']];
  for (const r of c.methods) {
    rows.push([
      r.method === c.method ? `${r.method} *` : r.method,
      scalar(r.gamma),
      scalar(r.temperature),
      ...accuracyCells(r.table),
      fixed(r.table.nll, 4),
      fixed(r.table.ece, 4),
      fixed(r.table.mce, 4),
      fixed(r.table.rmsce, 4),
      fixed(r.table.brier, 4),
      methodNote(r),
    ]);
  }
  for (const s of skipped)
    rows.push([s.method, ...Array(rows[0]!.length - 2).fill('-'), `skipped: ${s.reason}`]);
  print(table(rows));
  print('* the chosen method');
}

export function calibrationJson(c: Calibration, skipped: readonly Skipped[]) {
  return { ...c, curve: curveJson(c.curve), skipped };
}

export function registerCalibrate(program: Command): void {
  const cmd = program
    .command('calibrate')
    .description(
      'fit γ (and T), and the linear family (vector, matrix, dirichlet, affine, wa), by every method whose inputs are given, print the tables before and after and all methods side by side, and write the calibrator',
    )
    .option(
      '--logits <file>',
      'logits of a labelled set covering seen and absent classes (a quoted glob or @list.txt reads shards as one)',
    )
    .option('--labels <file>', 'class index of each row (one file, or one per logits shard)')
    .addOption(statsOption())
    .option(
      '--fit-stats <files...>',
      'statistics files of the fitting set of alg, instead of --fit-logits/--fit-labels',
    )
    .requiredOption('--out <file>', 'where to write the calibrator JSON (for ftcal apply and the library)');
  addMetricOptions(
    addCalibrationOptions(addGroupOptions(cmd)).addOption(binsOption()).addOption(equalMassOption()),
  )
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: CalibrateOptions) => {
      await checkOutputPaths(opts, { out: '--out' });
      const { calibration, skipped } =
        inputKind('calibrate', opts) === 'stats'
          ? await calibrationFromStats(opts as CalibrateOptions & { stats: string[] })
          : await runCalibration(opts);
      await writeFileAtomic(opts.out, `${JSON.stringify(calibration.calibrator, null, 2)}\n`);
      if (opts.json) {
        printJson({ ...calibrationJson(calibration, skipped), out: opts.out });
        return;
      }
      printCalibration(calibration, skipped);
      print(`wrote ${opts.out}`);
    });
}
