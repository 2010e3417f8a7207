import { inputError } from './fail.ts';

/**
 * Random access to bytes: a file through its handle (Node), a Blob or File (read by slices, in a browser
 * too), a member of an archive, or memory. Readers parse
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

export function checkRange(source: { name: string; size: number }, offset: number, length: number): void {
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

/**
 * A Blob (or File) read by ranges through `blob.slice(…).arrayBuffer()`, so even a multi-GB File picked in
 * a browser is never read whole.
 */
export function blobBytes(blob: Blob, name: string): ByteSource {
  const source: ByteSource = {
    name,
    size: blob.size,
    async readInto(offset, into) {
      into.set(await source.read(offset, into.length));
    },
    async read(offset, length) {
      checkRange(source, offset, length);
      let buffer: ArrayBuffer;
      try {
        buffer = await blob.slice(offset, offset + length).arrayBuffer();
      } catch (err) {
        // A File whose file changed or vanished after it was picked rejects with NotReadableError.
        throw inputError(
          name,
          `could not be read (${err instanceof Error ? err.message : String(err)})`,
          'pick the file again',
          'file-access',
        );
      }
      if (buffer.byteLength !== length) {
        throw inputError(
          name,
          `ended at byte ${offset + buffer.byteLength} while reading`,
          'do not modify it while ftcal reads it',
          'file-access',
        );
      }
      return new Uint8Array(buffer);
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
