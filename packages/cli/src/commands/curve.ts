import { basename } from 'node:path';
import {
  accumulateStats,
  accuracyAt,
  type BootstrapIntervals,
  bootstrapAt,
  Calibrator,
  type ClassGroups,
  type CurveMark,
  curvePlotOf,
  type GammaCurve,
  gammaCurve,
  gammaCurveSvg,
  InputError,
  markOf,
  openAtomicWriter,
  oracleMethod,
  type TensorSource,
  withInputKind,
  writeFileAtomic,
} from '@ftcal/core';
import type { Command } from 'commander';
import { labelsFor, openLogitsFor, readTextFile, withOpenFiles } from '../datasets.ts';
import {
  deviceOption,
  type GroupArgs,
  jsonOption,
  loadGroups,
  nanPolicyOf,
  nanPolicyOption,
  withBackend,
} from '../inputs.ts';
import { cleanupOnSignal } from '../interrupt.ts';
import { addMetricOptions, atPointFromStats, type MetricArgs, metricOptionsOf } from '../metric-options.ts';
import { addGroupOptions, allowOtherLabelsOption, chunkRowsOption } from '../options.ts';
import { print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';
import { inputKind, loadStats, statsOption } from '../stats-inputs.ts';
import { fixed, scalar } from '../tables.ts';

interface CurveOptions extends GroupArgs, MetricArgs {
  logits?: string;
  labels?: string;
  stats?: string[];
  out: string;
  plot?: string;
  calibrator?: string;
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

/** Points per write: a million-point curve streams out in bounded pieces. */
const LINES_PER_WRITE = 65536;

/**
 * gamma,seen,unseen,overall per point, ascending γ, accuracies in percent. JavaScript's number to string
 * conversion is the shortest text that reads back to the same double, so nothing is lost to formatting.
 */
async function writeCurveCsv(path: string, curve: GammaCurve): Promise<void> {
  const writer = await openAtomicWriter(path);
  await cleanupOnSignal(
    () => writer.abort(),
    async () => {
      try {
        await writer.write(Buffer.from('gamma,seen,unseen,overall\n'));
        const points = curve.points;
        for (let i = 0; i < points.length; i += LINES_PER_WRITE) {
          let text = '';
          for (const p of points.slice(i, i + LINES_PER_WRITE))
            text += `${p.gamma},${p.seen},${p.unseen},${p.overall}\n`;
          await writer.write(Buffer.from(text));
        }
        await writer.commit();
      } catch (e) {
        await writer.abort();
        throw e;
      }
    },
  );
}

async function calibratorMark(path: string, groups: ClassGroups): Promise<{ label: string; gamma: number }> {
  const c = Calibrator.fromJSON(await readTextFile(path), path);
  if (c.groups.codes.join() !== groups.codes.join()) {
    throw new InputError(
      `${path}: the calibrator was fitted with other class groups than these; pass the groups it was fitted with`,
    );
  }
  if (c.linear) {
    throw new InputError(
      `${path}: a ${c.method} calibrator maps the logits by s = W·x + b and has no γ to mark on the γ curve; pass a calibrator of the γ family (alg, oracle, constrained, hmean, pcv, nll, temperature)`,
    );
  }
  return { label: c.method, gamma: c.gamma };
}

export function registerCurve(program: Command): void {
  const cmd = program
    .command('curve')
    .description(
      'the exact γ curve (seen, unseen and overall accuracy at every distinct operating point) as CSV, and optionally its plot',
    )
    .option('--logits <file>', 'logits (rows × classes); a quoted glob or @list.txt reads shards as one')
    .option('--labels <file>', 'class index of each row (one file, or one per logits shard)')
    .addOption(statsOption())
    .requiredOption('--out <file>', 'CSV: gamma,seen,unseen,overall (accuracies in %), ascending γ');
  addGroupOptions(cmd)
    .option('--plot <file>', 'also draw the curve as SVG, with γ = 0 and the oracle point marked')
    .option('--calibrator <file>', 'mark this calibrator’s γ on the plot too');
  addMetricOptions(cmd, { atPoint: false })
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: CurveOptions) => {
      await checkOutputPaths(opts, { out: '--out', plot: '--plot' });
      const metrics = metricOptionsOf(opts);
      const fromStats = inputKind('curve', opts) === 'stats' ? await loadStats(opts.stats!, opts) : null;
      if (fromStats) atPointFromStats(opts);
      const { curve, marks, ci } = await withOpenFiles(async (files) => {
        // Every input is opened and checked before any work: the labelled set, then the calibrator.
        let input: { logits: TensorSource; labels: Int32Array; groups: ClassGroups } | null = null;
        if (!fromStats) {
          const logits = await openLogitsFor(files, opts.logits!, null);
          const groups = await loadGroups(opts, logits.cols);
          const labels = await labelsFor(opts.labels!, logits, groups, opts.allowOtherLabels === true);
          input = { logits, labels, groups };
        }
        const groups = fromStats?.data.groups ?? input!.groups;
        const fromCalibrator = opts.calibrator ? await calibratorMark(opts.calibrator, groups) : null;
        return withBackend(opts.device, async (backend) => {
          let data = fromStats?.data;
          if (input) {
            const bar = progress(`statistics of ${basename(input.logits.name)}`);
            data = await accumulateStats(backend, withInputKind(input.logits, metrics.inputKind), {
              ...input,
              nanPolicy: nanPolicyOf(opts.nanPolicy),
              ...(opts.allowOtherLabels ? { allowOtherLabels: true } : {}),
              ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
              onProgress: (done, total) => bar.update(done, total),
            });
            bar.done();
          }
          const stats = data!;
          const curve = await gammaCurve(backend, stats);
          const marks: CurveMark[] = [markOf('γ = 0', 0, accuracyAt(stats, 0))];
          if (curve.seenRows > 0 && curve.absentRows > 0) {
            const oracle = oracleMethod(curve);
            marks.push(markOf('oracle', oracle.gamma, accuracyAt(stats, oracle.gamma)));
          }
          if (fromCalibrator) {
            marks.push(
              markOf(fromCalibrator.label, fromCalibrator.gamma, accuracyAt(stats, fromCalibrator.gamma)),
            );
          }
          let ci: BootstrapIntervals | null = null;
          if (metrics.bootstrap) {
            const boot = progress('bootstrap');
            ci = await bootstrapAt(backend, stats, 0, {
              ...metrics.bootstrap,
              onProgress: (done, total) => boot.update(done, total),
            });
            boot.done();
          }
          return { curve, marks, ci };
        });
      });
      await writeCurveCsv(opts.out, curve);
      if (opts.plot) {
        const plot = curvePlotOf(curve, marks);
        const oracle = ci?.gamma.oracle;
        const svg = gammaCurveSvg(
          oracle ? { ...plot, intervals: [{ label: 'oracle', gamma: oracle, level: ci!.level }] } : plot,
        );
        await writeFileAtomic(opts.plot, `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
      }
      if (opts.json) {
        printJson({
          schemaVersion: 1,
          command: 'curve',
          logits: opts.logits ?? null,
          ...(opts.stats && { stats: opts.stats }),
          out: opts.out,
          plot: opts.plot ?? null,
          points: curve.points.length,
          ausuc: curve.ausuc,
          distinctThresholds: curve.distinctThresholds,
          seenRows: curve.seenRows,
          absentRows: curve.absentRows,
          marks,
          ci,
        });
        return;
      }
      print(
        `${curve.points.length} points (${curve.distinctThresholds} distinct thresholds) over ${curve.seenRows} seen- and ${curve.absentRows} absent-labelled rows; AUSUC ${fixed(curve.ausuc, 4)}`,
      );
      for (const m of marks) {
        const interval = m.label === 'oracle' ? ci?.gamma.oracle : undefined;
        print(
          `  ${m.label.padEnd(8)} γ = ${scalar(m.gamma)}${interval ? ` (95% ${scalar(interval[0])} to ${scalar(interval[1])})` : ''}: seen ${fixed(m.seen, 2)}, unseen ${fixed(m.unseen, 2)}, overall ${fixed(m.overall, 2)}`,
        );
      }
      if (ci) {
        print(
          `  AUSUC 95% ${fixed(ci.ausuc[0], 4)} to ${fixed(ci.ausuc[1], 4)}; hmean γ 95% ${fixed(ci.gamma.hmean?.[0], 4)} to ${fixed(ci.gamma.hmean?.[1], 4)} (${ci.replicates} bootstrap replicates, seed ${ci.seed})`,
        );
      }
      print(`wrote ${opts.out}${opts.plot ? ` and ${opts.plot}` : ''}`);
    });
}
