import { describe, expect, it } from 'vitest';
import type { Timing } from '../src/harness.ts';
import { baselineMs, type Case, type Run, speedup } from '../src/results.ts';

const timing = (wall: number, gpu: number | null = null): Timing => ({
  warmup: 1,
  reps: 3,
  wallMs: { median: wall, min: wall, max: wall },
  gpuMs: gpu === null ? null : { median: gpu, min: gpu, max: gpu },
  passes: gpu === null ? null : 1,
});

const run = (impl: string, mode: Run['mode'], t: Timing, deviceTimed?: boolean): Run => ({
  impl,
  device: 'd',
  mode,
  status: 'ok',
  timing: t,
  ...(deviceTimed && { deviceTimed }),
});

const caseOf = (...runs: Run[]): Case => ({
  suite: 'kernels',
  op: 'softmax',
  label: 'N=10⁶ C=10³',
  shape: {},
  work: { bytes: 8e9 },
  baseline: 'ftcal-webgpu',
  runs,
});

describe('peer ratios', () => {
  // ftcal: a 100 ms round trip (30 ms of it on the GPU), a 12 ms resident call (10 ms GPU time).
  const roundTrip = run('ftcal-webgpu', 'round-trip', timing(100, 30));
  const resident = run('ftcal-webgpu', 'resident', timing(12, 10));
  const torch = run('torch-cuda', 'subprocess', timing(5), true);
  const numpy = run('numpy', 'subprocess', timing(400));

  it('set a device-timed peer (CUDA events) against ftcal’s device time, never its round trip', () => {
    expect(baselineMs(caseOf(roundTrip, resident, torch), true)).toBe(10);
    expect(speedup(caseOf(roundTrip, resident, torch), torch)).toBe(0.5);
    // No timestamps: the resident wall time; no resident run: the round trip's GPU time; neither: none.
    const residentWall = run('ftcal-webgpu', 'resident', timing(12));
    expect(baselineMs(caseOf(roundTrip, residentWall), true)).toBe(12);
    expect(baselineMs(caseOf(roundTrip), true)).toBe(30);
    expect(speedup(caseOf(run('ftcal-webgpu', 'round-trip', timing(100)), torch), torch)).toBeNull();
  });

  it('set a host peer against ftcal’s round trip, host arrays in and out as its own', () => {
    expect(speedup(caseOf(roundTrip, resident, numpy), numpy)).toBe(4);
  });

  it('set another ftcal variant run on resident buffers against ftcal’s resident run, not its round trip', () => {
    const fallback = run('ftcal-webgpu-fallback', 'resident', timing(18, 15));
    expect(speedup(caseOf(roundTrip, resident, fallback), fallback)).toBe(1.5);
    // No resident run of the picked variant: no ratio rather than one against the round trip.
    expect(speedup(caseOf(roundTrip, fallback), fallback)).toBeNull();
  });
});
