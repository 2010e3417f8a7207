import { describe, expect, it } from 'vitest';
import { withCpuFallback } from '../src/backend/fallback.ts';
import { softmaxCpu } from '../src/cpu/softmax.ts';
import { GpuError } from '../src/errors.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu-harness.ts';

describe.each(TEST_ADAPTERS)('lost GPU device on %s', (adapter) => {
  it('re-runs the failed operation on the CPU twin and stays there', async (ctx) => {
    const gpu = await openTestGpu(adapter);
    if (!gpu) return ctx.skip();
    const lines: string[] = [];
    const backend = withCpuFallback(gpu, (l) => lines.push(l));
    const z = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(backend.kind).toBe('webgpu');
    await backend.softmax(z, 2, 3);

    // Destroying the device behind the context's back is what a driver reset looks like to Dawn.
    gpu.ctx.device.destroy();
    await gpu.ctx.device.lost;
    await expect(gpu.softmax(z, 2, 3)).rejects.toBeInstanceOf(GpuError);

    const out = await backend.softmax(z, 2, 3);
    expect(Array.from(out)).toEqual(Array.from(softmaxCpu(z, 2, 3)));
    expect(backend.kind).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/GPU device was lost.*CPU backend/);
    backend.dispose();
  });
});
