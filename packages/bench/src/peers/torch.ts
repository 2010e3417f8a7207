import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** torch_peer.py's config; every field has a default in the script. */
export interface TorchConfig {
  matmul?: number;
  rows?: number;
  cols?: number;
  curve_rows?: number;
  curve_cols?: number;
  gamma?: number;
  temperature?: number;
  lbfgs_iters?: number;
  warmup?: number;
  reps?: number;
  seed?: number;
}

export interface TorchResult {
  id: string;
  op: string;
  shape?: Record<string, number>;
  work?: { flops?: number; bytes?: number; rows?: number };
  /** CUDA-event milliseconds per timed call. */
  ms?: number[];
  error?: string;
  [extra: string]: unknown;
}

export type TorchDocument =
  | { available: false; reason: string }
  | {
      available: true;
      torch: string;
      cuda: string;
      device: string;
      python: string;
      results: TorchResult[];
    };

/** dist/bench.mjs, src/main.ts and a bundle next to the script sit at different depths. */
function scriptPath(): string | null {
  for (const rel of ['../src/peers/torch_peer.py', './torch_peer.py', '../peers/torch_peer.py']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Runs torch_peer.py once with `config` (all measurements in one process, inputs made on the device).
 * Resolves to the script's document; torch missing or without CUDA is `available: false` with the
 * reason, as is a missing python3 or script. Rejects only when the script itself fails.
 */
export function runTorchPeer(
  config: TorchConfig,
  python = process.env.PYTHON ?? 'python3',
): Promise<TorchDocument> {
  const script = scriptPath();
  if (!script)
    return Promise.resolve({ available: false, reason: 'torch_peer.py not found next to the bench' });
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.on('error', (e) => resolve({ available: false, reason: `${python} not found (${e.message})` }));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`torch_peer.py exited ${code}: ${err.trim().split('\n').at(-1)}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as TorchDocument);
      } catch (e) {
        reject(new Error(`torch_peer.py printed no JSON: ${(e as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify(config));
  });
}
