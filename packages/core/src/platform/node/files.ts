import { type FileHandle, mkdtemp, open, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteSource, checkRange } from '../../io/bytes.ts';
import { fileKind, fsError, inputError } from '../../io/fail.ts';
import type { DirectoryEntry, ScratchFile } from '../platform.ts';

/**
 * A file read by positional reads through its handle: no reader ever holds a whole file. Only regular
 * files: a pipe or device has no size and no random access (and opening a FIFO with no writer would block
 * forever), so it is refused before it is opened.
 */
export async function fileBytes(path: string, name = path): Promise<ByteSource> {
  const st = await stat(path).catch((err: unknown) => {
    throw fsError(name, err);
  });
  if (st.isDirectory()) throw fsError(name, Object.assign(new Error('directory'), { code: 'EISDIR' }));
  if (!st.isFile()) {
    throw inputError(
      name,
      `is ${fileKind(st)}, not a regular file`,
      'save it to a file first (ftcal reads its inputs by byte ranges)',
      'file-access',
    );
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fsError(name, err);
  }
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw fsError(name, err);
  }
  return handleBytes(handle, size, name);
}

/** A source over an open handle it now owns (closing the source closes the handle). */
function handleBytes(
  handle: FileHandle,
  size: number,
  name: string,
  onClose?: () => Promise<void>,
): ByteSource {
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

/** A directory's entries; a symbolic link counts as what it points to. */
export async function listDirectory(path: string): Promise<DirectoryEntry[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw fsError(path, err);
  }
  return Promise.all(
    entries.map(async (e) => ({
      name: e.name,
      directory:
        e.isDirectory() ||
        (e.isSymbolicLink() && (await stat(join(path, e.name)).catch(() => null))?.isDirectory() === true),
    })),
  );
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * A temp file that is unlinked as soon as it is open: the data lives until the handle closes, and a
 * crash leaves nothing behind (where unlinking an open file fails, closing removes it).
 */
export async function scratchFile(dir: string | undefined, label: string): Promise<ScratchFile> {
  const tmp = await mkdtemp(join(dir ?? tmpdir(), `ftcal-${label}-`));
  const path = join(tmp, 'scratch');
  const handle = await open(path, 'w+');
  let unlinked = true;
  try {
    await unlink(path);
    await rmdir(tmp);
  } catch {
    unlinked = false;
  }
  const cleanup = async () => {
    if (!unlinked) {
      await unlink(path).catch(() => {});
      await rmdir(tmp).catch(() => {});
    }
  };
  return {
    async write(piece, at) {
      let done = 0;
      while (done < piece.length) {
        const { bytesWritten } = await handle.write(piece, done, piece.length - done, at + done);
        done += bytesWritten;
      }
    },
    finish: (size, name) => handleBytes(handle, size, name, cleanup),
    async abort() {
      await handle.close();
      await cleanup();
    },
  };
}
