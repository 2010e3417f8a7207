import { type GpuContext, GpuPassTimer } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestGpu, TEST_ADAPTERS } from './gpu.ts';

/**
 * llvmpipe has no 'timestamp-query', so the timer's query path never runs on CI's adapter. This fake
 * device records what the timer asks of WebGPU and answers with known tick counts.
 */
function fakeContext(ticks: bigint[]) {
  const passes: (GPUComputePassDescriptor | undefined)[] = [];
  const resolved: number[] = [];
  const encoderProto = {
    beginComputePass(d?: GPUComputePassDescriptor) {
      passes.push(d);
      return { end() {} };
    },
    resolveQuerySet(_q: unknown, first: number, count: number) {
      resolved.push(first, count);
    },
    finish: () => ({}),
  };
  const deviceProto = {
    createCommandEncoder: () => Object.create(encoderProto),
  };
  const device = Object.assign(Object.create(deviceProto), {
    createQuerySet: (d: GPUQuerySetDescriptor) => ({ ...d, destroy() {} }),
    createBuffer: (d: GPUBufferDescriptor) => ({ ...d, destroy() {} }),
    queue: { submit() {} },
  });
  const ctx = {
    device,
    features: { timestampQuery: true, subgroups: false, shaderF16: false },
    read: async (_b: unknown, bytes: number) => BigInt64Array.from(ticks).buffer.slice(0, bytes),
  } as unknown as GpuContext;
  return { ctx, device, deviceProto, passes, resolved };
}

describe('GpuPassTimer', () => {
  // WebGPU's constants appear on globalThis once Dawn loads; until then the fake needs its own, and
  // must not leave them behind for the GPU tests below.
  const g = globalThis as Record<string, unknown>;
  let hadUsage = true;
  beforeAll(() => {
    hadUsage = 'GPUBufferUsage' in g;
    if (!hadUsage) g.GPUBufferUsage = { QUERY_RESOLVE: 0x200, COPY_SRC: 0x4 };
  });
  afterAll(() => {
    if (!hadUsage) delete g.GPUBufferUsage;
  });
  it('gives every compute pass a pair of timestamp slots and sums their durations', async () => {
    // Two timed passes of 1.5 ms and 0.25 ms.
    const f = fakeContext([1_000_000n, 2_500_000n, 3_000_000n, 3_250_000n]);
    const timer = new GpuPassTimer(f.ctx, 8);
    expect(timer.timestamps).toBe(true);
    const t = await timer.time(async () => {
      const e = f.device.createCommandEncoder();
      e.beginComputePass({ label: 'a' });
      e.beginComputePass();
      // A pass with its own timestamps is left alone and counted as untimed.
      e.beginComputePass({ timestampWrites: { querySet: {} as GPUQuerySet } });
      return 42;
    });
    expect(t).toEqual({ result: 42, gpuMs: 1.75, passes: 3, untimed: 1 });
    expect(f.passes[0]).toMatchObject({
      label: 'a',
      timestampWrites: { beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    expect(f.passes[1]?.timestampWrites).toMatchObject({
      beginningOfPassWriteIndex: 2,
      endOfPassWriteIndex: 3,
    });
    expect(f.resolved).toEqual([0, 4]);
    // The device's own method is back once time() returns.
    expect(Object.hasOwn(f.device, 'createCommandEncoder')).toBe(false);
    expect(f.device.createCommandEncoder).toBe(f.deviceProto.createCommandEncoder);
  });

  it('restores the device when the timed work throws', async () => {
    const f = fakeContext([]);
    const timer = new GpuPassTimer(f.ctx);
    await expect(timer.time(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(f.device.createCommandEncoder).toBe(f.deviceProto.createCommandEncoder);
  });
});

describe.each(TEST_ADAPTERS)('GpuPassTimer on %s', (adapter) => {
  it('counts the passes of a real op, and none for CPU work; its timestamps are not quantized', async (ctx) => {
    const gpu = await openTestGpu(adapter);
    if (!gpu) return ctx.skip();
    try {
      const timer = new GpuPassTimer(gpu.ctx);
      expect(timer.timestamps).toBe(gpu.ctx.features.timestampQuery);
      const z = Float32Array.from({ length: 256 * 500 }, (_, i) => Math.sin(i));
      const runs = [];
      for (let i = 0; i < 4; i++) runs.push(await timer.time(() => gpu.softmax(z, 256, 500)));
      for (const run of runs) {
        expect(run.passes).toBeGreaterThan(0);
        expect(run.result).toHaveLength(256 * 500);
      }
      if (timer.timestamps) {
        // Dawn rounds timestamps down to multiples of 65 536 ns unless its timestamp_quantization
        // toggle is off (platform/node/dawn.ts); four exact durations are all multiples by chance ~never.
        const ns = runs.map((r) => Math.round(r.gpuMs! * 1e6));
        expect(ns.every((t) => t > 0)).toBe(true);
        expect(
          ns.some((t) => t % 65536 !== 0),
          ns.join(', '),
        ).toBe(true);
      }
      const onCpu = await timer.time(async () => z.map((v) => v * 2));
      expect(onCpu.passes).toBe(0);
      timer.destroy();
    } finally {
      gpu.dispose();
    }
  });
});
