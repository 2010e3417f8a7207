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

type Out = Float32Array | Float64Array;

/** Elements decoded per block into the shared f64 scratch: small enough to stay in cache. */
const BLOCK = 16384;
const scratch = new Float64Array(BLOCK);
// bfloat16 is the top half of a float32: widen the bits and reinterpret.
const bf16Bits = new Uint32Array(1);
const bf16Value = new Float32Array(bf16Bits.buffer);

/** A host-order typed view of `bytes` when one exists for `dt` (aligned, same byte order), else null. */
function hostView(bytes: Uint8Array, dt: DType, n: number): ArrayLike<number> | null {
  if (dt.itemsize > 1 && (dt.littleEndian !== HOST_LITTLE || bytes.byteOffset % dt.itemsize !== 0))
    return null;
  const { buffer: buf, byteOffset: at } = bytes;
  switch (dt.name) {
    case 'int8':
      return new Int8Array(buf, at, n);
    case 'bool':
    case 'uint8':
      return bytes;
    case 'int16':
      return new Int16Array(buf, at, n);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(buf, at, n);
    case 'int32':
      return new Int32Array(buf, at, n);
    case 'uint32':
      return new Uint32Array(buf, at, n);
    case 'float32':
      return new Float32Array(buf, at, n);
    case 'float64':
      return new Float64Array(buf, at, n);
    default:
      return null;
  }
}

/** Whether `out.set(view)` converts the raw view correctly (the view's numbers are the values). */
function viewIsValues(name: DTypeName): boolean {
  return name !== 'bool' && name !== 'float16' && name !== 'bfloat16';
}

/**
 * Elements [first, first+m) into scratch[0..m). Host-order data is read through typed views; the rest
 * through DataView, which handles either byte order and any alignment without a swapped copy.
 */
function decodeBlock(
  bytes: Uint8Array,
  view: ArrayLike<number> | null,
  dt: DType,
  first: number,
  m: number,
): void {
  const le = dt.littleEndian;
  if (dt.name === 'float16') {
    const t = halves();
    if (view) for (let i = 0; i < m; i++) scratch[i] = t[view[first + i]!]!;
    else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0, o = first * 2; i < m; i++, o += 2) scratch[i] = t[dv.getUint16(o, le)]!;
    }
    return;
  }
  if (view) {
    if (dt.name === 'bool') for (let i = 0; i < m; i++) scratch[i] = view[first + i] ? 1 : 0;
    else if (dt.name === 'bfloat16') {
      for (let i = 0; i < m; i++) {
        bf16Bits[0] = view[first + i]! << 16;
        scratch[i] = bf16Value[0]!;
      }
    } else for (let i = 0; i < m; i++) scratch[i] = view[first + i]!;
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = first * dt.itemsize;
  switch (dt.name) {
    case 'int16':
      for (let i = 0; i < m; i++, o += 2) scratch[i] = dv.getInt16(o, le);
      return;
    case 'uint16':
      for (let i = 0; i < m; i++, o += 2) scratch[i] = dv.getUint16(o, le);
      return;
    case 'bfloat16':
      for (let i = 0; i < m; i++, o += 2) {
        bf16Bits[0] = dv.getUint16(o, le) << 16;
        scratch[i] = bf16Value[0]!;
      }
      return;
    case 'int32':
      for (let i = 0; i < m; i++, o += 4) scratch[i] = dv.getInt32(o, le);
      return;
    case 'uint32':
      for (let i = 0; i < m; i++, o += 4) scratch[i] = dv.getUint32(o, le);
      return;
    case 'float32':
      for (let i = 0; i < m; i++, o += 4) scratch[i] = dv.getFloat32(o, le);
      return;
    case 'float64':
      for (let i = 0; i < m; i++, o += 8) scratch[i] = dv.getFloat64(o, le);
      return;
    case 'int64':
      for (let i = 0; i < m; i++, o += 8) scratch[i] = Number(dv.getBigInt64(o, le));
      return;
    case 'uint64':
      for (let i = 0; i < m; i++, o += 8) scratch[i] = Number(dv.getBigUint64(o, le));
      return;
    default:
      throw new RangeError(`decode: no view-less path for ${dt.name}`);
  }
}

/**
 * Decodes `bytes` (a whole number of elements of `dt`) into `out[start + i·stride]`. Host-order views
 * whose numbers are the values are copied by the engine's typed-array conversion; everything else
 * goes through an f64 scratch block, which holds every supported value exactly, so each value is
 * rounded at most once, into `out`.
 */
export function decodeInto(bytes: Uint8Array, dt: DType, out: Out, start = 0, stride = 1): void {
  const n = bytes.length / dt.itemsize;
  if (!Number.isInteger(n))
    throw new RangeError(`decode: ${bytes.length} bytes is not a whole number of ${dt.name}`);
  const view = hostView(bytes, dt, n);
  if (view && stride === 1 && viewIsValues(dt.name)) {
    out.set(view, start);
    return;
  }
  if (view && stride === 1 && dt.name === 'float16') {
    // The common half-precision logits case: one table lookup per element, straight into the output.
    if (out instanceof Float32Array) halfInto32(view, out, start, halves());
    else halfInto64(view, out, start, halves());
    return;
  }
  for (let b = 0; b < n; b += BLOCK) {
    const m = Math.min(BLOCK, n - b);
    decodeBlock(bytes, view, dt, b, m);
    const block = scratch.subarray(0, m);
    if (stride === 1) out.set(block, start + b);
    else if (out instanceof Float32Array) scatter32(block, out, start + b * stride, stride);
    else scatter64(block, out, start + b * stride, stride);
  }
}

// Two copies of each loop, so each store site only ever sees one array type.
function halfInto32(src: ArrayLike<number>, out: Float32Array, at: number, t: Float32Array): void {
  for (let i = 0; i < src.length; i++) out[at + i] = t[src[i]!]!;
}
function halfInto64(src: ArrayLike<number>, out: Float64Array, at: number, t: Float32Array): void {
  for (let i = 0; i < src.length; i++) out[at + i] = t[src[i]!]!;
}
function scatter32(src: Float64Array, out: Float32Array, at: number, stride: number): void {
  for (let i = 0; i < src.length; i++, at += stride) out[at] = src[i]!;
}
function scatter64(src: Float64Array, out: Float64Array, at: number, stride: number): void {
  for (let i = 0; i < src.length; i++, at += stride) out[at] = src[i]!;
}

/** True when raw bytes of `dt` are already host-order float32, so a reader may fill the output directly. */
export function isHostFloat32(dt: DType): boolean {
  return dt.name === 'float32' && dt.littleEndian === HOST_LITTLE;
}

export { HOST_LITTLE };
