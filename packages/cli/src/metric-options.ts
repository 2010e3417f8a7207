import { INPUT_KINDS, type InputKind, type MetricOptions } from '@ftcal/core';
import type { Command } from 'commander';
import { choiceOption, numberOption, usageError } from './options.ts';

/** DESIGN.md §1.2's options as evaluate, calibrate, report and curve take them. */
export interface MetricArgs {
  topK?: number;
  classwise?: boolean;
  bootstrap?: number;
  seed?: number;
  inputKind?: string;
}

/**
 * Which of them a command offers: curve has no table at an operating point (no top-k, no classwise);
 * stats takes no bootstrap (`bootstrap: false`: the reduce step resamples the merged rows).
 */
interface Offered {
  atPoint?: boolean;
  bootstrap?: boolean;
}

export function addMetricOptions(cmd: Command, offered: Offered = { atPoint: true }): Command {
  if (offered.atPoint) {
    cmd
      .addOption(
        numberOption(
          '--top-k <k>',
          'also report top-k accuracy splits (Y/Y@k S/Y@k U/Y@k S/S@k U/U@k), k ≥ 2',
          'topK',
        ),
      )
      .option(
        '--classwise',
        'also report classwise ECE over S∪U, S and U (bins every class probability of every row)',
      );
  }
  if (offered.bootstrap !== false) {
    cmd
      .addOption(
        numberOption(
          '--bootstrap <B>',
          '95% bootstrap intervals from B replicates (rows resampled; no second read of the logits)',
          'replicates',
        ),
      )
      .addOption(numberOption('--seed <s>', 'seed of the bootstrap resampling (default 0)', 'seed'));
  }
  return cmd.addOption(
    choiceOption(
      '--input-kind <kind>',
      'what the logits files hold: logits (probabilities are refused) or probs (log p is used)',
      INPUT_KINDS,
    ).default('logits'),
  );
}

/**
 * The options that statistics files (--stats) can serve: the bootstrap, and on evaluate (`held`) top-k
 * and classwise ECE at the operating point `ftcal stats` accumulated them at (core refuses another
 * point); after a calibration they read every logit at the chosen γ, and the input kind is about logits.
 */
export function atPointFromStats(args: MetricArgs, held = false): MetricOptions {
  for (const [flag, given] of [
    ['--top-k', !held && args.topK !== undefined],
    ['--classwise', !held && args.classwise === true],
    ['--input-kind', args.inputKind !== undefined && args.inputKind !== 'logits'],
  ] as const) {
    if (given) {
      throw usageError(
        flag,
        'needs the logits, and only --stats were given',
        'pass --logits and --labels for it',
      );
    }
  }
  return metricOptionsOf(args);
}

/** The library options of the flags given, checked together (a seed needs the bootstrap it seeds). */
export function metricOptionsOf(args: MetricArgs): MetricOptions {
  if (args.seed !== undefined && args.bootstrap === undefined) {
    throw usageError(
      '--seed',
      'seeds the bootstrap, which was not asked for',
      'add --bootstrap B or drop --seed',
    );
  }
  return {
    ...(args.topK !== undefined && { topK: args.topK }),
    ...(args.classwise && { classwise: true }),
    ...(args.bootstrap !== undefined && {
      bootstrap: { replicates: args.bootstrap, ...(args.seed !== undefined && { seed: args.seed }) },
    }),
    inputKind: (args.inputKind ?? 'logits') as InputKind,
  };
}
