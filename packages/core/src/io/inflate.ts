import { Inflate } from 'fflate';
import { platform } from '#platform';
import { InputError } from '../errors.ts';
import type { ByteSource } from './bytes.ts';
import { inputError } from './fail.ts';

/**
 * Compressed bytes fed to the inflater per step. fflate emits everything one push decodes at once, and
 * DEFLATE expands at most ~1032:1, so 32 KiB bounds one step's output near 33 MiB even for a zip bomb.
 * Members that declare more may use larger steps (fewer, faster pushes): up to 256 KiB, whose worst
 * case (~264 MiB) stays below what such a member declares and was allowed to decode anyway.
 */
const MIN_INPUT_CHUNK = 32 << 10;
const MAX_INPUT_CHUNK = 256 << 10;
/** The most a DEFLATE stream can expand (258-byte matches coded in about 2 bits), plus slack. */
export const MAX_DEFLATE_RATIO = 1032;

export interface DeflatedRange {
  readonly bytes: ByteSource;
  readonly offset: number;
  readonly compressedSize: number;
  /** The name for messages: the archive member. */
  readonly name: string;
}

function corrupt(name: string, err: unknown): Error {
  if (err instanceof InputError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return inputError(name, `the compressed data is corrupt (${why})`, 're-create the archive');
}

/**
 * Pushes the compressed range through fflate's streaming Inflate, handing each decoded piece to
 * `onData` until it returns false; `afterPush` runs between pushes (fflate calls back synchronously).
 * Memory: one input chunk and one push's output. A stream cut short throws on the final push.
 */
async function inflateRange(
  range: DeflatedRange,
  inputChunk: number,
  onData: (piece: Uint8Array) => boolean,
  afterPush?: () => Promise<void>,
): Promise<void> {
  let stop = false;
  const inflater = new Inflate((piece) => {
    if (!stop && piece.length > 0 && !onData(piece)) stop = true;
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      inflater.push(chunk, final);
    } catch (err) {
      throw corrupt(range.name, err);
    }
  };
  if (range.compressedSize === 0) push(new Uint8Array(0), true);
  for (let at = 0; at < range.compressedSize && !stop; at += inputChunk) {
    const len = Math.min(inputChunk, range.compressedSize - at);
    // A copy: fflate keeps unconsumed input, and `read` may return a view of shared memory.
    push((await range.bytes.read(range.offset + at, len)).slice(), at + len >= range.compressedSize);
    await afterPush?.();
  }
}

/** The first `want` decoded bytes (fewer if the stream is shorter), decoding no more than needed. */
export async function inflatePrefix(range: DeflatedRange, want: number): Promise<Uint8Array> {
  const out = new Uint8Array(want);
  let have = 0;
  if (want === 0) return out;
  try {
    await inflateRange(range, MIN_INPUT_CHUNK, (piece) => {
      const n = Math.min(piece.length, want - have);
      out.set(piece.subarray(0, n), have);
      have += n;
      return have < want;
    });
  } catch (err) {
    // A stream damaged after the prefix still yields the prefix; the full pass reports the damage.
    if (have < want) throw err;
  }
  return out.subarray(0, have);
}

/**
 * Decodes the whole range into `sink`, checking the decoded size never passes `size` (a lying header
 * cannot make us decode more than the caller agreed to hold) and that size and CRC-32 match at the end.
 */
export async function inflateExact(
  range: DeflatedRange,
  size: number,
  expectedCrc: number,
  sink: (piece: Uint8Array) => Promise<void>,
): Promise<void> {
  let total = 0;
  let crc = 0;
  let pending: Uint8Array[] = [];
  let overflow = false;
  const drain = async () => {
    const pieces = pending;
    pending = [];
    for (const piece of pieces) await sink(piece);
  };
  const inputChunk = Math.min(
    MAX_INPUT_CHUNK,
    Math.max(MIN_INPUT_CHUNK, Math.floor(size / MAX_DEFLATE_RATIO)),
  );
  await inflateRange(
    range,
    inputChunk,
    (piece) => {
      total += piece.length;
      if (total > size) {
        overflow = true;
        return false;
      }
      crc = platform.crc32(piece, crc);
      pending.push(piece);
      return true;
    },
    drain,
  );
  if (overflow) {
    throw inputError(
      range.name,
      `decompresses to more than the ${size} bytes it declares (a zip bomb?)`,
      're-create the archive',
    );
  }
  await drain();
  if (total !== size) {
    throw inputError(
      range.name,
      `decompresses to ${total} bytes but declares ${size}`,
      'the archive is corrupt; re-create it',
    );
  }
  if (crc >>> 0 !== expectedCrc >>> 0) {
    throw inputError(
      range.name,
      'CRC-32 mismatch after decompression',
      'the archive is corrupt; re-create it',
    );
  }
}

/** CRC-32 of bytes [offset, offset+length) of `bytes`, read in chunks. */
export async function crcOfRange(bytes: ByteSource, offset: number, length: number): Promise<number> {
  let crc = 0;
  const step = 4 << 20;
  for (let at = 0; at < length; at += step) {
    crc = platform.crc32(await bytes.read(offset + at, Math.min(step, length - at)), crc);
  }
  return crc >>> 0;
}
