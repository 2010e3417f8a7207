import type { ByteSource } from './bytes.ts';
import { type DTypeName, dtype } from './dtype.ts';
import { inputError } from './fail.ts';
import { type ByteInput, openBytes } from './input.ts';
import { checkShape, dataBytesOf } from './npy-header.ts';
import { denseSource, type TensorSource } from './tensor-source.ts';

/**
 * .safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
 * {dtype, shape, data_offsets}, then the data (little-endian, C order). Offsets are relative to the
 * first data byte and are checked against the file size and shape·itemsize before anything is read.
 */
export interface SafetensorsOptions {
  /** The tensor to read; by default the file's only tensor. */
  tensor?: string;
  /** The file's name in messages (default: the path or File name). */
  name?: string;
}

/** The format's own limit on the header; a larger length is corruption or an attack. */
const MAX_SAFETENSORS_HEADER = 100_000_000;

/** The dtypes ftcal reads (DESIGN.md §3); BOOL and the small integers are not logits, labels or weights. */
const DTYPES: Record<string, DTypeName> = {
  F16: 'float16',
  BF16: 'bfloat16',
  I32: 'int32',
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
};

/** Bytes per element of the format's other dtypes: their spans are checked too, though not read. */
const OTHER_ITEM_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  U32: 4,
  U64: 8,
};

/**
 * The header's top-level keys in order, duplicates kept (JSON.parse keeps only the last of a repeated
 * key). `json` is known to be valid JSON, so tracking strings and nesting is enough.
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (ch === '{' || ch === '[') {
      depth++;
      expectKey = depth === 1;
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/**
 * The format's layout rule: the tensors tile the data area exactly, from byte 0 to its end, with no
 * overlap, no hole and nothing after the last one (what the reference implementation enforces).
 */
function checkTiling(file: string, tensors: readonly TensorInfo[], dataSize: number): void {
  const corrupt = (problem: string) =>
    inputError(file, problem, 'the file is corrupt or not safetensors; re-export it');
  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: TensorInfo | undefined;
  for (const t of byOffset) {
    if (t.begin < at)
      throw corrupt(`tensors '${previous!.name}' and '${t.name}' overlap (data bytes ${t.begin} to ${at})`);
    if (t.begin > at) throw corrupt(`data bytes [${at}, ${t.begin}) belong to no tensor`);
    at = t.end;
    previous = t;
  }
  if (at < dataSize) throw corrupt(`${dataSize - at} bytes after the last tensor belong to no tensor`);
}

interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function listText(names: string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown}, … and ${names.length - 20} more` : shown || 'none';
}

async function readHeader(bytes: ByteSource): Promise<{ tensors: TensorInfo[]; dataStart: number }> {
  const file = bytes.name;
  const corrupt = (problem: string) =>
    inputError(file, problem, 'the file is corrupt or not safetensors; re-export it');
  if (bytes.size < 8) throw inputError(file, 'too short to be a .safetensors file', 're-export it');
  const len = new DataView((await bytes.read(0, 8)).slice().buffer).getBigUint64(0, true);
  if (len > BigInt(MAX_SAFETENSORS_HEADER))
    throw corrupt(`header length ${len} is absurd (at most ${MAX_SAFETENSORS_HEADER})`);
  const headerLen = Number(len);
  if (8 + headerLen > bytes.size)
    throw corrupt(`truncated: the header claims ${headerLen} bytes but the file has ${bytes.size}`);
  let json: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await bytes.read(8, headerLen));
    json = JSON.parse(text);
  } catch {
    throw corrupt('the header is not valid UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw corrupt('the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataSize = bytes.size - dataStart;
  const keys = topLevelKeys(text);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw corrupt(`the header names tensor '${twice}' twice`);
  const tensors: TensorInfo[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const bad = (what: string) => corrupt(`tensor '${name}' has ${what}`);
    if (typeof t !== 'object' || t === null) throw bad('no description');
    if (typeof t.dtype !== 'string') throw bad('no dtype');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad('a bad shape');
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad('bad data_offsets');
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataSize) {
      throw inputError(
        file,
        `tensor '${name}' lies at data bytes [${begin}, ${end}) but only ${dataSize} data bytes follow the header`,
        'the file is truncated or corrupt; re-export it',
      );
    }
    const known = DTYPES[t.dtype];
    const itemsize = known ? dtype(known).itemsize : OTHER_ITEM_SIZES[t.dtype];
    if (itemsize !== undefined) {
      const want = dataBytesOf(file, t.shape, itemsize);
      if (end - begin !== want) {
        throw bad(`shape [${t.shape.join(', ')}] ${t.dtype} (${want} bytes) but spans ${end - begin} bytes`);
      }
    }
    tensors.push({ name, dtype: t.dtype, shape: t.shape as number[], begin, end });
  }
  checkTiling(file, tensors, dataSize);
  return { tensors, dataStart };
}

/** Tensor names in a .safetensors file (a path, a Blob or File, or its bytes). */
export async function listSafetensors(input: ByteInput): Promise<string[]> {
  const bytes = await openBytes(input);
  try {
    return (await readHeader(bytes)).tensors.map((t) => t.name);
  } finally {
    await bytes.close();
  }
}

export async function openSafetensors(
  input: ByteInput,
  options: SafetensorsOptions = {},
): Promise<TensorSource> {
  return safetensorsFromBytes(await openBytes(input, options.name), options);
}

/** Opens one tensor of the file in `bytes`, which the returned source owns. */
export async function safetensorsFromBytes(
  bytes: ByteSource,
  options: SafetensorsOptions = {},
): Promise<TensorSource> {
  const file = bytes.name;
  try {
    const { tensors, dataStart } = await readHeader(bytes);
    const names = tensors.map((t) => t.name);
    let t: TensorInfo | undefined;
    if (options.tensor !== undefined) {
      t = tensors.find((x) => x.name === options.tensor);
      if (!t) {
        throw inputError(
          file,
          `no tensor '${options.tensor}' (it holds: ${listText(names)})`,
          `use ${file}:NAME with one of those`,
          'input',
        );
      }
    } else if (tensors.length === 1) {
      t = tensors[0]!;
    } else if (tensors.length === 0) {
      throw inputError(file, 'the file holds no tensors', 'export at least one tensor');
    } else {
      throw inputError(
        file,
        `the file holds ${tensors.length} tensors (${listText(names)})`,
        `pick one as ${file}:NAME`,
        'input',
      );
    }
    const name = `${file}:${t.name}`;
    const known = DTYPES[t.dtype];
    if (!known) {
      throw inputError(name, `unsupported dtype ${t.dtype}`, 'export it as F32, F16, BF16, F64, I32 or I64');
    }
    checkShape(name, t.shape, 'tensor');
    return denseSource(
      bytes,
      { dtype: dtype(known), shape: t.shape, fortranOrder: false, dataOffset: dataStart + t.begin },
      name,
    );
  } catch (err) {
    await bytes.close();
    throw err;
  }
}
