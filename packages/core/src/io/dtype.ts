/**
 * Element types the readers understand, and their conversion to f32 (the engine's type) or f64 (exact,
 * for labels). Every reader maps its own dtype spelling (numpy descr, safetensors name) onto these.
 */
export type DTypeName =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64';

export interface DType {
  readonly name: DTypeName;
  readonly itemsize: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
}

const ITEMSIZE: Record<DTypeName, 1 | 2 | 4 | 8> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
};

export function dtype(name: DTypeName, littleEndian = true): DType {
  return { name, itemsize: ITEMSIZE[name], littleEndian };
}

export function isFloat(name: DTypeName): boolean {
  return name === 'float16' || name === 'bfloat16' || name === 'float32' || name === 'float64';
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;

/** All 65536 half-precision values, built once: decoding is then one lookup per element. */
function halves(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 31) t[h] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/** Decodes one IEEE half (its 16 bits) to a number, subnormals, infinities and NaN included. */
export function halfToNumber(bits: number): number {
  return halves()[bits & 0xffff]!;
}

type Out = Float32Array | Float64Array;

/**
 * Decodes `bytes` (a whole number of elements of `dt`) into `out[start + i·stride]`. Byte order is
 * swapped into a scratch copy once, so the element loops below only ever see host order.
 */
export function decodeInto(bytes: Uint8Array, dt: DType, out: Out, start = 0, stride = 1): void {
  const n = bytes.length / dt.itemsize;
  if (!Number.isInteger(n))
    throw new RangeError(`decode: ${bytes.length} bytes is not a whole number of ${dt.name}`);
  if (dt.itemsize > 1 && (dt.littleEndian !== HOST_LITTLE || bytes.byteOffset % dt.itemsize !== 0)) {
    const copy = bytes.slice();
    if (dt.littleEndian !== HOST_LITTLE) swapInPlace(copy, dt.itemsize);
    bytes = copy;
  }
  const buf = bytes.buffer;
  const at = bytes.byteOffset;
  switch (dt.name) {
    case 'bool': {
      for (let i = 0; i < n; i++) out[start + i * stride] = bytes[i] ? 1 : 0;
      return;
    }
    case 'int8':
      copyInto(new Int8Array(buf, at, n), out, start, stride);
      return;
    case 'uint8':
      copyInto(bytes, out, start, stride);
      return;
    case 'int16':
      copyInto(new Int16Array(buf, at, n), out, start, stride);
      return;
    case 'uint16':
      copyInto(new Uint16Array(buf, at, n), out, start, stride);
      return;
    case 'int32':
      copyInto(new Int32Array(buf, at, n), out, start, stride);
      return;
    case 'uint32':
      copyInto(new Uint32Array(buf, at, n), out, start, stride);
      return;
    case 'float32':
      copyInto(new Float32Array(buf, at, n), out, start, stride);
      return;
    case 'float64':
      copyInto(new Float64Array(buf, at, n), out, start, stride);
      return;
    case 'int64': {
      const v = new BigInt64Array(buf, at, n);
      for (let i = 0; i < n; i++) out[start + i * stride] = Number(v[i]!);
      return;
    }
    case 'uint64': {
      const v = new BigUint64Array(buf, at, n);
      for (let i = 0; i < n; i++) out[start + i * stride] = Number(v[i]!);
      return;
    }
    case 'float16': {
      const t = halves();
      const v = new Uint16Array(buf, at, n);
      for (let i = 0; i < n; i++) out[start + i * stride] = t[v[i]!]!;
      return;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32: widen the bits and reinterpret.
      const v = new Uint16Array(buf, at, n);
      const bits = new Uint32Array(1);
      const f = new Float32Array(bits.buffer);
      for (let i = 0; i < n; i++) {
        bits[0] = v[i]! << 16;
        out[start + i * stride] = f[0]!;
      }
      return;
    }
  }
}

function copyInto(src: ArrayLike<number>, out: Out, start: number, stride: number): void {
  if (stride === 1) {
    out.set(src, start);
    return;
  }
  for (let i = 0; i < src.length; i++) out[start + i * stride] = src[i]!;
}

function swapInPlace(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/** True when raw bytes of `dt` are already host-order float32, so a reader may fill the output directly. */
export function isHostFloat32(dt: DType): boolean {
  return dt.name === 'float32' && dt.littleEndian === HOST_LITTLE;
}

export { HOST_LITTLE };
