import { parseArgs } from 'node:util';
import { type DevicePreference, InputError } from '@ftcal/core';

export const SUITES = [
  'kernels',
  'nll',
  'curve',
  'end-to-end',
  'scale',
  'page',
  'cpu-matmul',
  'linear',
  'bootstrap',
] as const;
export type Suite = (typeof SUITES)[number];

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  device: DevicePreference;
  /** The adapter `--device gpu:NAME` names (core's `adapter`); none: the preference's own pick. */
  adapter: string | null;
  /** Check the device first (preflight.ts) and stop, exit 3, when it cannot do the run's work. */
  preflight: boolean;
  /** Leave out what runs on the CPU only (CPU twin, NumPy, the paper's re-scan), as the GPU-machine run does. */
  gpuOnly: boolean;
  out: string;
  /** Markdown report path; null: only the copy under `out`. */
  docs: string | null;
  /** Largest N·C a row benchmark or the end-to-end run may use (bigger sizes are listed as skipped). */
  maxCells: number;
  /** Largest N·C of an end-to-end case (a whole evaluate/calibrate run); default --max-cells. */
  maxE2eCells: number;
  /** Largest 2·M·N·K a matmul case may use. */
  maxFlops: number;
  /** Most timed repetitions per measurement (after the warm-up). */
  reps: number;
  suites: Set<Suite>;
  /** Skip NumPy and tfjs even when present (the in-process CPU twin and paper curve still run). */
  noPeers: boolean;
  /** Re-render the markdown from a saved result document instead of measuring. */
  render: string | null;
}

export const USAGE = `usage: pnpm bench [--json] [--quick] [--device auto|gpu|gpu:NAME|cpu] [--out DIR] [--docs FILE]
                  [--max-cells N] [--max-e2e-cells N] [--max-flops N] [--reps N] [--only kernels,nll,curve,end-to-end,scale,page,cpu-matmul,linear,bootstrap]
                  [--preflight] [--gpu-only] [--no-peers] [--render FILE]
  --json        print the result document on stdout (progress goes to stderr)
  --quick       small sizes only; finishes in under a minute on two cores
  --device      auto (hardware GPU, else CPU), gpu (a software adapter too), gpu:NAME (the adapter
                \`ftcal doctor\` names so: gpu:swiftshader, gpu:llvmpipe), cpu; default gpu
  --preflight   first check the device in about 20 s (adapter, a 256 MiB and a 4e9-byte buffer, one
                resident 4096³ matmul, one resident softmax; --quick: small sizes) and stop, exit 3, if it fails
  --gpu-only    leave out the CPU-only runs (CPU twin, NumPy, the paper's re-scan) and the CPU suites
  --out         folder for the JSON result and a markdown copy; default bench-results/
  --docs        also write the markdown report there (a full run of every suite writes docs/benchmarks.md)
  --max-cells   skip row benchmarks with N·C above this (e.g. 1e8 on a software adapter)
  --max-e2e-cells  the same for the end-to-end runs (default: --max-cells)
  --max-flops   skip matmul cases with 2·M·N·K above this
  --reps        most timed repetitions per measurement (default 7, quick 3)
  --only        run only these suites
  --no-peers    skip NumPy and tfjs (the CPU twin and the paper's curve still run)
  --render FILE re-write the markdown (--docs, or docs/benchmarks.md) from a saved JSON result`;

function count(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InputError(`bench: --${flag} ${value} is not a positive number; give e.g. --${flag} 1e8`);
  }
  return n;
}

export function parseBenchArgs(argv: readonly string[], defaultDocs: string): BenchOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new InputError(`bench: ${(e as Error).message.split('\n')[0]}; see --help`);
  }
  const v = parsed.values;
  const given = v.device ?? 'gpu';
  const named = /^gpu:(.*\S.*)$/s.exec(given);
  const device = named ? 'gpu' : given;
  if (device !== 'auto' && device !== 'gpu' && device !== 'cpu') {
    throw new InputError(`bench: --device ${given} is not one of auto, gpu, gpu:NAME, cpu`);
  }
  const suites = new Set<Suite>();
  for (const name of (v.only ?? SUITES.join(',')).split(',').filter(Boolean)) {
    if (!(SUITES as readonly string[]).includes(name)) {
      throw new InputError(`bench: --only ${name} is not a suite; choose from ${SUITES.join(', ')}`);
    }
    suites.add(name as Suite);
  }
  const quick = v.quick ?? false;
  return {
    json: v.json ?? false,
    quick,
    device,
    adapter: named ? named[1]!.trim() : null,
    preflight: v.preflight ?? false,
    gpuOnly: v['gpu-only'] ?? false,
    out: v.out ?? 'bench-results',
    // Only a full run of every suite replaces the committed report unless --docs names a file.
    docs: v.docs ?? (quick || v.only !== undefined ? null : defaultDocs),
    maxCells: count('max-cells', v['max-cells'], quick ? 1e6 : 1e9),
    maxE2eCells: count(
      'max-e2e-cells',
      v['max-e2e-cells'],
      count('max-cells', v['max-cells'], quick ? 1e6 : 1e9),
    ),
    maxFlops: count('max-flops', v['max-flops'], quick ? 1e8 : 2 * 8192 ** 3),
    reps: Math.max(1, Math.round(count('reps', v.reps, quick ? 3 : 7))),
    suites,
    noPeers: v['no-peers'] ?? false,
    render: v.render ?? null,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      device: { type: 'string' },
      out: { type: 'string' },
      docs: { type: 'string' },
      'max-cells': { type: 'string' },
      'max-e2e-cells': { type: 'string' },
      'max-flops': { type: 'string' },
      reps: { type: 'string' },
      only: { type: 'string' },
      'no-peers': { type: 'boolean' },
      preflight: { type: 'boolean' },
      'gpu-only': { type: 'boolean' },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
