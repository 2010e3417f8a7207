import { basename } from 'node:path';
import { accumulateStats, fingerprint, writeStatsFile } from '@ftcal/core';
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
import { addGroupOptions, allowOtherLabelsOption, chunkRowsOption, numberOption } from '../options.ts';
import { print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';

interface StatsOptions extends GroupArgs {
  logits: string;
  labels: string;
  out: string;
  temperature: number;
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
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: StatsOptions) => {
      await checkOutputPaths(opts, { out: '--out' });
      const header = await withOpenFiles(async (files) => {
        const logits = await openLogitsFor(files, opts.logits, null);
        const groups = await loadGroups(opts, logits.cols);
        const allowOther = opts.allowOtherLabels === true;
        const labels = await labelsFor(opts.labels, logits, groups, allowOther);
        return withBackend(opts.device, async (backend) => {
          const bar = progress(`statistics of ${basename(logits.name)}`);
          const data = await accumulateStats(backend, logits, {
            groups,
            labels,
            temperature: opts.temperature,
            nanPolicy: nanPolicyOf(opts.nanPolicy),
            allowOtherLabels: allowOther,
            chunkRows: opts.chunkRows,
            onProgress: (done, total) => bar.update(done, total),
          });
          bar.done();
          const provenance = { fingerprints: [await fingerprint(logits)], backend: backend.name };
          await writeStatsFile(opts.out, data, provenance);
          return { source: data.source, rows: data.rows, sourceRows: data.sourceRows, dropped: data.dropped };
        });
      });
      if (opts.json) {
        printJson({ schemaVersion: 1, command: 'stats', out: opts.out, ...header });
        return;
      }
      const { nonFinite, otherLabel } = header.dropped;
      const dropped =
        nonFinite + otherLabel ? ` (${nonFinite + otherLabel} of ${header.sourceRows} dropped)` : '';
      print(`${header.source}: statistics of ${header.rows} rows${dropped} written to ${opts.out}`);
    });
}
