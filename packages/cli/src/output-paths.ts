import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, parseArraySpec } from '@ftcal/core';

/** Where a path really leads: links and `..` resolved, the last part kept when it does not exist yet. */
async function resolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return join(await realpath(dirname(path)).catch(() => dirname(path)), basename(path));
  }
}

/** One file however it is reached: through links, `..` or another hard link. */
const fileId = (s: Stats) => `${s.dev}:${s.ino}`;

/** Commander's option key back to the flag a user typed: `fitLogits` → `--fit-logits`. */
const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The other options' values (strings, repeated strings) that name existing files, by file. */
async function inputFiles(options: Record<string, unknown>, outputs: object): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [key, given] of Object.entries(options)) {
    if (key in outputs) continue;
    for (const value of [given].flat()) {
      if (typeof value !== 'string') continue;
      const { path } = await parseArraySpec(value);
      const s = await stat(path).catch(() => null);
      if (s?.isFile()) files.set(fileId(s), `${flagOf(key)} ${value}`);
    }
  }
  return files;
}

/**
 * Checks a command's outputs (`outputs` maps option keys to their flags) before any work (DESIGN.md §4),
 * so a long run never ends in "no such directory" and an input is never overwritten: the directory must
 * exist; the target must be missing or a regular file; and it must be neither one of the run's inputs
 * (any other option value that names an existing file, reached through links, `..` or a hard link) nor,
 * links and `..` resolved, another output of the run. The atomic writer still reports later failures.
 */
export async function checkOutputPaths<O extends object>(
  options: O,
  outputs: Partial<Record<keyof O & string, string>>,
): Promise<void> {
  const opts = options as Record<string, unknown>;
  const inputs = await inputFiles(opts, outputs);
  const taken = new Map<string, string>();
  for (const [key, flag] of Object.entries(outputs) as [string, string][]) {
    const path = opts[key];
    if (typeof path !== 'string') continue;
    const dir = dirname(path);
    const where = await stat(dir).catch(() => null);
    if (!where?.isDirectory()) {
      throw new InputError(`${path}: the directory ${dir} does not exist; create it or pass another ${flag}`);
    }
    const target = await stat(path).catch(() => null);
    if (target?.isDirectory()) {
      throw new InputError(`${path}: is a directory; pass a file name to ${flag}`);
    }
    if (target && !target.isFile()) {
      throw new InputError(
        `${path}: is not a regular file (a device, pipe or socket); pass a file name to ${flag}`,
      );
    }
    const input = target ? inputs.get(fileId(target)) : undefined;
    if (input !== undefined) {
      throw new InputError(
        `${path}: is this run's input ${input} and would be overwritten; pass another ${flag}`,
      );
    }
    const real = await resolved(path);
    const other = taken.get(real);
    if (other !== undefined) {
      throw new InputError(`${path}: ${other} writes it already; give ${flag} another file`);
    }
    taken.set(real, flag);
  }
}
