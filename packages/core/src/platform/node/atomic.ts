import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, open, readlink, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AtomicWriter } from '../../io/atomic.ts';
import { fileKind, fsError, inputError } from '../../io/fail.ts';

/** Bytes of the target's name kept in the temp name: short enough that any legal name still fits. */
const NAME_BYTES_IN_TEMP = 64;

/**
 * `.<name>.tmp-<pid>-<random>` beside the target, with <name> cut to its first 64 bytes (on a character
 * boundary): the target's name may be up to 255 bytes, and the temp name must fit the same limit.
 */
function tempPathFor(path: string): string {
  let name = basename(path);
  while (Buffer.byteLength(name) > NAME_BYTES_IN_TEMP) name = [...name].slice(0, -1).join('');
  return join(dirname(path), `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Where writing `path` really lands: a symlink is followed (also a dangling one, to the file it would
 * create), so the link keeps pointing at the new content instead of being replaced by a file.
 */
async function landingPath(path: string): Promise<string> {
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    const st = await lstat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw fsError(path, err);
    });
    if (!st?.isSymbolicLink()) return at;
    at = resolve(dirname(at), await readlink(at));
  }
  throw fsError(path, Object.assign(new Error('loop'), { code: 'ELOOP' }));
}

/** The writer renames only over a regular file or onto a missing path: never over a device or a pipe. */
async function checkReplaceable(path: string, shownAs: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw fsError(shownAs, err);
  });
  if (st && !st.isFile()) {
    throw inputError(shownAs, `is ${fileKind(st)}, not a regular file`, 'write to a file name', 'output');
  }
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
 * most a temp file named `.<name>.tmp-<pid>-<random>`, never a partial target. The target is checked
 * when the writer opens and again just before the rename (it may have changed meanwhile).
 */
export async function openAtomicWriter(path: string): Promise<AtomicWriter> {
  const target = await landingPath(path);
  await checkReplaceable(target, path);
  const tempPath = tempPathFor(target);
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
        await checkReplaceable(target, path);
        await rename(tempPath, target);
        state = 'committed';
      } catch (err) {
        await abort();
        throw fsError(path, err);
      }
      await syncDir(dirname(target));
    },
    abort,
  };
}
