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

/** A write that the disk refused: a runtime failure (exit code 1), in one line like every other error. */
function outputError(file: string, problem: string, fix: string): FtcalError {
  return new FtcalError({ code: 'output', file, problem, fix }, 1);
}

/**
 * Turns an fs error on `file` into an FtcalError when it is about the file or the disk (an InputError
 * when the user named a wrong path; exit code 1 for a full or read-only disk), and passes it on otherwise.
 */
export function fsError(file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOSPC':
      return outputError(file, 'no space left on the device', 'free some space or write it elsewhere');
    case 'EDQUOT':
      return outputError(file, 'the disk quota is exhausted', 'free some space or write it elsewhere');
    case 'EROFS':
      return outputError(file, 'the file system is read-only', 'write it elsewhere');
    case 'ENOENT':
      return inputError(file, 'no such file', 'check the path', 'file-access');
    case 'EISDIR':
      return inputError(file, 'is a directory, not a file', 'pass the path of an array file', 'file-access');
    case 'EACCES':
    case 'EPERM':
      return inputError(file, 'permission denied', 'check the file permissions', 'file-access');
    case 'ENOTDIR':
      return inputError(file, 'a parent of this path is not a directory', 'check the path', 'file-access');
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
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
