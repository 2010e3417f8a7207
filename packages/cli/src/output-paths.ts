import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '@ftcal/core';

/**
 * Checks, before any work, that an output can be written where asked: a long run should not end in
 * "no such directory". The atomic writer still reports anything that goes wrong later.
 */
export async function checkOutputPaths(
  outputs: readonly [flag: string, path: string | undefined][],
): Promise<void> {
  for (const [flag, path] of outputs) {
    if (!path) continue;
    const dir = dirname(path);
    const where = await stat(dir).catch(() => null);
    if (!where?.isDirectory()) {
      throw new InputError(`${path}: the directory ${dir} does not exist; create it or pass another ${flag}`);
    }
    const target = await stat(path).catch(() => null);
    if (target?.isDirectory()) {
      throw new InputError(`${path}: is a directory; pass a file name to ${flag}`);
    }
  }
}
