import { basename } from 'node:path';
import { accumulateStats, extraJobs, fingerprint, withInputKind, writeStatsFile } from '@ftcal/core';
import type { Command } from 'commander';
import { labelsFor, openLogitsFor, withOpenFiles } from '../datasets.ts';
import {
  deviceOption,
  type GroupArgs,
  jsonOption,
  loadGroups,
  nanPolicyOf,
  nanPolicyOption,
  withBackend,
} from '../inputs.ts';
import { addMetricOptions, type MetricArgs, metricOptionsOf } from '../metric-options.ts';
import {
  addGroupOptions,
  allowOtherLabelsOption,
  binsOption,
  chunkRowsOption,
  numberOption,
  usageError,
} from '../options.ts';
import { print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';

interface StatsOptions extends GroupArgs, MetricArgs {
  logits: string;
  labels: string;
  out: string;
  temperature: number;
  gamma: number;
  bins: number;
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

/**
 * The map step of a sharded run (DESIGN.md §1.3): one shard's per-row statistics into a file that
 * `--stats` on evaluate, curve and calibrate merges with the others into exactly the single-run result.
 */
export function registerStats(program: Command): void {
  const cmd = program
    .command('stats')
    .description(
      "one shard's per-row statistics (the map step): --stats on evaluate, curve and calibrate merges such files into exactly what one run over all rows gives",
    )
    .requiredOption(
      '--logits <file>',
      'logits of this shard (a quoted glob or @list.txt reads several as one)',
    )
    .requiredOption('--labels <file>', 'class index of each row (one file, or one per logits file)')
    .requiredOption('--out <file>', 'the statistics file to write (.npz)');
  addGroupOptions(cmd)
    .addOption(
      numberOption(
        '--temperature <T>',
        'temperature of the log-sum-exps (tables at any γ, at this T)',
        'temperature',
      ).default(1),
    )
    .addOption(
      numberOption(
        '--gamma <g>',
        'bias of the operating point of --top-k and --classwise (the tables stay at any γ)',
        'gamma',
      ).default(0),
    )
    .addOption(binsOption());
  addMetricOptions(cmd, { atPoint: true, bootstrap: false })
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: StatsOptions, command: Command) => {
      const metrics = metricOptionsOf(opts);
      // Top-k and classwise ECE are taken at one (γ, T) and merge only there (DESIGN.md §1.3).
      const jobs = extraJobs(metrics, opts.gamma, opts.bins);
      for (const flag of ['gamma', 'bins'] as const) {
        if (jobs.length === 0 && command.getOptionValueSource(flag) === 'cli') {
          throw usageError(
            `--${flag}`,
            'sets the operating point of --top-k and --classwise, and neither was given',
            `add --top-k k or --classwise, or drop --${flag}`,
          );
        }
      }
      await checkOutputPaths(opts, { out: '--out' });
      const header = await withOpenFiles(async (files) => {
        const logits = await openLogitsFor(files, opts.logits, null);
        const groups = await loadGroups(opts, logits.cols);
        const allowOther = opts.allowOtherLabels === true;
        const labels = await labelsFor(opts.labels, logits, groups, allowOther);
        return withBackend(opts.device, async (backend) => {
          const bar = progress(`statistics of ${basename(logits.name)}`);
          const data = await accumulateStats(backend, withInputKind(logits, metrics.inputKind), {
            groups,
            labels,
            temperature: opts.temperature,
            accumulators: jobs,
            nanPolicy: nanPolicyOf(opts.nanPolicy),
            allowOtherLabels: allowOther,
            chunkRows: opts.chunkRows,
            onProgress: (done, total) => bar.update(done, total),
          });
          bar.done();
          const provenance = { fingerprints: [await fingerprint(logits)], backend: backend.name };
          await writeStatsFile(opts.out, data, provenance);
          return {
            source: data.source,
            rows: data.rows,
            sourceRows: data.sourceRows,
            dropped: data.dropped,
            accumulators: jobs,
          };
        });
      });
      if (opts.json) {
        printJson({ schemaVersion: 1, command: 'stats', out: opts.out, ...header });
        return;
      }
      const { nonFinite, otherLabel } = header.dropped;
      const dropped =
        nonFinite + otherLabel ? ` (${nonFinite + otherLabel} of ${header.sourceRows} dropped)` : '';
      const held = [
        metrics.topK !== undefined ? `top-${metrics.topK} accuracy` : '',
        metrics.classwise ? 'classwise ECE' : '',
      ].filter(Boolean);
      const at = held.length ? `, with ${held.join(' and ')} at γ = ${opts.gamma}` : '';
      print(`${header.source}: statistics of ${header.rows} rows${dropped}${at} written to ${opts.out}`);
    });
}
