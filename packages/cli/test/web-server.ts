import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { BIN } from './run-cli.ts';

export interface WebServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `ftcal web --port 0 …` as a user starts it: resolves with the URL it prints on stdout. */
export async function startWeb(args: readonly string[] = []): Promise<WebServer> {
  const child = spawn(process.execPath, [BIN, 'web', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const line = /^(http:\/\/\S+)\n/m.exec(stdout);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`ftcal web exited ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async stop(signal = 'SIGINT') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}
