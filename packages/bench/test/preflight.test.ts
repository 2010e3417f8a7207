import { describe, expect, it } from 'vitest';
import { preflight } from '../src/preflight.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu.ts';

describe.each(TEST_ADAPTERS)('the bench preflight on %s', (adapter) => {
  it('checks the adapter, two buffers, a resident matmul and a resident softmax (--quick sizes)', async (ctx) => {
    const gpu = await openTestGpu(adapter);
    if (!gpu) return ctx.skip();
    try {
      const checks = await preflight(gpu.ctx, true);
      expect(checks.map((c) => c.name)).toEqual([
        'adapter',
        'buffer of 16777216 bytes',
        'buffer of 64000000 bytes',
        'resident matmul 256³',
        'resident softmax over 64000000 bytes',
      ]);
      for (const c of checks) expect(c.ok, `${c.name}: ${c.note}`).toBe(true);
      expect(checks[3]!.note).toMatch(/GFLOP\/s, spot entries within f32 rounding$/);
    } finally {
      gpu.dispose();
    }
  });

  it('fails without a GPU', async () => {
    expect(await preflight(null, true)).toEqual([
      { name: 'adapter', ok: false, ms: 0, note: 'no GPU: the backend under test is the CPU' },
    ]);
  });
});
