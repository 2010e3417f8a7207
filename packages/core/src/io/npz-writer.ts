import { platform } from '#platform';
import { openAtomicWriter } from './atomic.ts';
import { HOST_LITTLE } from './dtype.ts';
import { encodeNpyHeader } from './npy-header.ts';

/** One array of an .npz: 1-D, little-endian, C order, as numpy.savez writes it. */
export interface NpzMember {
  /** The key numpy.load gives it (".npy" is appended in the archive). */
  name: string;
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

const DESCR = new Map<unknown, string>([
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int32Array, '<i4'],
  [Uint8Array, '|u1'],
]);

const U32 = 0xffffffff;
/** 1980-01-01 00:00 in DOS time and date: fixed, so the same statistics give the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

function littleEndian(data: NpzMember['data']): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE || data.BYTES_PER_ELEMENT === 1) return view;
  const out = view.slice();
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += w) out.subarray(i, i + w).reverse();
  return out;
}

class Bytes {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(n: number) {
    this.buf = new Uint8Array(n);
    this.view = new DataView(this.buf.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

/**
 * Writes an uncompressed .npz (what numpy.savez writes: one stored ZIP member per array, ZIP64 fields
 * where a size or an offset passes 4 GiB), atomically: the file appears whole or not at all. numpy.load
 * and ftcal's own reader (openNpz) read it by ranges.
 */
export async function writeNpz(path: string, members: readonly NpzMember[]): Promise<void> {
  const writer = await openAtomicWriter(path);
  try {
    const central: Uint8Array[] = [];
    let offset = 0;
    for (const m of members) {
      const descr = DESCR.get(m.data.constructor);
      if (!descr) throw new TypeError(`${path}: cannot store a ${m.data.constructor.name} member`);
      const header = encodeNpyHeader(descr, [m.data.length]);
      const body = littleEndian(m.data);
      const size = header.length + body.length;
      const crc = platform.crc32(body, platform.crc32(header, 0)) >>> 0;
      const name = new TextEncoder().encode(`${m.name}.npy`);
      const big = size >= U32;
      const local = new Bytes(30 + name.length + 20)
        .u32(0x04034b50)
        .u16(big ? 45 : 20)
        .u16(0x0800)
        .u16(0)
        .u16(DOS_TIME)
        .u16(DOS_DATE)
        .u32(crc)
        .u32(big ? U32 : size)
        .u32(big ? U32 : size)
        .u16(name.length)
        .u16(big ? 20 : 0)
        .raw(name);
      if (big) local.u16(1).u16(16).u64(size).u64(size);
      const localBytes = local.done();
      const farOffset = offset >= U32;
      const extra = (big ? 16 : 0) + (farOffset ? 8 : 0);
      const entry = new Bytes(46 + name.length + 4 + extra)
        .u32(0x02014b50)
        .u16(45)
        .u16(big || farOffset ? 45 : 20)
        .u16(0x0800)
        .u16(0)
        .u16(DOS_TIME)
        .u16(DOS_DATE)
        .u32(crc)
        .u32(big ? U32 : size)
        .u32(big ? U32 : size)
        .u16(name.length)
        .u16(extra ? extra + 4 : 0)
        .u16(0)
        .u16(0)
        .u16(0)
        .u32(0)
        .u32(farOffset ? U32 : offset)
        .raw(name);
      if (extra) {
        entry.u16(1).u16(extra);
        if (big) entry.u64(size).u64(size);
        if (farOffset) entry.u64(offset);
      }
      central.push(entry.done());
      await writer.write(localBytes);
      await writer.write(header);
      await writer.write(body);
      offset += localBytes.length + size;
    }
    const cdOffset = offset;
    let cdSize = 0;
    for (const c of central) {
      await writer.write(c);
      cdSize += c.length;
    }
    const n = members.length;
    const zip64 = cdOffset + cdSize >= U32 || n >= 0xffff;
    if (zip64) {
      const eocd64At = cdOffset + cdSize;
      await writer.write(
        new Bytes(56 + 20)
          .u32(0x06064b50)
          .u64(44)
          .u16(45)
          .u16(45)
          .u32(0)
          .u32(0)
          .u64(n)
          .u64(n)
          .u64(cdSize)
          .u64(cdOffset)
          .u32(0x07064b50)
          .u32(0)
          .u64(eocd64At)
          .u32(1)
          .done(),
      );
    }
    await writer.write(
      new Bytes(22)
        .u32(0x06054b50)
        .u16(0)
        .u16(0)
        .u16(zip64 ? 0xffff : n)
        .u16(zip64 ? 0xffff : n)
        .u32(zip64 ? U32 : cdSize)
        .u32(zip64 ? U32 : cdOffset)
        .u16(0)
        .done(),
    );
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
