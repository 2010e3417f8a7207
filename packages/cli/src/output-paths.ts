import type { Stats } from 'node:fs';
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { expandInputs, fileKind, fsError, InputError, parseArraySpec } from '@ftcal/core';
import { quoted, usageError } from './options.ts';

/** A stat that says "missing" (null) for a path that does not exist and one line for anything else. */
async function statOrNull(path: string, shownAs: string, follow = true): Promise<Stats | null> {
  try {
    return await (follow ? stat(path) : lstat(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(shownAs, err);
  }
}

/**
 * Where a path that does not exist yet would be created: `..` and links in its directory resolved, and
 * a dangling symlink followed to the file it names (the atomic writer writes through it).
 */
async function landing(path: string): Promise<string> {
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    const st = await statOrNull(at, path, false);
    if (!st?.isSymbolicLink()) break;
    at = resolve(dirname(at), await readlink(at));
  }
  return join(await realpath(dirname(at)).catch(() => resolve(dirname(at))), basename(at));
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
      if (typeof value !== 'string' || value === '') continue;
      // A glob or @list names every shard it expands to.
      const paths = await expandInputs(value).catch(() => [value]);
      for (const p of paths) {
        const { path } = await parseArraySpec(p);
        const s = await stat(path).catch(() => null);
        if (s?.isFile()) files.set(fileId(s), `${flagOf(key)} ${value}`);
      }
    }
  }
  return files;
}

/** The directory an output goes into must exist (a long run must not end in "no such directory"). */
async function checkDirectory(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  const where = await statOrNull(dir, path);
  if (!where) {
    throw new InputError(`${path}: the directory ${dir} does not exist; create it or pass another ${flag}`);
  }
  if (!where.isDirectory()) throw new InputError(`${path}: ${dir} is not a directory; pass another ${flag}`);
}

/**
 * The one output guard (DESIGN.md §4), run by every command that writes before any work, with
 * `outputs` mapping option keys to their flags. An output must name a file in an existing directory; it
 * must be missing or a regular file (never a device, pipe, socket or directory); and it must be neither
 * one of the run's inputs (any other option value that names an existing file) nor another output of the
 * run. Existing files are compared by device and inode, so links, `..` and hard links are seen through;
 * missing ones by the path they would be created at. The atomic writer checks the target again before
 * its rename.
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
    if (path === '') throw usageError(flag, 'the file name is empty', `pass a file name to ${flag}`);
    if (/[/\\]$/.test(path)) {
      throw usageError(
        flag,
        `${quoted(path)} ends in a slash, so it names a directory`,
        `pass a file name to ${flag}`,
      );
    }
    await checkDirectory(path, flag);
    const target = await statOrNull(path, path);
    if (target?.isDirectory()) {
      throw new InputError(`${path}: is a directory; pass a file name to ${flag}`);
    }
    if (target && !target.isFile()) {
      throw new InputError(
        `${path}: is ${fileKind(target)}, not a regular file; pass a file name to ${flag}`,
      );
    }
    const input = target ? inputs.get(fileId(target)) : undefined;
    if (input !== undefined) {
      throw new InputError(
        `${path}: is this run's input ${input} and would be overwritten; pass another ${flag}`,
      );
    }
    const id = target ? fileId(target) : await landing(path);
    const other = taken.get(id);
    if (other !== undefined) {
      throw new InputError(`${path}: ${other} writes it already; give ${flag} another file`);
    }
    taken.set(id, flag);
  }
}
