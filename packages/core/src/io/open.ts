import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileBytes } from './bytes.ts';
import { type CsvOptions, openCsv } from './csv.ts';
import { inputError } from './fail.ts';
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
  /** Overrides the choice by extension. */
  format?: ArrayFormat;
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

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Splits `file.npz:logits` into path and tensor. A spec that names an existing file is taken whole, so a
 * path with a colon in it still opens; otherwise the text after the last colon following a known
 * extension is the tensor.
 */
export async function parseArraySpec(spec: string): Promise<ArraySpec> {
  if (await isFile(spec)) return { path: spec };
  const m = /^(.+\.(?:npy|npz|safetensors|csv|tsv|txt)):([^:/\\]+)$/i.exec(spec);
  if (m) return { path: m[1]!, tensor: m[2]! };
  return { path: spec };
}

async function sniff(path: string): Promise<ArrayFormat | null> {
  const bytes = await fileBytes(path);
  try {
    const head = await bytes.read(0, Math.min(6, bytes.size));
    if (head.length === 6 && NPY_MAGIC.every((b, k) => head[k] === b)) return 'npy';
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return 'npz';
    return null;
  } finally {
    await bytes.close();
  }
}

/** Opens an array file by its extension (.npy, .npz, .safetensors, .csv, .tsv, .txt) as a row source. */
export async function openArray(spec: string, options: OpenArrayOptions = {}): Promise<TensorSource> {
  const { path, tensor: fromSpec } = await parseArraySpec(spec);
  if (fromSpec !== undefined && options.tensor !== undefined && fromSpec !== options.tensor) {
    throw inputError(
      spec,
      `names tensor '${fromSpec}' but '${options.tensor}' was asked for too`,
      'give the tensor once',
      'input',
    );
  }
  const tensor = fromSpec ?? options.tensor;
  const format = options.format ?? FORMATS[extname(path).toLowerCase()] ?? (await sniff(path));
  if (!format) {
    throw inputError(
      path,
      `unknown array format '${extname(path) || '(no extension)'}'`,
      'use .npy, .npz, .safetensors, .csv or .txt',
    );
  }
  if (tensor !== undefined && (format === 'npy' || format === 'csv')) {
    throw inputError(
      spec,
      `a ${format} file holds one array, so ':${tensor}' names nothing`,
      `pass just ${path}`,
      'input',
    );
  }
  switch (format) {
    case 'npy':
      return openNpy(path, options);
    case 'npz':
      return openNpz(path, { ...options, member: tensor });
    case 'safetensors':
      return openSafetensors(path, { tensor });
    case 'csv':
      return openCsv(path, { delimiter: options.delimiter, header: options.header });
  }
}

/** Class-index labels from any array spec: integers, or floats with integral values; 1-D or N×1. */
export async function readLabels(spec: string, options: OpenArrayOptions = {}): Promise<Int32Array> {
  const source = await openArray(spec, options);
  try {
    return await labelsFromSource(source);
  } finally {
    await source.close();
  }
}
