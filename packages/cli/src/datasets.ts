import {
  type ClassGroups,
  checkLabels,
  concatSources,
  expandInputs,
  fileBytes,
  type HeadWeights,
  InputError,
  openArray,
  type TensorSource,
} from '@ftcal/core';
import { loadLabels, openLogits } from './inputs.ts';

/** The shards behind a logits source opened from a glob or list, for matching its labels shard by shard. */
const shardsOf = new WeakMap<TensorSource, TensorSource[]>();

/**
 * Every file a command opens, closed together when it ends (success or not), so a failure half-way
 * through opening inputs leaks no handle.
 */
export class OpenFiles {
  private readonly sources: TensorSource[] = [];

  track<T extends TensorSource>(source: T): T {
    this.sources.push(source);
    return source;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.sources.splice(0).map((s) => s.close().catch(() => {})));
  }
}

export async function withOpenFiles<T>(work: (files: OpenFiles) => Promise<T>): Promise<T> {
  const files = new OpenFiles();
  try {
    return await work(files);
  } finally {
    await files.closeAll();
  }
}

/**
 * Logits whose width must match the head the groups describe (checked before any work starts). A quoted
 * glob or @list.txt opens every shard, read as one data set in name (or list) order.
 */
export async function openLogitsFor(
  files: OpenFiles,
  spec: string,
  groups: ClassGroups | null,
  againstName?: string,
): Promise<TensorSource> {
  const paths = await expandInputs(spec);
  const parts: TensorSource[] = [];
  for (const path of paths) parts.push(files.track(await openLogits(path)));
  const source = parts.length === 1 ? parts[0]! : concatSources(parts, `${spec} (${parts.length} files)`);
  if (parts.length > 1) shardsOf.set(source, parts);
  if (groups && source.cols !== groups.numClasses) {
    throw new InputError(
      `${spec}: ${source.cols} logits per row but ${againstName ?? 'the class groups'} ${againstName ? 'has' : 'have'} ${groups.numClasses} classes; use logits of the same model head`,
    );
  }
  return source;
}

/**
 * Labels of a logit file's rows, checked against the groups here so that a bad label is reported against
 * the labels file (out of range: always an error; in O: an error unless --allow-other-labels). Sharded
 * logits take one labels file for all their rows, or one per shard in the same order.
 */
export async function labelsFor(
  spec: string,
  rowsOf: TensorSource,
  groups: ClassGroups,
  allowOtherLabels: boolean,
): Promise<Int32Array> {
  const paths = await expandInputs(spec);
  let labels: Int32Array;
  if (paths.length === 1) {
    labels = await loadLabels(paths[0]!, rowsOf.rows, rowsOf.name);
  } else {
    const shards = shardsOf.get(rowsOf);
    if (!shards || shards.length !== paths.length) {
      throw new InputError(
        `${spec}: ${paths.length} labels files for ${shards?.length ?? 1} logits file${shards?.length === 1 || !shards ? '' : 's'} (${rowsOf.name}); give one labels file for all rows or one per logits shard, in the same order`,
      );
    }
    const parts: Int32Array[] = [];
    for (const [i, path] of paths.entries())
      parts.push(await loadLabels(path, shards[i]!.rows, shards[i]!.name));
    labels = new Int32Array(rowsOf.rows);
    let at = 0;
    for (const part of parts) {
      labels.set(part, at);
      at += part.length;
    }
  }
  checkLabels(labels, groups, { allowOtherLabels, what: spec });
  return labels;
}

/** A 2-D array read whole (head weights): small next to the data, and needed at every chunk. */
export async function readMatrix(
  spec: string,
  what: string,
): Promise<{ name: string; data: Float32Array; rows: number; cols: number }> {
  const source = await openArray(spec);
  try {
    if (source.shape.length !== 2) {
      throw new InputError(
        `${spec}: ${what} must be a 2-D array, got shape [${source.shape.join(', ')}]; save it as a matrix`,
      );
    }
    return { name: spec, data: await source.readRows(0, source.rows), rows: source.rows, cols: source.cols };
  } finally {
    await source.close();
  }
}

/** Head weights (diagnostics, wa): one row per class of the head, nn.Linear layout. */
export async function loadHeadWeights(spec: string, numClasses: number): Promise<HeadWeights> {
  const w = await readMatrix(spec, 'head weights');
  if (w.rows !== numClasses) {
    const transposed = w.cols === numClasses ? ' (it looks transposed: save W.T)' : '';
    throw new InputError(
      `${spec}: ${w.rows} weight rows but the logits have ${numClasses} classes${transposed}; pass the head's weights in nn.Linear layout (classes × features)`,
    );
  }
  return w;
}

/** The head's bias: one value per class of the weights `weightsSpec` holds. */
export async function loadHeadBias(
  spec: string,
  weightsSpec: string,
  numClasses: number,
): Promise<Float32Array> {
  const bias = await readVector(spec);
  if (bias.length !== numClasses) {
    throw new InputError(
      `${spec}: ${bias.length} values but ${weightsSpec} has ${numClasses} classes; pass the bias of the same head`,
    );
  }
  return bias;
}

/** A vector read whole (a bias): a 1-D array, or a 1×n / n×1 matrix. */
export async function readVector(spec: string): Promise<Float32Array> {
  const source = await openArray(spec);
  try {
    if (source.shape.length === 2 && source.rows !== 1 && source.cols !== 1) {
      throw new InputError(
        `${spec}: expected a vector, got a ${source.rows}×${source.cols} matrix; save one value per class`,
      );
    }
    return await source.readRows(0, source.rows);
  } finally {
    await source.close();
  }
}

/** A small text file (a calibrator), read like every input: regular files only, one line per failure. */
export async function readTextFile(path: string): Promise<string> {
  const bytes = await fileBytes(path);
  try {
    return new TextDecoder().decode(await bytes.read(0, bytes.size));
  } finally {
    await bytes.close();
  }
}
