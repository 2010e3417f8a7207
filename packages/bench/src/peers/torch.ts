import { peerScript } from '../paths.ts';
import { runPeerScript } from '../process.ts';

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
  /** 'cpu': torch's CPU backend, timed by wall clock, to check the script where torch has no CUDA. */
  device?: 'cuda' | 'cpu';
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
      /** 'cuda-events' (device time) or 'wall' (the CPU check). */
      timer: 'cuda-events' | 'wall';
      results: TorchResult[];
    };

/**
 * Runs torch_peer.py once with `config` (all measurements in one process, inputs made on the device).
 * Resolves to the script's document; torch missing or without CUDA is `available: false` with the
 * reason, as is a missing python3 or script. Rejects only when the script itself fails.
 */
export function runTorchPeer(
  config: TorchConfig,
  python = process.env.PYTHON ?? 'python3',
): Promise<TorchDocument> {
  const script = peerScript('torch_peer.py');
  if (!script)
    return Promise.resolve({ available: false, reason: 'torch_peer.py not found next to the bench' });
  return runPeerScript<TorchDocument>(python, script, config).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return { available: false, reason: `${python} not found (${e.message})` };
    throw e;
  });
}
