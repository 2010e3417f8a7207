import { spawnSync } from 'node:child_process';
import { peerScript } from '../paths.ts';
import { runPeerScript } from '../process.ts';

/** One job for numpy_peer.py; file paths point at the bench's own raw little-endian arrays. */
export type NumpyJob =
  | {
      id: string;
      op: 'matmul';
      m: number;
      n: number;
      k: number;
      batch?: number;
      transB?: boolean;
      bias?: boolean;
    }
  | { id: string; op: 'sort'; keys: string }
  | {
      id: string;
      op: 'softmax' | 'rowstats' | 'curve' | 'paper-curve' | 'evaluate';
      logits: string;
      labels?: string;
      rows: number;
      cols: number;
      groups: number[];
      gamma?: number;
      temperature?: number;
      /** Calls per timed repetition (the bench's host slices of a case too big for one array). */
      repeat?: number;
    };

export type NumpyResult = {
  id: string;
  wall_ms?: number[];
  error?: string;
  ausuc?: number | null;
  points?: number;
  oracle_gamma?: number;
  checksum?: number;
  argSO_sum?: number;
  maxU_sum?: number;
};

export interface NumpyPeer {
  version: string;
  python: string;
  blas: string;
  /** Runs the jobs in one Python process, in order; each with its own warm-up and repetitions. */
  run(jobs: (NumpyJob & { reps: number; budget_ms: number; warmup?: number })[]): Promise<NumpyResult[]>;
}

export function findNumpy(python = process.env.PYTHON ?? 'python3'): NumpyPeer | string {
  const script = peerScript('numpy_peer.py');
  if (!script) return 'numpy_peer.py not found next to the bench';
  const probe = spawnSync(
    python,
    ['-c', 'import numpy, platform; print(numpy.__version__, platform.python_version())'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (probe.error) return `${python} not found (${probe.error.message})`;
  if (probe.status !== 0) return `${python} has no numpy (${probe.stderr.trim().split('\n').at(-1)})`;
  const [version = '?', pythonVersion = '?'] = probe.stdout.trim().split(' ');
  const peer: NumpyPeer = {
    version,
    python: pythonVersion,
    blas: 'unknown',
    run: async (jobs) => {
      const doc = await runPeerScript<{ blas: string; results: NumpyResult[] }>(python, script, jobs);
      peer.blas = doc.blas;
      return doc.results;
    },
  };
  return peer;
}
