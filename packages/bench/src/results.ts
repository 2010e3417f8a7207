import type { Machine, Timing } from './harness.ts';
import type { PreflightCheck } from './preflight.ts';

export const SCHEMA_VERSION = 1;

export interface Throughput {
  value: number;
  unit: 'GFLOP/s' | 'GB/s' | 'Mrows/s' | 'Mkeys/s';
  basis: 'wall' | 'gpu';
}

/** One implementation's measurement of one case. */
export interface Run {
  /** ftcal-webgpu, ftcal-cpu (the CPU twin), numpy, tfjs-webgpu, paper-curve-ts, paper-curve-numpy. */
  impl: string;
  /** What it ran on: the adapter's name, or the CPU model for CPU code. */
  device: string;
  /** round-trip: host arrays in and out; resident: inputs already on the device; in-process: CPU code. */
  mode: 'round-trip' | 'resident' | 'in-process' | 'subprocess';
  status: 'ok' | 'not available' | 'skipped' | 'failed';
  /** Why a run is not 'ok', or what to know about an 'ok' one. */
  note?: string;
  timing?: Timing;
  /** Work per call over the median wall time (or GPU time, see `basis`). */
  throughput?: Throughput;
  /** The same work over the median GPU time, where timestamp queries exist. */
  gpuThroughput?: Throughput;
  /** Agreement with the ftcal result of the same case (e.g. max relative error, equal AUSUC). */
  check?: string;
  /** The time is the device's (CUDA events): its ratio is taken against ftcal's device time too. */
  deviceTimed?: boolean;
}

export interface Case {
  suite:
    | 'kernels'
    | 'nll'
    | 'curve'
    | 'end-to-end'
    | 'scale'
    | 'page'
    | 'cpu-matmul'
    | 'linear'
    | 'bootstrap';
  op: string;
  /** Human label of the shape, e.g. "1024×1024×1024" or "N=10⁴ C=100". */
  label: string;
  shape: Record<string, number>;
  /** Work per call: floating-point operations, bytes moved, or rows processed. */
  work: { flops?: number; bytes?: number; rows?: number; keys?: number };
  /** The implementation the ratios divide by (ftcal on the chosen device). */
  baseline: string;
  runs: Run[];
}

export interface PeerStatus {
  name: string;
  available: boolean;
  version?: string;
  /** Why it is not available, or how it ran (the adapter, the process). */
  note: string;
}

export interface BenchDocument {
  schemaVersion: number;
  tool: 'ftcal-bench';
  date: string;
  mode: 'quick' | 'full';
  argv: string[];
  machine: Machine;
  device: {
    preference: string;
    backend: 'webgpu' | 'cpu';
    name: string;
    adapter: { vendor: string; architecture: string; device: string; description: string } | null;
    software: boolean;
    /** 'wall and GPU (timestamp queries)' or why only wall time exists. */
    timing: string;
  };
  peers: PeerStatus[];
  /** Pieces of ftcal a benchmark needs that this build does not have yet. */
  missing: string[];
  cases: Case[];
  durationS: number;
  /**
   * Why the run ended early, when it did (a signal, a failed preflight; while it runs, the checkpoint
   * says it has not finished); its cases are the ones measured by then.
   */
  stopped?: string;
  /** The device checks run before anything was measured (--preflight). */
  preflight?: PreflightCheck[];
}

/**
 * ftcal's time that a peer's is set against: for a peer timed on the device (PyTorch's CUDA events), the
 * device-resident run's GPU time (timestamp queries), else its wall time, else the round trip's GPU
 * time, never a round trip's wall time (that would count PCIe copies the peer never made); for a
 * device-resident run (another ftcal variant on buffers already on the device), ftcal's resident wall
 * time, like against like; for the others, the round trip's wall time, host arrays in and out as theirs.
 */
export function baselineMs(c: Case, deviceTimed: boolean, resident = false): number | null {
  const ours = c.runs.filter((r) => r.impl === c.baseline && r.status === 'ok');
  const roundTrip = ours.find((r) => r.mode !== 'resident')?.timing;
  const residentRun = ours.find((r) => r.mode === 'resident')?.timing;
  if (!deviceTimed) return (resident ? residentRun : roundTrip)?.wallMs.median ?? null;
  if (residentRun) return residentRun.gpuMs?.median ?? residentRun.wallMs.median;
  return roundTrip?.gpuMs?.median ?? null;
}

/** Peer median over ftcal's (baselineMs): how many times faster ftcal is (below 1: slower). */
export function speedup(c: Case, run: Run): number | null {
  if (!run.timing || run.status !== 'ok') return null;
  const base = baselineMs(c, run.deviceTimed === true, run.mode === 'resident');
  return base ? run.timing.wallMs.median / base : null;
}
