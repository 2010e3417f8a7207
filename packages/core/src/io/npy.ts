import { openAtomicWriter } from './atomic.ts';
import type { ByteSource } from './bytes.ts';
import { HOST_LITTLE } from './dtype.ts';
import { type ByteInput, openBytes } from './input.ts';
import { labelsFromSource } from './labels.ts';
import { encodeNpyHeader, type NpyHeader, type NpyOptions, readNpyHeader } from './npy-header.ts';
import { denseSource, type TensorSource } from './tensor-source.ts';

export type { NpyHeader, NpyOptions } from './npy-header.ts';

export interface NpySource extends TensorSource {
  readonly header: NpyHeader;
}

/** An .npy array over any byte source (a file, a stored .npz member, an inflated one); owns `bytes`. */
export async function npyFromBytes(bytes: ByteSource, options: NpyOptions = {}): Promise<NpySource> {
  let header: NpyHeader;
  try {
    header = await readNpyHeader(bytes, options);
  } catch (err) {
    await bytes.close();
    throw err;
  }
  return { ...denseSource(bytes, header), header };
}

/** Opens an .npy (a path, a Blob or File, or its bytes) and reads rows by ranges. */
export async function openNpy(
  input: ByteInput,
  options: NpyOptions & { name?: string } = {},
): Promise<NpySource> {
  return npyFromBytes(await openBytes(input, options.name), options);
}

/** Labels (class indices) from an .npy of integers or of integral floats. */
export async function readNpyLabels(input: ByteInput): Promise<Int32Array> {
  const source = await openNpy(input);
  try {
    return await labelsFromSource(source);
  } finally {
    await source.close();
  }
}

export type NpyData = Float32Array | Int32Array;

function descrOf(data: NpyData): string {
  return data instanceof Float32Array ? '<f4' : '<i4';
}

function checkNpyShape(path: string, length: number, shape: readonly number[]): void {
  if (shape.length < 1 || shape.length > 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(`${path}: writeNpy takes a 1-D or 2-D shape, not [${shape.join(', ')}]`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new RangeError(`${path}: ${length} values for shape [${shape.join(', ')}]`);
}

/** Little-endian bytes of `data`, viewing it in place on little-endian hosts. */
function leBytes(data: NpyData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE) return view;
  const out = view.slice();
  for (let i = 0; i < out.length; i += 4) {
    out.set([out[i + 3]!, out[i + 2]!, out[i + 1]!, out[i]!], i);
  }
  return out;
}

/** Writes a C-order `<f4` or `<i4` .npy (format 1.0) atomically: the file appears whole or not at all. */
export async function writeNpy(
  path: string,
  data: NpyData,
  shape: readonly number[] = [data.length],
): Promise<void> {
  checkNpyShape(path, data.length, shape);
  const writer = await createNpyWriter(path, data instanceof Float32Array ? 'float32' : 'int32', shape);
  try {
    await writer.writeRows(data);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Streams a known-shape .npy out row chunk by row chunk, for outputs too large to hold at once. */
export interface NpyWriter {
  readonly path: string;
  /** Appends values (whole rows) in C order. */
  writeRows(values: NpyData): Promise<void>;
  /** Checks every value arrived, then makes the file appear atomically. */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Values per write: large rows are passed through in pieces so a big Float32Array is never copied whole. */
const WRITE_CHUNK_VALUES = 1 << 20;

export async function createNpyWriter(
  path: string,
  type: 'float32' | 'int32',
  shape: readonly number[],
): Promise<NpyWriter> {
  const total = shape.reduce((a, b) => a * b, 1);
  checkNpyShape(path, total, shape);
  const descr = descrOf(type === 'float32' ? new Float32Array(0) : new Int32Array(0));
  const writer = await openAtomicWriter(path);
  let written = 0;
  try {
    await writer.write(encodeNpyHeader(descr, shape));
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return {
    path,
    async writeRows(values) {
      if (descrOf(values) !== descr)
        throw new TypeError(`${path}: writer holds ${type}, got ${values.constructor.name}`);
      if (written + values.length > total) {
        throw new RangeError(
          `${path}: ${written + values.length} values written for shape [${shape.join(', ')}]`,
        );
      }
      for (let at = 0; at < values.length; at += WRITE_CHUNK_VALUES) {
        await writer.write(leBytes(values.subarray(at, at + WRITE_CHUNK_VALUES)));
      }
      written += values.length;
    },
    async commit() {
      if (written !== total) {
        await writer.abort();
        throw new RangeError(`${path}: only ${written} of ${total} values written; nothing was saved`);
      }
      await writer.commit();
    },
    abort: () => writer.abort(),
  };
}
