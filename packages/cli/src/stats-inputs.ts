import {
  type DataStats,
  expandInputs,
  type Fingerprint,
  InputError,
  mergeStats,
  readStatsFile,
} from '@ftcal/core';
import { Option } from 'commander';
import { type GroupArgs, loadGroups } from './inputs.ts';
import { usageError } from './options.ts';

/** `--stats FILES…` on evaluate, curve and calibrate: the reduce step over `ftcal stats` files. */
export const statsOption = () =>
  new Option(
    '--stats <files...>',
    'statistics files written by ftcal stats, merged instead of reading --logits/--labels (quoted globs and @list.txt too; rows in the order given)',
  );

/** Which input a command was given: logits and labels, or statistics files; both or neither is a mistake. */
export function inputKind(
  command: string,
  opts: { logits?: string | string[]; labels?: string; stats?: string[] },
): 'logits' | 'stats' {
  const logits = opts.logits !== undefined && [opts.logits].flat().length > 0;
  const labels = opts.labels !== undefined;
  if (opts.stats?.length) {
    if (logits || labels) {
      throw usageError(
        '--stats',
        `given with ${logits ? '--logits' : '--labels'}, but the statistics files already hold the rows`,
        'pass the statistics files or the logits and labels, not both',
      );
    }
    return 'stats';
  }
  if (logits && !labels)
    throw usageError('--labels', `required by ${command}, not given`, 'pass --labels <file>');
  if (!logits) {
    throw usageError(
      '--logits',
      `required by ${command}, not given`,
      `pass --logits <file>${labels ? '' : ' --labels <file>'}, or --stats FILES from ftcal stats`,
    );
  }
  return 'logits';
}

/**
 * Reads and merges statistics files (each spec may be a glob or @list), in the order given. Class groups
 * given beside them must be the ones the statistics were taken with.
 */
export async function loadStats(
  specs: readonly string[],
  groupArgs: GroupArgs,
): Promise<{ data: DataStats; fingerprints: Fingerprint[]; files: number }> {
  const paths: string[] = [];
  for (const spec of specs) paths.push(...(await expandInputs(spec)));
  const files = [];
  for (const path of paths) files.push(await readStatsFile(path));
  const merged = mergeStats(files);
  if (groupArgs.groups || groupArgs.seen) {
    const groups = await loadGroups(groupArgs, merged.data.cols);
    if (groups.codes.join() !== merged.data.groups.codes.join()) {
      throw new InputError(
        `${merged.name}: the statistics were taken with other class groups than ${groupArgs.groups ?? '--seen/--absent'}; leave the groups out (the files hold them) or pass the ones they were taken with`,
      );
    }
  }
  return { data: merged.data, fingerprints: merged.header.fingerprints, files: paths.length };
}
