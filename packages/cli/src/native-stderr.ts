import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { Command } from 'commander';

/**
 * DESIGN.md §2: native driver chatter never reaches the user's terminal. Dawn, Mesa and EGL write to
 * file descriptor 2 from native code as adapters are probed (XDG_RUNTIME_DIR errors, Vulkan warnings
 * ending in a path on Dawn's build machine, limits "artificially reduced"), and no JavaScript can point
 * fd 2 elsewhere inside a running process. So a command that may load Dawn runs in a child process whose
 * fd 2 is a pipe this process drains and drops, while everything ftcal itself writes to stderr (the device
 * line, progress, warnings, errors) goes to the child's fd 3: this process's stderr. Should the child die
 * of a crash (a signal, or an exit code ftcal never uses), what it printed on fd 2 is shown after all.
 */

/** Set in the child: the fd that is the user's stderr. */
const STDERR_FD = 'FTCAL_STDERR_FD';
/** How ftcal itself ends: success, runtime failure, user mistake, interrupted (SIGINT, SIGTERM). */
const OWN_EXIT_CODES = new Set([0, 1, 2, 130, 143]);
/** Of the native output, the tail shown if the child crashed. */
const KEEP_BYTES = 64 * 1024;

/** Whether these arguments may load Dawn: doctor, or a command that takes --device, and it is not cpu. */
function mayLoadDawn(program: Command, args: readonly string[]): boolean {
  const name = args.find((a) => !a.startsWith('-'));
  const command = program.commands.find((c) => c.name() === name);
  if (!command) return false;
  if (name !== 'doctor' && !command.options.some((o) => o.long === '--device')) return false;
  if (args.some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version')) return false;
  let device = 'auto';
  args.forEach((a, i) => {
    if (a === '--device') device = args[i + 1] ?? device;
    else if (a.startsWith('--device=')) device = a.slice('--device='.length);
  });
  return device !== 'cpu';
}

/** In the child: every JavaScript write to stderr goes to the user's stderr on fd 3, synchronously. */
function writeToUserStderr(fd: number): void {
  const write = (chunk: string | Uint8Array) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let done = 0; done < bytes.length; ) {
      try {
        done += writeSync(fd, bytes, done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') return;
        if (code !== 'EAGAIN') throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  };
  // One place for all of it (ftcal's lines, commander's, Node's warnings): process.stderr itself.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    write(chunk);
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stderr.write;
  Object.defineProperty(process.stderr, 'isTTY', { value: isatty(fd) });
  process.on('uncaughtException', (e) => {
    write(`ftcal: internal error: ${e.stack ?? String(e)}\n`);
    process.exit(1);
  });
  // The parent holds the other end of the IPC channel: if it is killed outright, stop too (through
  // SIGTERM, so an output being streamed is cleaned up as on any interruption).
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}

/**
 * Runs this command line in a child with its native output captured, relaying signals, and resolves to
 * the exit code to end with; or, when this process is that child or the command needs no device, sets
 * up nothing and resolves to null (run here).
 */
export async function runWithoutNativeNoise(program: Command): Promise<number | null> {
  const inChild = process.env[STDERR_FD];
  if (inChild !== undefined) {
    writeToUserStderr(Number(inChild));
    return null;
  }
  if (!mayLoadDawn(program, process.argv.slice(2))) return null;
  // Its own process group, so a Ctrl-C reaches only this process, which passes it on exactly once.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe', 2, 'ipc'],
    env: { ...process.env, [STDERR_FD]: '3' },
    detached: true,
  });
  let native = Buffer.alloc(0);
  child.stderr?.on('data', (d: Buffer) => {
    native = Buffer.concat([native, d]);
    if (native.length > KEEP_BYTES) native = native.subarray(native.length - KEEP_BYTES);
  });
  const relay = (signal: NodeJS.Signals) => child.kill(signal);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, relay);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  for (const s of signals) process.off(s, relay);
  if (signal !== null || !OWN_EXIT_CODES.has(code ?? -1)) process.stderr.write(native);
  // A child killed by a signal ends this process the way a shell reports it: 128 + the signal's number.
  return signal !== null ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1);
}
