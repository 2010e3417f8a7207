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
import { info } from './output.ts';
import { cliWording } from './wording.ts';

export const deviceOption = () =>
  new Option('--device <device>', 'where kernels run: auto (hardware GPU, else CPU), gpu, cpu')
    .choices(['auto', 'gpu', 'cpu'])
    .default('auto');

export const jsonOption = () => new Option('--json', 'print exactly one JSON document on stdout');

export const nanPolicyOption = () =>
  new Option('--nan-policy <policy>', 'rows with NaN/+Inf logits: error, or skip them (counted)')
    .choices(['error', 'skip'])
    .default('error');

export interface GroupArgs {
  groups?: string;
  classNames?: string;
  seen?: string;
  absent?: string;
}

/** Parses "0,1,2" or "0-4,7" into indices (inline --seen / --absent). */
export function parseIndexList(flag: string, text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a) throw new InputError(`${flag}: range ${part} runs backwards; write low-high`);
      for (let c = a; c <= b; c++) out.push(c);
    } else if (/^\d+$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new InputError(`${flag}: '${part}' is not a class index or range; write e.g. 0-4,7`);
    }
  }
  return out;
}

/**
 * Class groups from --groups FILE (JSON or a list of seen classes, indices or names with --class-names)
 * or from inline --seen/--absent lists; absent defaults to every non-seen class.
 */
export async function loadGroups(args: GroupArgs, numClasses: number): Promise<ClassGroups> {
  if (args.groups && (args.seen || args.absent)) {
    throw new InputError('give the class groups once: either --groups FILE or --seen/--absent lists');
  }
  if (args.groups) {
    const g = await readGroupsFile(args.groups, { numClasses, classNames: args.classNames });
    return makeGroups(numClasses, g.seen, g.absent ?? undefined, args.groups);
  }
  if (args.seen) {
    const absent = args.absent ? parseIndexList('--absent', args.absent) : undefined;
    return makeGroups(numClasses, parseIndexList('--seen', args.seen), absent, '--seen/--absent');
  }
  throw new InputError(
    'no class groups: pass --groups groups.json (or --seen 0-4) to say which classes were fine-tuned',
  );
}

export async function openLogits(spec: string): Promise<TensorSource> {
  const source = await openArray(spec);
  if (source.shape.length !== 2) {
    await source.close();
    throw new InputError(
      `${spec}: logits must be a 2-D array (rows × classes), got shape [${source.shape.join(', ')}]`,
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
  const backend = await selectBackend((device ?? 'auto') as DevicePreference, {
    log: info,
    wording: cliWording,
  });
  try {
    return await work(backend);
  } finally {
    backend.dispose();
  }
}
