import type { ByteSource } from './bytes.ts';
import { inputError } from './fail.ts';

/**
 * The ZIP container of .npz files, parsed from its central directory: end-of-central-directory record,
 * ZIP64 locator and record, ZIP64 extra fields. Only what numpy and Python's zipfile write is accepted:
 * one disk, no encryption, stored (0) or deflated (8) members.
 */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_Z64_LOCATOR = 0x07064b50;
const SIG_Z64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** An .npz holds a few arrays; a central directory this large is corruption or an attack. */
const MAX_CENTRAL_DIRECTORY = 16 << 20;
const MAX_ENTRIES = 65536;
const U32_MAX = 0xffffffff;

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(file: string, view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw inputError(file, `ZIP64 ${what} ${v} is absurd`, 'the archive is corrupt; re-create it');
  return Number(v);
}

interface Directory {
  entries: number;
  size: number;
  offset: number;
}

async function findDirectory(bytes: ByteSource): Promise<Directory> {
  const file = bytes.name;
  const corrupt = (problem: string) =>
    inputError(file, problem, 'the archive is corrupt or truncated; re-create it');
  if (bytes.size < EOCD_SIZE)
    throw inputError(file, 'too short to be a ZIP (.npz) archive', 'save it with numpy.savez');
  const tailLen = Math.min(bytes.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = bytes.size - tailLen;
  const tail = await bytes.read(tailStart, tailLen);
  const view = dv(tail);
  // Scan backwards; the record must end exactly at the end of the file once its comment is counted.
  let at = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (view.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + view.getUint16(i + 20, true) === tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const isZipStart = bytes.size >= 4 && dv(await bytes.read(0, 4)).getUint32(0, true) === SIG_LOCAL;
    if (isZipStart) throw corrupt('no end-of-central-directory record (the file is probably truncated)');
    throw inputError(file, 'not a ZIP (.npz) archive', 'save it with numpy.savez or numpy.savez_compressed');
  }
  if (view.getUint16(at + 4, true) !== 0 || view.getUint16(at + 6, true) !== 0) {
    throw inputError(file, 'multi-disk (spanned) ZIP archives are not supported', 're-create it as one file');
  }
  let dir: Directory = {
    entries: view.getUint16(at + 10, true),
    size: view.getUint32(at + 12, true),
    offset: view.getUint32(at + 16, true),
  };
  const eocdPos = tailStart + at;
  if (eocdPos >= 20) {
    const loc = dv(await bytes.read(eocdPos - 20, 20));
    if (loc.getUint32(0, true) === SIG_Z64_LOCATOR) {
      const recPos = u64(file, loc, 8, 'record offset');
      if (recPos + 56 > eocdPos - 20) throw corrupt('the ZIP64 locator points outside the archive');
      const rec = dv(await bytes.read(recPos, 56));
      if (rec.getUint32(0, true) !== SIG_Z64_EOCD)
        throw corrupt('the ZIP64 end-of-central-directory record is missing');
      if (rec.getUint32(16, true) !== 0 || rec.getUint32(20, true) !== 0) {
        throw inputError(
          file,
          'multi-disk (spanned) ZIP archives are not supported',
          're-create it as one file',
        );
      }
      dir = {
        entries: u64(file, rec, 32, 'entry count'),
        size: u64(file, rec, 40, 'central directory size'),
        offset: u64(file, rec, 48, 'central directory offset'),
      };
    }
  }
  if (dir.size > MAX_CENTRAL_DIRECTORY || dir.entries > MAX_ENTRIES) {
    throw corrupt(
      `the central directory claims ${dir.entries} entries in ${dir.size} bytes, far more than an .npz holds`,
    );
  }
  if (dir.offset + dir.size > eocdPos) throw corrupt('the central directory lies outside the archive');
  if (dir.entries * 46 > dir.size)
    throw corrupt(`${dir.entries} entries cannot fit a ${dir.size}-byte central directory`);
  return dir;
}

function decodeName(raw: Uint8Array, utf8: boolean): string {
  // Without the UTF-8 flag names are CP437; npz member names are ASCII, where the two agree.
  return new TextDecoder(utf8 ? 'utf-8' : 'latin1').decode(raw);
}

export async function readZipDirectory(bytes: ByteSource): Promise<ZipEntry[]> {
  const file = bytes.name;
  const corrupt = (problem: string) => inputError(file, problem, 'the archive is corrupt; re-create it');
  const dir = await findDirectory(bytes);
  const cd = await bytes.read(dir.offset, dir.size);
  const view = dv(cd);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = 0;
  for (let k = 0; k < dir.entries; k++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== SIG_CENTRAL) {
      throw corrupt(`central directory entry ${k} is missing or damaged`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const diskStart = view.getUint16(p + 34, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw corrupt(`central directory entry ${k} runs past the directory`);
    const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    // ZIP64: a field saturated at its maximum is replaced, in order, by 8-byte values in extra field 0x0001.
    const needSize = size === U32_MAX;
    const needComp = compressedSize === U32_MAX;
    const needOffset = localHeaderOffset === U32_MAX;
    if (needSize || needComp || needOffset) {
      let q = p + 46 + nameLen;
      const extraEnd = q + extraLen;
      let found = false;
      while (q + 4 <= extraEnd) {
        const id = view.getUint16(q, true);
        const len = view.getUint16(q + 2, true);
        if (q + 4 + len > extraEnd) throw corrupt(`extra field of '${name}' runs past its entry`);
        if (id === 0x0001) {
          let r = q + 4;
          const take = (what: string) => {
            if (r + 8 > q + 4 + len) throw corrupt(`ZIP64 extra field of '${name}' is too short`);
            const v = u64(file, view, r, what);
            r += 8;
            return v;
          };
          if (needSize) size = take('size');
          if (needComp) compressedSize = take('compressed size');
          if (needOffset) localHeaderOffset = take('local header offset');
          found = true;
          break;
        }
        q += 4 + len;
      }
      if (!found) throw corrupt(`'${name}' has saturated sizes but no ZIP64 extra field`);
    }
    if (diskStart !== 0 && diskStart !== 0xffff) {
      throw inputError(
        file,
        'multi-disk (spanned) ZIP archives are not supported',
        're-create it as one file',
      );
    }
    if (flags & 0x1)
      throw inputError(file, `member '${name}' is encrypted`, 'save the arrays without encryption');
    if (method !== 0 && method !== 8) {
      throw inputError(
        file,
        `member '${name}' uses compression method ${method}`,
        'use numpy.savez or numpy.savez_compressed (stored or deflated)',
      );
    }
    if (seen.has(name)) throw corrupt(`member '${name}' appears twice`);
    seen.add(name);
    if (localHeaderOffset + 30 > dir.offset) throw corrupt(`member '${name}' starts outside the archive`);
    entries.push({ name, method, crc32, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Offset of the member's data, after checking its local header agrees with the central directory. */
export async function memberDataOffset(bytes: ByteSource, entry: ZipEntry): Promise<number> {
  const file = bytes.name;
  const corrupt = (problem: string) => inputError(file, problem, 'the archive is corrupt; re-create it');
  const head = dv(await bytes.read(entry.localHeaderOffset, 30));
  if (head.getUint32(0, true) !== SIG_LOCAL) throw corrupt(`the local header of '${entry.name}' is missing`);
  if (head.getUint16(8, true) !== entry.method)
    throw corrupt(`the local and central headers of '${entry.name}' disagree`);
  const nameLen = head.getUint16(26, true);
  const extraLen = head.getUint16(28, true);
  const dataOffset = entry.localHeaderOffset + 30 + nameLen + extraLen;
  if (dataOffset + entry.compressedSize > bytes.size) {
    throw inputError(
      file,
      `member '${entry.name}' runs past the end of the file`,
      'the archive is truncated; re-create it',
    );
  }
  const rawName = await bytes.read(entry.localHeaderOffset + 30, nameLen);
  const flags = head.getUint16(6, true);
  if (decodeName(rawName, (flags & 0x800) !== 0) !== entry.name) {
    throw corrupt(`the local and central headers of '${entry.name}' disagree`);
  }
  return dataOffset;
}
