/**
 * Every error a user can cause or meet carries an exit code (DESIGN.md §4): 2 for usage and input
 * problems, 1 for runtime failures, and a one-line message: `<file>: <problem>; <fix>`.
 *
 * Core is a library first, so its errors are structured: a stable `code`, the `file` concerned, the
 * `problem`, the `fix`, and, when the fix is to set one of the library's options, that `option`. The
 * message names the option as a library caller writes it (`nanPolicy: 'skip'`); a front end (the CLI,
 * the web page) renders the same error with its own name for the option (`--nan-policy skip`) through
 * `renderError`, so core never needs to know any flag.
 */

/** Stable, machine-readable error codes. Add codes here; never reuse one for another meaning. */
export type ErrorCode =
  /** A malformed, truncated or unsupported file. */
  | 'bad-file'
  /** A file that cannot be opened or read (missing, a directory, permissions). */
  | 'file-access'
  /** Arrays whose shapes do not fit together (rows, classes, features). */
  | 'shape'
  /** Labels out of range, in O, or not integers. */
  | 'labels'
  /** Class groups that overlap, are empty or name classes the head does not have. */
  | 'groups'
  /** NaN or +Infinity in the logits. */
  | 'non-finite'
  /** Probabilities where logits were expected, or the other way round. */
  | 'input-kind'
  /** An option value that is malformed or out of range. */
  | 'option'
  /** A method or combination that cannot run on the inputs given. */
  | 'unsupported'
  /** No usable device, or one that cannot run the job. */
  | 'device'
  /** An output that cannot be written where asked. */
  | 'output'
  /** Anything else the user can fix. */
  | 'input';

/** The library option a fix refers to, and the value it should take (if one). */
export interface OptionRef {
  /** The option's name in the library API (`nanPolicy`, `allowOtherLabels`, `device`, …). */
  name: string;
  value?: string | number | boolean;
}

export interface ErrorInfo {
  code: ErrorCode;
  /** The file (or source name, such as `model.safetensors:logits` or `<memory>`) concerned. */
  file?: string;
  /** What is wrong, without the file name and without the fix. */
  problem: string;
  /** How to fix it. Where it names `option`, it holds the placeholder `{option}`. */
  fix?: string;
  option?: OptionRef;
}

/** How a front end writes an option in its fixes; `undefined` falls back to the library wording. */
export type OptionWording = (option: OptionRef) => string | undefined;

/** The library's own wording: `nanPolicy: 'skip'`, `allowOtherLabels: true`, `device` alone. */
export const libraryWording: OptionWording = ({ name, value }) =>
  value === undefined ? name : `${name}: ${typeof value === 'string' ? `'${value}'` : String(value)}`;

/** The one-line message of `info`, with options written by `wording`. */
export function formatError(info: ErrorInfo, wording: OptionWording = libraryWording): string {
  const opt: string = info.option ? (wording(info.option) ?? libraryWording(info.option) ?? '') : '';
  const fix = info.fix?.replaceAll('{option}', opt);
  return `${info.file ? `${info.file}: ` : ''}${info.problem}${fix ? `; ${fix}` : ''}`;
}

export class FtcalError extends Error {
  readonly exitCode: 1 | 2;
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly problem: string;
  readonly fix: string | undefined;
  readonly option: OptionRef | undefined;

  /** A structured error, or (older call sites) a ready-made one-line message with code 'input'. */
  constructor(info: ErrorInfo | string, exitCode: 1 | 2, options?: { cause?: unknown }) {
    const i: ErrorInfo = typeof info === 'string' ? { code: 'input', problem: info } : info;
    super(formatError(i), options);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.code = i.code;
    this.file = i.file;
    this.problem = i.problem;
    this.fix = i.fix;
    this.option = i.option;
  }

  /** The structured parts, for a front end that words them itself. */
  get info(): ErrorInfo {
    return {
      code: this.code,
      problem: this.problem,
      ...(this.file !== undefined && { file: this.file }),
      ...(this.fix !== undefined && { fix: this.fix }),
      ...(this.option !== undefined && { option: this.option }),
    };
  }
}

/** The message of any error for a front end: FtcalErrors re-worded by `wording`, others as they are. */
export function renderError(e: unknown, wording: OptionWording = libraryWording): string {
  if (e instanceof FtcalError) return formatError(e.info, wording);
  return e instanceof Error ? e.message : String(e);
}

/** Bad arguments, bad files, bad shapes: the user can fix it. Exit code 2. */
export class InputError extends FtcalError {
  constructor(info: ErrorInfo | string, options?: { cause?: unknown }) {
    super(info, 2, options);
  }
}

/** No usable WebGPU adapter where one was required. Exit code 1. */
export class NoAdapterError extends FtcalError {
  readonly reasons: readonly string[];
  constructor(info: ErrorInfo | string, reasons: readonly string[]) {
    super(typeof info === 'string' ? { code: 'device', problem: info } : info, 1);
    this.reasons = reasons;
  }
}

/** A WebGPU validation, out-of-memory or internal error, captured by an error scope. Exit code 1. */
export class GpuError extends FtcalError {
  readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'device-lost';
  constructor(kind: GpuError['kind'], message: string) {
    super({ code: 'device', problem: `GPU ${kind} error: ${message}` }, 1);
    this.kind = kind;
  }
}
