import { basename, join } from 'node:path';
import {
  accumulateStats,
  type CurveMark,
  type GammaInterval,
  gammaIntervalsOf,
  intervalRowsOf,
  markOf,
  methodNote,
  methodRowOf,
  type ReportInput,
  readClassNames,
  reliabilityPanelOf,
  thresholdsByLabelGroup,
  withInputKind,
  writeReport,
  writeReportPlots,
} from '@ftcal/core';
import type { Command } from 'commander';
import { addCalibrationOptions, type CalibrationArgs } from '../calibration-inputs.ts';
import { deviceOption, jsonOption, nanPolicyOption } from '../inputs.ts';
import { addMetricOptions, type MetricArgs, metricOptionsOf } from '../metric-options.ts';
import {
  addGroupOptions,
  allowOtherLabelsOption,
  binsOption,
  chunkRowsOption,
  equalMassOption,
} from '../options.ts';
import { print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { calibratorText } from '../tables.ts';
import { calibrationJson, runCalibration } from './calibrate.ts';

interface ReportOptions extends CalibrationArgs, MetricArgs {
  out: string;
  plots?: string;
  title?: string;
  bins: number;
  equalMass?: boolean;
  device?: string;
  json?: boolean;
}

/** The files `--plots` writes (core's reportPlots names them; the report always has all three). */
const PLOT_FILES = ['gamma-curve.svg', 'reliability.svg', 'logit-gap.svg'];

/**
 * The outputs for the one output guard: the page, and each plot file `--plots` will write, so a plot that
 * would land on an input or on the page is refused before any work, like any other output.
 */
function outputsOf(opts: ReportOptions): [Record<string, unknown>, Record<string, string>] {
  const plotFiles = Object.fromEntries(
    opts.plots ? PLOT_FILES.map((f, i) => [`plot${i}`, join(opts.plots!, f)]) : [],
  );
  const outputs: Record<string, string> = { out: '--out' };
  for (const key of Object.keys(plotFiles)) outputs[key] = '--plots';
  return [{ ...opts, ...plotFiles }, outputs];
}

function groupsText(opts: ReportOptions): string {
  if (opts.groups) return opts.groups;
  return `--seen ${opts.seen}${opts.absent ? ` --absent ${opts.absent}` : ''}`;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description(
      'one self-contained HTML page: tables before and after, every method, the γ curve with the chosen points, reliability diagrams and logit-gap histograms (with --bootstrap: intervals, the reliability band and the oracle γ interval)',
    )
    .requiredOption('--logits <file>', 'logits of a labelled set covering seen and absent classes')
    .requiredOption('--labels <file>', 'class index of each row')
    .requiredOption('--out <file>', 'the HTML page to write')
    .option(
      '--plots <dir>',
      `also write the page's plots as standalone SVG files into this existing directory: ${PLOT_FILES.join(', ')}`,
    )
    .option('--title <text>', 'page heading');
  addMetricOptions(
    addCalibrationOptions(addGroupOptions(cmd)).addOption(binsOption()).addOption(equalMassOption()),
  )
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: ReportOptions) => {
      await checkOutputPaths(...outputsOf(opts));
      const names = opts.classNames ? await readClassNames(opts.classNames) : null;
      const {
        calibration: c,
        skipped,
        more,
      } = await runCalibration(opts, async (backend, _c, opened) => {
        // Calibration keeps per-row statistics internally; the logit-gap histogram needs the thresholds
        // by row, so the statistics pass runs once more here.
        const data = await accumulateStats(
          backend,
          withInputKind(opened.logits, metricOptionsOf(opts).inputKind),
          {
            groups: opened.input.groups,
            labels: opened.input.labels,
            nanPolicy: opened.input.nanPolicy ?? 'error',
            ...(opened.input.allowOtherLabels ? { allowOtherLabels: true } : {}),
            ...(opened.input.chunkRows ? { chunkRows: opened.input.chunkRows } : {}),
          },
        );
        return {
          thresholds: thresholdsByLabelGroup(data),
          device: backend.name,
          groups: opened.input.groups,
        };
      });
      const { thresholds, device, groups } = more!;
      // The linear family has no γ: its methods are in the table, not on the γ curve.
      const marks: CurveMark[] = [
        markOf('γ = 0', 0, c.before),
        ...c.methods.filter((m) => Number.isFinite(m.gamma)).map((m) => markOf(m.method, m.gamma, m.table)),
      ];
      const label = (k: number) => names?.[k] ?? String(k);
      // The oracle's γ interval on the curve, and the chosen method's when the bootstrap has one.
      const curveIntervals: GammaInterval[] = c.ci
        ? gammaIntervalsOf(c.ci).filter((i) => i.label === 'oracle' || i.label === c.method)
        : [];
      const evaluated: [string, string][] = [
        ['logits', opts.logits],
        ['labels', opts.labels],
        ['class groups', groupsText(opts)],
        [
          'rows',
          `${c.data.rows} (${c.data.seenRows} labelled seen, ${c.data.absentRows} labelled absent${c.data.sourceRows !== c.data.rows ? `; ${c.data.sourceRows - c.data.rows} dropped` : ''})`,
        ],
        [
          'classes',
          `${groups.numClasses}: ${groups.seen.length} seen, ${groups.absent.length} absent, ${groups.other.length} other`,
        ],
      ];
      if (opts.fitLogits) evaluated.push(['fitting set (alg)', `${opts.fitLogits}, ${opts.fitLabels}`]);
      if (opts.foldLogits?.length) evaluated.push(['pcv folds', opts.foldLogits.join(', ')]);
      const input: ReportInput = {
        title: opts.title ?? `ftcal calibration report: ${basename(opts.logits)}`,
        evaluated,
        device,
        date: new Date(),
        calibration: { method: c.method, before: c.before, after: c.after },
        methods: [
          ...c.methods.map((m) => methodRowOf(m, m.table, methodNote(m))),
          ...skipped.map((s) => ({ method: s.method, table: {}, note: `skipped: ${s.reason}` })),
        ],
        curve: {
          points: c.curve.points,
          marks,
          ausuc: c.curve.ausuc,
          overallPanel: true,
          intervals: curveIntervals,
        },
        reliability: [
          reliabilityPanelOf('Before (γ = 0, T = 1)', c.confidenceBefore.calibration),
          // The bootstrap ran at the chosen point: its band belongs to this panel.
          reliabilityPanelOf(`After (${c.method})`, c.confidenceAfter.calibration, c.ci),
        ],
        ...(c.ci && {
          bootstrap: {
            level: c.ci.level,
            replicates: c.ci.replicates,
            seed: c.ci.seed,
            rows: intervalRowsOf(c.ci),
          },
        }),
        logitGap: { thresholds, markers: marks.map((m) => ({ label: m.label, gamma: m.gamma })) },
        classes: {
          seen: groups.seen.map(label),
          absent: groups.absent.map(label),
          other: groups.other.map(label),
        },
      };
      await writeReport(opts.out, input);
      const plots = opts.plots ? await writeReportPlots(opts.plots, input) : [];
      if (opts.json) {
        const { calibrator: _calibrator, ...doc } = calibrationJson(c, skipped);
        printJson({ ...doc, command: 'report', out: opts.out, ...(opts.plots && { plots }) });
        return;
      }
      print(
        `wrote ${[opts.out, ...plots].join(', ')}: ${calibratorText({ ...c, linear: c.calibrator.linear })}; U/Y ${c.before['U/Y'].toFixed(2)} → ${c.after['U/Y'].toFixed(2)}, Y/Y ${c.before['Y/Y'].toFixed(2)} → ${c.after['Y/Y'].toFixed(2)}`,
      );
    });
}
