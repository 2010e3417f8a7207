import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with `stdin` as its input; rejects only when it cannot start. */
export function runProcess(cmd: string, args: readonly string[], stdin = ''): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The last line of a failed process's stderr, for a one-line note. */
export const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

/**
 * A Python peer script run once: `input` as JSON on stdin, the JSON document it prints back. A script that
 * exits non-zero or prints no JSON rejects with its name and last line of stderr.
 */
export async function runPeerScript<T>(python: string, script: string, input: unknown): Promise<T> {
  const name = script.split(/[\\/]/).at(-1);
  const r = await runProcess(python, [script], JSON.stringify(input));
  if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${lastLine(r.stderr)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch (e) {
    throw new Error(`${name} printed no JSON: ${(e as Error).message}`);
  }
}
