import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/ftcal.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary the way a user does: a child process, real files, exit codes. */
export function ftcal(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd?: string,
): CliResult {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build @ftcal/cli first (pnpm build)`);
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd,
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
