import { platform } from '#platform';
import { type CsvOptions, openCsv } from './csv.ts';
import { inputError } from './fail.ts';
import { type ByteInput, extensionOf, inputName, openBytes } from './input.ts';
import { labelsFromSource } from './labels.ts';
import { openNpy } from './npy.ts';
import { NPY_MAGIC, type NpyOptions } from './npy-header.ts';
import { type NpzOptions, openNpz } from './npz.ts';
import { openSafetensors } from './safetensors.ts';
import type { TensorSource } from './tensor-source.ts';

export type ArrayFormat = 'npy' | 'npz' | 'safetensors' | 'csv';

export interface OpenArrayOptions
  extends NpyOptions,
    Pick<NpzOptions, 'maxInflatedBytes' | 'inMemoryLimit' | 'tempDir'> {
  /** The array inside an .npz or .safetensors file; a `file:NAME` spec gives it too. */
  tensor?: string;
  /** Overrides the choice by extension (or, for a Blob or bytes without a name, by content). */
  format?: ArrayFormat;
  /** The name messages give a Blob or bytes (default: a File's name, else `<blob>` or `<bytes>`). */
  name?: string;
  delimiter?: CsvOptions['delimiter'];
  header?: CsvOptions['header'];
}

export interface ArraySpec {
  readonly path: string;
  readonly tensor?: string;
}

const FORMATS: Record<string, ArrayFormat> = {
  '.npy': 'npy',
  '.npz': 'npz',
  '.safetensors': 'safetensors',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
};

/**
 * Splits `file.npz:logits` into path and tensor. A spec that names an existing file is taken whole, so a
 * path with a colon in it still opens; otherwise the text after the last colon following a known
 * extension is the tensor.
 */
export async function parseArraySpec(spec: string): Promise<ArraySpec> {
  if (await platform.isFile(spec)) return { path: spec };
  const m = /^(.+\.(?:npy|npz|safetensors|csv|tsv|txt)):([^:/\\]+)$/i.exec(spec);
  if (m) return { path: m[1]!, tensor: m[2]! };
  return { path: spec };
}

/** The format by magic bytes: npy's magic, a zip's local header (npz), safetensors' JSON header. */
async function sniff(input: ByteInput, name: string): Promise<ArrayFormat | null> {
  const bytes = await openBytes(input, name);
  try {
    const head = await bytes.read(0, Math.min(9, bytes.size));
    if (head.length >= 6 && NPY_MAGIC.every((b, k) => head[k] === b)) return 'npy';
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return 'npz';
    if (head.length === 9 && head[8] === 0x7b) {
      const headerLength = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
      if (headerLength <= BigInt(bytes.size - 8)) return 'safetensors';
    }
    return null;
  } finally {
    await bytes.close();
  }
}

/**
 * Opens an array as a row source: a path (Node; `file.npz:NAME` picks a member), a Blob or File, or its
 * bytes. The format comes from the extension (.npy, .npz, .safetensors, .csv, .tsv, .txt) of the path or
 * File name, else from the content; `format` overrides both.
 */
export async function openArray(input: ByteInput, options: OpenArrayOptions = {}): Promise<TensorSource> {
  const spec = typeof input === 'string' ? await parseArraySpec(input) : null;
  const fromSpec = spec?.tensor;
  if (fromSpec !== undefined && options.tensor !== undefined && fromSpec !== options.tensor) {
    throw inputError(
      input as string,
      `names tensor '${fromSpec}' but '${options.tensor}' was asked for too`,
      'give the tensor once',
      'input',
    );
  }
  const source = spec?.path ?? input;
  const name = inputName(source, options.name);
  const tensor = fromSpec ?? options.tensor;
  const ext = extensionOf(name);
  const format = options.format ?? FORMATS[ext] ?? (await sniff(source, name));
  if (!format) {
    throw spec
      ? inputError(
          name,
          `unknown array format '${ext || '(no extension)'}'`,
          'use .npy, .npz, .safetensors, .csv or .txt',
        )
      : inputError(
          name,
          'is not an array format ftcal recognises by its name or its first bytes',
          'give it a name ending in .npy, .npz, .safetensors, .csv or .txt, or set {option}',
          'bad-file',
          { name: 'format' },
        );
  }
  if (tensor !== undefined && (format === 'npy' || format === 'csv')) {
    throw fromSpec !== undefined
      ? inputError(
          input as string,
          `a ${format} file holds one array, so ':${tensor}' names nothing`,
          `pass just ${name}`,
          'input',
        )
      : inputError(
          name,
          `a ${format} file holds one array, so tensor '${tensor}' names nothing`,
          'leave {option} out',
          'input',
          {
            name: 'tensor',
          },
        );
  }
  switch (format) {
    case 'npy':
      return openNpy(source, { ...options, name });
    case 'npz':
      return openNpz(source, { ...options, name, member: tensor });
    case 'safetensors':
      return openSafetensors(source, { tensor, name });
    case 'csv':
      return openCsv(source, { delimiter: options.delimiter, header: options.header, name });
  }
}

/**
 * Class-index labels from any array openArray takes (a path, a Blob or File, or bytes): integers, or
 * floats with integral values; 1-D or N×1.
 */
export async function readLabels(input: ByteInput, options: OpenArrayOptions = {}): Promise<Int32Array> {
  const source = await openArray(input, options);
  try {
    return await labelsFromSource(source);
  } finally {
    await source.close();
  }
}
