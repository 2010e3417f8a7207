import { expect } from 'vitest';
import type { CliResult } from './run-cli.ts';

/** stderr without the device line every command prints (`ftcal: using …`). */
export function messageLines(r: CliResult): string[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^ftcal: using /.test(l));
}

/**
 * A user mistake (DESIGN.md §4): exit 2, nothing on stdout, and one line on stderr that names the file
 * and says how to fix it (`<file>: <problem>; <fix>`), never a stack trace.
 */
export function expectInputError(r: CliResult, file: string, problem: RegExp): string {
  const lines = messageLines(r);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(lines, r.stderr).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toContain(file);
  expect(line).toMatch(problem);
  expect(line, 'the message ends with a fix after "; "').toMatch(/; \S/);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return line;
}

/** A successful --json run: exit 0 and stdout is exactly one JSON document. */
// biome-ignore lint/suspicious/noExplicitAny: JSON documents are checked field by field in the tests
export function jsonOf(r: CliResult): any {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}
