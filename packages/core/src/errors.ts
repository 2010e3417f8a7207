/**
 * Every error a user can cause or meet carries an exit code (DESIGN.md §4): 2 for usage and input
 * problems, 1 for runtime failures. The message is one line that names the file, the problem and the fix.
 */
export class FtcalError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad arguments, bad files, bad shapes: the user can fix it. Exit code 2. */
export class InputError extends FtcalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }
}

/** No usable WebGPU adapter where one was required. Exit code 1. */
export class NoAdapterError extends FtcalError {
  readonly reasons: readonly string[];
  constructor(message: string, reasons: readonly string[]) {
    super(message, 1);
    this.reasons = reasons;
  }
}

/** A WebGPU validation, out-of-memory or internal error, captured by an error scope. Exit code 1. */
export class GpuError extends FtcalError {
  readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'device-lost';
  constructor(kind: GpuError['kind'], message: string) {
    super(`GPU ${kind} error: ${message}`, 1);
    this.kind = kind;
  }
}
