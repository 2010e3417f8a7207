import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { scratch } from '../files.ts';
import { BIN, type CliResult, ftcal } from '../run-cli.ts';

const TOY = fileURLToPath(new URL('../../../../examples/toy/', import.meta.url));

/**
 * The hostile battery's world: a copy of examples/toy in a temp directory outside the repository, where
 * the built binary runs as a user runs it (relative paths, cwd = that directory).
 */
export function hostileWorld(prefix: string) {
  const s = scratch(`ftcal-hostile-${prefix}-`);
  cpSync(TOY, s.dir, { recursive: true });
  const run = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    ftcal(args, env, s.dir);
  /** Writes a calibrator of the toy set (oracle, CPU) to `out`, for the commands that read one. */
  const calibrator = (out = 'cal.json') => {
    const r = run(['calibrate', ...LABELLED, '--methods', 'oracle', '--out', out, '--device', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
  };
  return { ...s, run, calibrator };
}

/** The toy's labelled set and groups, for every command that takes them. */
export const LABELLED = ['--logits', 'logits.npy', '--labels', 'labels.npy', '--groups', 'groups.json'];

/** `evaluate` of one logits file against the toy's labels and groups, on the CPU. */
export const evaluateOn = (logits: string) => [
  'evaluate',
  '--logits',
  logits,
  ...LABELLED.slice(2),
  '--device',
  'cpu',
];

/** The device line every command prints once it has chosen where to run (ftcal's own, wanted). */
export const DEVICE_LINE = /^ftcal: using (WebGPU on|the CPU backend)/;

/** Lines of stderr, blank ones dropped. */
export const stderrLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.trim() !== '');

export interface OneLine {
  /** The exit code: 2 for a user's mistake, 1 for a runtime failure. */
  code: 1 | 2;
  /** What the line must say. */
  says: RegExp;
  /**
   * Whether ftcal's device line may precede the error (the mistake shows only once the work runs, such
   * as every row dropped); by default the mistake is caught before any work, so stderr is one line.
   */
  afterDevice?: boolean;
}

/**
 * DESIGN.md §4 as a user sees it: the exit code, nothing on stdout, and exactly one line on stderr
 * (`ftcal: <file or flag>: <problem>; <fix>`), no stack trace, no commander banner, no native noise.
 */
export function expectOneLine(r: CliResult, want: OneLine): string {
  const lines = stderrLines(r);
  const context = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 400)}`;
  if (want.afterDevice && lines.length === 2) expect(lines[0], context).toMatch(DEVICE_LINE);
  const line = lines.at(-1) ?? '';
  expect(lines.length, context).toBe(want.afterDevice && lines.length === 2 ? 2 : 1);
  expect(r.code, context).toBe(want.code);
  expect(r.stdout, context).toBe('');
  expect(line, context).toMatch(/^ftcal: \S/);
  expect(line, context).toMatch(want.says);
  expect(line, `${context}\n(the line ends with a fix after "; ")`).toMatch(/; \S/);
  expect(line, context).not.toMatch(/internal error|error: |\(run with --help/);
  return line;
}

/** A mistake in one option: the line names the flag first, as `ftcal: --flag: …; fix`. */
export function expectOptionError(r: CliResult, flag: string, says: RegExp = /./): string {
  const line = expectOneLine(r, { code: 2, says });
  expect(line).toMatch(new RegExp(`^ftcal: ${flag.replace(/[-[\]]/g, '\\$&')}[: ]`));
  return line;
}

/** A snapshot of a path (kind and bytes), to prove a refused run left it exactly as it was. */
export function snapshot(path: string): string {
  if (!existsSync(path)) return 'missing';
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return `link ${st.ino}`;
  if (!st.isFile()) return `special ${st.mode} ${st.rdev}`;
  return `file ${st.ino} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/** Runs the binary through a shell, for pipes (`| head`) and redirections a spawn cannot express. */
export function shell(command: string, cwd: string): CliResult {
  const r = spawnSync('/bin/sh', ['-c', command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FTCAL: `${process.execPath} ${BIN}` },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
