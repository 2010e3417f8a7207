import type { ByteSource } from './bytes.ts';
import { type DType, type DTypeName, dtype, HOST_LITTLE } from './dtype.ts';
import { bytesText, inputError, shapeText } from './fail.ts';
import { PySyntaxError, PyTuple, type PyValue, parsePyLiteral } from './py-literal.ts';
import type { DenseLayout } from './tensor-source.ts';

/** `\x93NUMPY` */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
/**
 * No real header is near this: a 2-D shape and a dtype fit in a hundred bytes (numpy itself refuses
 * headers over 10000 bytes by default). A larger length is corruption, not data.
 */
export const MAX_NPY_HEADER = 65536;

export interface NpyOptions {
  /** Read '<u2' arrays as bfloat16 bit patterns (numpy has no bfloat16; exporters save its bits as u2). */
  u2AsBfloat16?: boolean;
}

export interface NpyHeader extends DenseLayout {
  readonly version: 1 | 2 | 3;
  /** The descr string as written, e.g. '<f4', for messages. */
  readonly descr: string;
  readonly dataBytes: number;
}

const NUMPY_KINDS: Record<string, DTypeName> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
};

function descrToDtype(file: string, descr: string, options: NpyOptions): DType {
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const name = m ? NUMPY_KINDS[m[2]!] : undefined;
  if (!m || !name) {
    const fix =
      descr.startsWith('|O') || descr === 'O'
        ? 'pickled object arrays are not supported; save a numeric array'
        : 'save it as float32 (a.astype(np.float32)) or another supported dtype (f2/f4/f8, i1–i8, u1–u8, b1)';
    throw inputError(file, `unsupported dtype '${descr}'`, fix);
  }
  const order = m[1]!;
  const single = name === 'bool' || name === 'int8' || name === 'uint8';
  if (order === '|' && !single) {
    throw inputError(
      file,
      `dtype '${descr}' has no byte order but is ${name}`,
      're-save the array with numpy',
    );
  }
  const little = order === '<' || (order === '=' && HOST_LITTLE) || order === '|';
  if (name === 'uint16' && options.u2AsBfloat16) return dtype('bfloat16', little);
  return dtype(name, little);
}

export function checkShape(file: string, shape: readonly number[], what = 'array'): void {
  if (shape.length === 0) {
    throw inputError(file, `the ${what} is 0-d (a scalar)`, 'save a 1-D (N) or 2-D (N×C) array', 'shape');
  }
  if (shape.length > 2) {
    throw inputError(
      file,
      `the ${what} is ${shape.length}-D (${shape.join('×')})`,
      'reshape it to 2-D (rows × classes) before saving',
      'shape',
    );
  }
}

/** Product of the dims times the item size, or an error when it cannot be a real file's size. */
export function dataBytesOf(file: string, shape: readonly number[], itemsize: number): number {
  let n = itemsize;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) {
      throw inputError(
        file,
        `shape ${shapeText(shape)} is too large to be a real array`,
        'the header is corrupt; re-export the array',
      );
    }
  }
  return n;
}

function asShape(file: string, v: PyValue | undefined): number[] {
  if (!(v instanceof PyTuple))
    throw inputError(file, "the header's 'shape' is not a tuple", 're-save the array with numpy');
  return v.items.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw inputError(
        file,
        `the header's shape has a bad dimension ${String(d)}`,
        're-save the array with numpy',
      );
    }
    return d;
  });
}

/**
 * Parses and validates the header of the .npy at the start of `bytes`, and checks that exactly the
 * data it promises follows. Never allocates more than the (capped) header length.
 */
export async function readNpyHeader(bytes: ByteSource, options: NpyOptions = {}): Promise<NpyHeader> {
  const file = bytes.name;
  const notNpy = () =>
    inputError(file, 'not a .npy file (no \\x93NUMPY magic)', 'pass an array saved with numpy.save');
  if (bytes.size < 10) {
    if (bytes.size === 0) throw inputError(file, 'the file is empty', 're-export the array');
    throw notNpy();
  }
  const pre = await bytes.read(0, Math.min(12, bytes.size));
  for (let k = 0; k < NPY_MAGIC.length; k++) if (pre[k] !== NPY_MAGIC[k]) throw notNpy();
  const major = pre[6]!;
  const minor = pre[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw inputError(
      file,
      `unsupported .npy format version ${major}.${minor}`,
      'save with numpy (format 1.0, 2.0 or 3.0)',
    );
  }
  const version = major as 1 | 2 | 3;
  const lenBytes = version === 1 ? 2 : 4;
  const prefix = 8 + lenBytes;
  if (bytes.size < prefix) throw inputError(file, 'truncated inside the header', 're-export the array');
  const view = new DataView(pre.buffer, pre.byteOffset, pre.length);
  const headerLen = version === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER) {
    throw inputError(
      file,
      `header length ${headerLen} is absurd (at most ${MAX_NPY_HEADER})`,
      'the file is corrupt; re-export the array',
    );
  }
  if (prefix + headerLen > bytes.size) {
    throw inputError(
      file,
      `truncated: the header claims ${headerLen} bytes but the file has ${bytes.size}`,
      're-export the array',
    );
  }
  const raw = await bytes.read(prefix, headerLen);
  let text: string;
  try {
    text = new TextDecoder(version === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    throw inputError(file, 'the header is not valid UTF-8', 'the file is corrupt; re-export the array');
  }
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    if (!(err instanceof PySyntaxError)) throw err;
    throw inputError(file, `unreadable header (${err.message})`, 'the file is corrupt; re-export the array');
  }
  if (!(dict instanceof Map))
    throw inputError(file, 'the header is not a dict', 'the file is corrupt; re-export the array');
  const keys = [...dict.keys()].map(String).sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    throw inputError(
      file,
      `the header has keys {${keys.join(', ')}}, not {descr, fortran_order, shape}`,
      'the file is corrupt; re-export the array',
    );
  }
  const descr = dict.get('descr');
  if (Array.isArray(descr)) {
    throw inputError(
      file,
      'structured (record) arrays are not supported',
      'save a plain numeric 1-D or 2-D array',
    );
  }
  if (typeof descr !== 'string')
    throw inputError(file, "the header's 'descr' is not a string", 're-save the array with numpy');
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') {
    throw inputError(
      file,
      "the header's 'fortran_order' is not True or False",
      're-save the array with numpy',
    );
  }
  const shape = asShape(file, dict.get('shape'));
  const dt = descrToDtype(file, descr, options);
  checkShape(file, shape);
  const dataOffset = prefix + headerLen;
  const dataBytes = dataBytesOf(file, shape, dt.itemsize);
  const follows = bytes.size - dataOffset;
  if (follows !== dataBytes) {
    const what = `header says ${shapeText(shape)} ${descr.slice(1)} (${bytesText(dataBytes)})`;
    if (follows < dataBytes) {
      throw inputError(
        file,
        `truncated: ${what} but only ${follows} data bytes follow`,
        're-export the array',
      );
    }
    throw inputError(
      file,
      `${what} but ${follows - dataBytes} extra bytes follow the data`,
      'the file is corrupt; re-export the array',
    );
  }
  return { version, descr, dtype: dt, shape, fortranOrder: fortran, dataOffset, dataBytes };
}

/** Alignment numpy uses for the data start, so memory-mapped readers find it aligned. */
const ARRAY_ALIGN = 64;

/** A version 1.0 header (magic, version, length, dict, padding, newline) for a C-order array. */
export function encodeNpyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / ARRAY_ALIGN) * ARRAY_ALIGN;
  const headerLen = total - 10;
  if (headerLen > 0xffff) throw new RangeError(`npy header too long for version 1.0: ${headerLen}`);
  const out = new Uint8Array(total);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerLen, true);
  const text = `${dict}${' '.repeat(total - unpadded)}\n`;
  for (let k = 0; k < text.length; k++) out[10 + k] = text.charCodeAt(k);
  return out;
}
