import { type ErrorCode, FtcalError, InputError, type OptionRef } from '../errors.ts';

/**
 * Every io error (DESIGN.md §4): structured, so its message reads `<file>: <problem>; <fix>`. Most are
 * files that are malformed, truncated or unsupported ('bad-file'); the others say which code they are.
 * A fix that names a reader option writes `{option}` and passes `option`.
 */
export function inputError(
  file: string,
  problem: string,
  fix: string,
  code: ErrorCode = 'bad-file',
  option?: OptionRef,
): InputError {
  return new InputError({ code, file, problem, fix, ...(option && { option }) });
}

/** A failure of the disk or the system, not of the user's input: a runtime failure (exit code 1), one line. */
function runtimeError(file: string, problem: string, fix: string, code: ErrorCode = 'output'): FtcalError {
  return new FtcalError({ code, file, problem, fix }, 1);
}

const FREE = 'free some space or write it elsewhere';

/** What each system error code means, in one line, for the file it happened to (DESIGN.md §4). */
const SYSTEM_ERRORS: Record<string, (file: string) => FtcalError> = {
  ENOSPC: (f) => runtimeError(f, 'no space left on the device', FREE),
  EDQUOT: (f) => runtimeError(f, 'the disk quota is exhausted', FREE),
  EFBIG: (f) => runtimeError(f, 'the file would grow past what the file system (or ulimit -f) allows', FREE),
  EROFS: (f) => runtimeError(f, 'the file system is read-only', 'write it elsewhere'),
  EIO: (f) =>
    runtimeError(f, 'an I/O error on the device', 'check the disk, or use a copy elsewhere', 'file-access'),
  EMFILE: (f) =>
    runtimeError(f, 'too many open files', 'raise the limit (ulimit -n) or open fewer files', 'file-access'),
  ENFILE: (f) =>
    runtimeError(f, 'too many open files on the system', 'close other programs or retry', 'file-access'),
  EBUSY: (f) => runtimeError(f, 'the file is busy', 'retry once the program using it is done', 'file-access'),
  ETXTBSY: (f) =>
    runtimeError(f, 'the file is busy', 'retry once the program using it is done', 'file-access'),
  ENOENT: (f) => inputError(f, 'no such file', 'check the path', 'file-access'),
  EISDIR: (f) => inputError(f, 'is a directory, not a file', 'pass the path of a file', 'file-access'),
  EACCES: (f) => inputError(f, 'permission denied', 'check the file permissions', 'file-access'),
  EPERM: (f) => inputError(f, 'permission denied', 'check the file permissions', 'file-access'),
  ENOTDIR: (f) => inputError(f, 'a parent of this path is not a directory', 'check the path', 'file-access'),
  ENAMETOOLONG: (f) =>
    inputError(
      f,
      'the name is too long (a file name holds at most 255 bytes, a path 4095)',
      'use a shorter name or path',
      'file-access',
    ),
  ELOOP: (f) =>
    inputError(f, 'too many symbolic links (a loop of links?)', 'check where the links lead', 'file-access'),
  ENXIO: (f) =>
    inputError(f, 'is a device or pipe nothing is connected to', 'pass a regular file', 'file-access'),
};

/**
 * The one mapping from system errors to one-line messages: an fs error on `file` becomes an FtcalError
 * (an InputError when the user named a wrong path, exit code 1 for a full, read-only or failing disk);
 * anything else is passed on as it is.
 */
export function fsError(file: string, err: unknown): Error {
  if (err instanceof FtcalError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const known = code === undefined ? undefined : SYSTEM_ERRORS[code];
  if (known) return known(file);
  return err instanceof Error ? err : new Error(String(err));
}

/** What a path is when it is not a regular file, from its stat (structural, so browsers need no fs). */
export function fileKind(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'something other than a regular file';
}

/** Byte counts for messages: exact, with a unit beside it once the number gets hard to read. */
export function bytesText(n: number): string {
  if (n < 10 * 1024 * 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${n} bytes, ${v.toFixed(1)} ${units[u]}`;
}

/** `200×1000`, or `(7,)` style for one dimension, for messages. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `${shape[0]}` : shape.join('×');
}
