import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AtomicWriter } from '../../io/atomic.ts';
import { fsError } from '../../io/fail.ts';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Makes the rename itself durable; some platforms and file systems cannot fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: the data is already synced; only the rename's durability is at stake.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Node's atomic writer (DESIGN.md §3): bytes go to a temp file beside the target, are fsynced, and the
 * temp file is renamed over the target, which is atomic within one directory. A crash midway leaves at
 * most a temp file named `.<name>.tmp-<pid>-<random>`, never a partial target.
 */
export async function openAtomicWriter(path: string): Promise<AtomicWriter> {
  const tempPath = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx');
  } catch (err) {
    throw fsError(path, err);
  }
  let state: 'open' | 'committed' | 'aborted' = 'open';

  async function abort(): Promise<void> {
    if (state !== 'open') return;
    state = 'aborted';
    await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
  }

  return {
    path,
    tempPath,
    async write(chunk) {
      if (state !== 'open') throw new Error(`${path}: write after ${state}`);
      try {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
          done += bytesWritten;
        }
      } catch (err) {
        await abort();
        throw fsError(path, err);
      }
    },
    async commit() {
      if (state !== 'open') throw new Error(`${path}: commit after ${state}`);
      try {
        await handle.sync();
        await handle.close();
        await rename(tempPath, path);
        state = 'committed';
      } catch (err) {
        await abort();
        throw fsError(path, err);
      }
      await syncDir(dirname(path));
    },
    abort,
  };
}
