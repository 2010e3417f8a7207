import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One fit for torch_linear_peer.py: the files and the objective (DESIGN.md §1.1). */
export interface TorchLinearCase {
  id: string;
  logits: string;
  labels: string;
  groups: number[];
  method: 'vector' | 'matrix' | 'dirichlet' | 'affine';
  odir?: [number, number];
  tolerance: number;
  max_iter?: number;
}

export interface TorchLinearResult {
  id: string;
  method?: string;
  seconds?: number;
  load_seconds?: number;
  iterations?: number;
  evaluations?: number;
  /** Float64 re-evaluation of the objective at LBFGS's final parameters. */
  loss?: number;
  grad_max?: number;
  converged?: boolean;
  error?: string;
}

export type TorchLinearDocument =
  | { available: false; reason: string }
  | {
      available: true;
      torch: string;
      device: string;
      threads: number;
      python: string;
      results: TorchLinearResult[];
    };

function scriptPath(): string | null {
  for (const rel of [
    '../src/peers/torch_linear_peer.py',
    './torch_linear_peer.py',
    '../peers/torch_linear_peer.py',
  ]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Runs torch_linear_peer.py once for `cases` on `device` (cpu or cuda). Resolves to its document; torch
 * missing, or CUDA asked for and absent, is `available: false` with the reason, as is a missing python3 or
 * script. Rejects only when the script itself fails.
 */
export function runTorchLinearPeer(
  device: 'cpu' | 'cuda',
  cases: readonly TorchLinearCase[],
  threads: number,
  python = process.env.PYTHON ?? 'python3',
): Promise<TorchLinearDocument> {
  const script = scriptPath();
  if (!script)
    return Promise.resolve({ available: false, reason: 'torch_linear_peer.py not found beside the bench' });
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', (e) => resolve({ available: false, reason: `${python}: ${e.message}` }));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`torch_linear_peer.py exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as TorchLinearDocument);
      } catch {
        reject(
          new Error(`torch_linear_peer.py printed no JSON document: ${err.trim().split('\n').at(-1) ?? ''}`),
        );
      }
    });
    child.stdin.end(JSON.stringify({ device, threads, cases }));
  });
}
