import { type MatmulOptions, type MatmulProblem, recordMatmul } from '@ftcal/core';
import { type BenchContext, budget, describe, unavailable, withTiming } from '../context.ts';
import { measure } from '../harness.ts';
import type { Case, Run } from '../results.ts';

/**
 * Device-resident matmul: A, B (and bias) uploaded once, each call records the kernel into a fresh
 * encoder, submits it and waits for the queue, with no host copies. Uses core's recordMatmul, which
 * takes operands that fit one storage binding each; bigger problems are listed as not available.
 */
export async function residentMatmul(
  ctx: BenchContext,
  c: Case,
  a: Float32Array,
  b: Float32Array,
  s: MatmulProblem,
  options: MatmulOptions,
  heavy: boolean,
): Promise<void> {
  const gpu = ctx.gpu!;
  const meta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'resident' as const };
  const batch = s.batch ?? 1;
  const cBytes = batch * s.m * s.n * 4;
  if (Math.max(a.byteLength, b.byteLength, cBytes) > gpu.maxBindingBytes) {
    unavailable(
      c,
      meta.impl,
      meta.device,
      meta.mode,
      `an operand is over one storage binding (${gpu.maxBindingBytes} bytes)`,
    );
    return;
  }
  const problem: MatmulProblem = { ...s, batch, transB: options.transB ?? false };
  let r: Run;
  const aBuf = gpu.upload(a, 'bench-a');
  const bBuf = gpu.upload(b, 'bench-b');
  const cBuf = gpu.storage(cBytes, 'bench-c');
  const biasBuf = options.bias ? gpu.upload(options.bias, 'bench-bias') : undefined;
  try {
    const timing = await gpu.checked('bench resident matmul', () =>
      measure(
        async () => {
          const encoder = gpu.device.createCommandEncoder({ label: 'bench matmul' });
          const rec = recordMatmul(
            gpu,
            encoder,
            { a: aBuf, b: bBuf, c: cBuf, ...(biasBuf ? { bias: biasBuf } : {}) },
            problem,
          );
          gpu.device.queue.submit([encoder.finish()]);
          await gpu.device.queue.onSubmittedWorkDone();
          rec.release();
        },
        { ...budget(ctx, heavy), timer: ctx.timer },
      ),
    );
    r = withTiming(c, meta, timing);
  } catch (e) {
    r = { ...meta, status: 'failed', note: (e as Error).message.split('\n')[0] };
  } finally {
    aBuf.destroy();
    bBuf.destroy();
    cBuf.destroy();
    biasBuf?.destroy();
  }
  c.runs.push(r);
  ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
}
