import { peerScript } from '../paths.ts';
import { runPeerScript } from '../process.ts';

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
  const script = peerScript('torch_linear_peer.py');
  if (!script)
    return Promise.resolve({ available: false, reason: 'torch_linear_peer.py not found beside the bench' });
  return runPeerScript<TorchLinearDocument>(python, script, { device, threads, cases }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return { available: false, reason: `${python} not found (${e.message})` };
      throw e;
    },
  );
}
