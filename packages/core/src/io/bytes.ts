import { type FileHandle, open } from 'node:fs/promises';
import { fsError, inputError } from './fail.ts';

/**
 * Random access to bytes: a file through its handle, a member of an archive, or memory. Readers parse
 * headers and fetch row ranges through this, so the same npy code serves a .npy file, a stored .npz
 * member and an inflated one, and no reader ever needs a whole file in memory.
 */
export interface ByteSource {
  /** The user-facing name for messages ("logits.npy", "run.npz:logits"). */
  readonly name: string;
  readonly size: number;
  /** Fills `into` with bytes [offset, offset + into.length); an InputError if the source ends first. */
  readInto(offset: number, into: Uint8Array): Promise<void>;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases what the source holds. Safe to call twice. */
  close(): Promise<void>;
}

function checkRange(source: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${source.name}: bad byte range ${offset}+${length}`);
  }
  if (offset + length > source.size) {
    throw inputError(
      source.name,
      `truncated: needs bytes up to ${offset + length} but the file has ${source.size}`,
      're-export the file',
    );
  }
}

export async function fileBytes(path: string, name = path): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fsError(name, err);
  }
  let size: number;
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    await handle.close();
    throw fsError(name, err);
  }
  return handleBytes(handle, size, name);
}

/** A source over an open handle it now owns (closing the source closes the handle). */
export function handleBytes(handle: FileHandle, size: number, name: string, onClose?: () => Promise<void>) {
  let closed = false;
  const source: ByteSource = {
    name,
    size,
    async readInto(offset, into) {
      checkRange(source, offset, into.length);
      let done = 0;
      while (done < into.length) {
        // A positional read may return fewer bytes than asked; 0 means the file shrank under us.
        const { bytesRead } = await handle.read(into, done, into.length - done, offset + done);
        if (bytesRead === 0) {
          throw inputError(
            name,
            `file ended at byte ${offset + done} while reading`,
            'do not modify it while ftcal reads it',
          );
        }
        done += bytesRead;
      }
    },
    async read(offset, length) {
      const out = new Uint8Array(length);
      await source.readInto(offset, out);
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
      await onClose?.();
    },
  };
  return source;
}

export function memoryBytes(bytes: Uint8Array, name: string): ByteSource {
  const source: ByteSource = {
    name,
    size: bytes.length,
    async readInto(offset, into) {
      checkRange(source, offset, into.length);
      into.set(bytes.subarray(offset, offset + into.length));
    },
    async read(offset, length) {
      checkRange(source, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
  return source;
}

/** Bytes [offset, offset + size) of `parent` as a source of their own; closing it closes the parent. */
export function sliceBytes(parent: ByteSource, offset: number, size: number, name: string): ByteSource {
  checkRange(parent, offset, size);
  const source: ByteSource = {
    name,
    size,
    async readInto(at, into) {
      checkRange(source, at, into.length);
      await parent.readInto(offset + at, into);
    },
    async read(at, length) {
      checkRange(source, at, length);
      return parent.read(offset + at, length);
    },
    close: () => parent.close(),
  };
  return source;
}
