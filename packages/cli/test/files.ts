import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { writeNpy } from '@ftcal/core';

/** A scratch directory per test file; `path(name)` joins into it. */
export function scratch(prefix = 'ftcal-cli-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name: string) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const writeMatrix = (path: string, data: Float32Array, rows: number, cols: number) =>
  writeNpy(path, data, [rows, cols]);

export const writeLabels = (path: string, labels: ArrayLike<number>) =>
  writeNpy(path, Int32Array.from(labels));

/** Seeded uniform [0, 1) (mulberry32): test data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomNormal(next: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/**
 * A labelled set with the fine-tuning effect: seen logits shifted up by `shift`, the label's logit
 * raised by `margin`, so U/Y collapses at γ = 0 and a positive γ recovers it.
 */
export function syntheticSet(
  seed: number,
  rows: number,
  cols: number,
  seen: number[],
  shift = 3,
  margin = 3,
) {
  const next = rng(seed);
  const logits = randomNormal(next, rows * cols);
  const labels = new Int32Array(rows);
  const inSeen = new Set(seen);
  for (let r = 0; r < rows; r++) {
    labels[r] = Math.floor(next() * cols);
    for (let c = 0; c < cols; c++) if (inSeen.has(c)) logits[r * cols + c]! += shift;
    logits[r * cols + labels[r]!]! += margin;
  }
  return { logits, labels };
}

/** An .npy file byte by byte, for headers no writer would produce. */
export function npyBytes(
  header: string,
  body: Uint8Array = new Uint8Array(0),
  headerLength?: number,
): Uint8Array {
  let text = header;
  text += `${' '.repeat(63 - ((10 + text.length) % 64))}\n`;
  const out = new Uint8Array(10 + text.length + body.length);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLength ?? text.length, true);
  out.set(Buffer.from(text, 'latin1'), 10);
  out.set(body, 10 + text.length);
  return out;
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A valid little-endian f32 .npy of a matrix. */
export function npyMatrix(values: ArrayLike<number>, rows: number, cols: number): Uint8Array {
  return npyBytes(
    `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`,
    f32Bytes(values),
  );
}

interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** The uncompressed size the directory claims (a zip bomb claims a small one, or a huge one). */
  claimedSize?: number;
}

/** A ZIP archive (an .npz) with one local header, data and directory entry per member. */
export function zipArchive(members: ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const packed = m.deflate ? deflateRawSync(m.data) : Buffer.from(m.data);
    const crc = crc32(m.data);
    const size = m.claimedSize ?? m.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(m.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A .safetensors file: 8-byte little-endian header length, JSON header, then the raw tensor bytes. */
export function safetensors(
  tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...Object.values(tensors).map((t) => Buffer.from(t.data))]);
}
