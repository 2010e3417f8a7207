import {
  type Backend,
  type ClassGroups,
  type DevicePreference,
  InputError,
  makeGroups,
  type NanPolicy,
  openArray,
  readGroupsFile,
  readLabels,
  selectBackend,
  type TensorSource,
} from '@ftcal/core';
import { Option } from 'commander';
import { choiceOption, parseIndexList, quoted, usageError } from './options.ts';
import { info } from './output.ts';
import { cliWording } from './wording.ts';

/** `--device auto|gpu|cpu`, or `gpu:NAME` for the adapter that answers to NAME (as `doctor` lists it). */
export function parseDevice(value: string): { preference: DevicePreference; adapter?: string } {
  const named = /^gpu:(.*\S.*)$/s.exec(value);
  if (named) return { preference: 'gpu', adapter: named[1]!.trim() };
  if (value === 'auto' || value === 'gpu' || value === 'cpu') return { preference: value };
  throw usageError(
    '--device',
    `${quoted(value)} is not one of auto, gpu, gpu:NAME, cpu`,
    'pass one of them, e.g. --device gpu:swiftshader (ftcal doctor lists the adapters and their names)',
  );
}

export const deviceOption = () =>
  new Option(
    '--device <device>',
    'where kernels run: auto (hardware GPU, else CPU), gpu, gpu:NAME (the adapter named so in `ftcal doctor`: gpu:swiftshader, gpu:llvmpipe), cpu',
  )
    .argParser((value: string) => {
      parseDevice(value);
      return value;
    })
    .default('auto');

export const jsonOption = () => new Option('--json', 'print exactly one JSON document on stdout');

export const nanPolicyOption = (description = 'rows with NaN/+Inf logits: error, or skip them (counted)') =>
  choiceOption('--nan-policy <policy>', description, ['error', 'skip']).default('error');

export interface GroupArgs {
  groups?: string;
  classNames?: string;
  seen?: string;
  absent?: string;
}

/**
 * Class groups from --groups FILE (JSON or a list of seen classes, indices or names with --class-names)
 * or from inline --seen/--absent lists; absent defaults to every non-seen class.
 */
export async function loadGroups(args: GroupArgs, numClasses: number): Promise<ClassGroups> {
  if (args.groups && (args.seen !== undefined || args.absent !== undefined)) {
    throw new InputError(
      '--groups and --seen/--absent both give the class groups; pass either --groups FILE or --seen/--absent lists',
    );
  }
  if (args.groups) {
    const g = await readGroupsFile(args.groups, { numClasses, classNames: args.classNames });
    return makeGroups(numClasses, g.seen, g.absent ?? undefined, args.groups);
  }
  if (args.seen !== undefined) {
    const absent = args.absent ? parseIndexList('--absent', args.absent, numClasses) : undefined;
    return makeGroups(numClasses, parseIndexList('--seen', args.seen, numClasses), absent, '--seen/--absent');
  }
  throw new InputError(
    'no class groups given; pass --groups groups.json (or --seen 0-4) to say which classes were fine-tuned',
  );
}

export async function openLogits(spec: string): Promise<TensorSource> {
  const source = await openArray(spec);
  if (source.shape.length !== 2) {
    await source.close();
    throw new InputError(
      `${spec}: logits must be a 2-D array (rows × classes), got shape [${source.shape.join(', ')}]; save it as a matrix`,
    );
  }
  return source;
}

export async function loadLabels(spec: string, rows: number, against: string): Promise<Int32Array> {
  const labels = await readLabels(spec);
  if (labels.length !== rows) {
    throw new InputError(
      `${spec}: ${labels.length} labels for the ${rows} rows of ${against}; pass the labels of the same rows`,
    );
  }
  return labels;
}

export function nanPolicyOf(value: string | undefined): NanPolicy {
  return value === 'skip' ? 'skip' : 'error';
}

/** Opens the backend for --device (one line on stderr says which), runs `work`, always releases it. */
export async function withBackend<T>(
  device: string | undefined,
  work: (b: Backend) => Promise<T>,
): Promise<T> {
  const { preference, adapter } = parseDevice(device ?? 'auto');
  const backend = await selectBackend(preference, { log: info, wording: cliWording, adapter });
  try {
    return await work(backend);
  } finally {
    backend.dispose();
  }
}
