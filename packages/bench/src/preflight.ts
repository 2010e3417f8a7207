import { type GpuContext, recordMatmul, recordSoftmax } from '@ftcal/core';
import { fmtMs } from './context.ts';
import { randomMatrix } from './data.ts';

/** One preflight check: what was tried, whether it worked, how long it took, what it found. */
export interface PreflightCheck {
  name: string;
  ok: boolean;
  ms: number;
  note: string;
}

interface Sizes {
  small: number;
  large: number;
  matmul: number;
  softmaxCols: number;
}

/** The device run's sizes: a 256 MiB and a 4e9-byte buffer, 4096³, softmax over the large buffer. */
const FULL: Sizes = { small: 256 * 2 ** 20, large: 4e9, matmul: 4096, softmaxCols: 1000 };
/** The same checks at sizes a software adapter does in seconds (--quick). */
const QUICK: Sizes = { small: 16 * 2 ** 20, large: 64e6, matmul: 256, softmaxCols: 1000 };

async function timed(name: string, run: () => Promise<string>): Promise<PreflightCheck> {
  const t0 = performance.now();
  try {
    const note = await run();
    return { name, ok: true, ms: performance.now() - t0, note };
  } catch (e) {
    return { name, ok: false, ms: performance.now() - t0, note: (e as Error).message.split('\n')[0]! };
  }
}

/** Makes a storage buffer of `bytes`, writes its last 16 bytes and reads them back. */
async function bufferCheck(gpu: GpuContext, bytes: number): Promise<string> {
  if (bytes > gpu.limits.maxBufferSize) {
    throw new Error(`${bytes} bytes is over maxBufferSize ${gpu.limits.maxBufferSize}`);
  }
  const buffer = await gpu.checked('preflight buffer', () => gpu.storage(bytes, 'preflight'));
  try {
    const tail = Float32Array.of(1, 2, 3, 4);
    const at = Math.floor((bytes - 16) / 4) * 4;
    gpu.device.queue.writeBuffer(buffer, at, tail);
    const back = await gpu.checked('preflight read', () => gpu.readF32(buffer, 4, at / 4));
    if (back.join() !== tail.join()) throw new Error(`read back ${back.join()} instead of 1,2,3,4`);
    return `${(bytes / 2 ** 20).toFixed(0)} MiB made, its last bytes written and read back`;
  } finally {
    buffer.destroy();
  }
}

/** One device-resident square matmul, checked at a few entries against float64 dot products. */
async function matmulCheck(gpu: GpuContext, n: number): Promise<string> {
  const a = randomMatrix(n * n, 31);
  const b = randomMatrix(n * n, 32);
  const bufs = {
    a: gpu.upload(a, 'preflight-a'),
    b: gpu.upload(b, 'preflight-b'),
    c: gpu.storage(n * n * 4),
  };
  try {
    const run = async () => {
      const encoder = gpu.device.createCommandEncoder({ label: 'preflight matmul' });
      const rec = recordMatmul(gpu, encoder, bufs, { m: n, n, k: n });
      gpu.device.queue.submit([encoder.finish()]);
      await gpu.device.queue.onSubmittedWorkDone();
      rec.release();
      return rec;
    };
    await gpu.checked('preflight matmul', run);
    const t0 = performance.now();
    const rec = await gpu.checked('preflight matmul', run);
    const ms = performance.now() - t0;
    for (const [i, j] of [
      [0, 0],
      [n - 1, n - 1],
      [n >> 1, 7 % n],
    ] as const) {
      let want = 0;
      for (let k = 0; k < n; k++) want += a[i * n + k]! * b[k * n + j]!;
      const got = (await gpu.readF32(bufs.c, 1, i * n + j))[0]!;
      if (!(Math.abs(got - want) <= 1e-4 * Math.sqrt(n) + 1e-5 * Math.abs(want))) {
        throw new Error(`C[${i}][${j}] = ${got}, float64 gives ${want}`);
      }
    }
    return `${n}³ (${rec.variant}) in ${fmtMs(ms)} wall, ${((2 * n ** 3) / (ms * 1e6)).toFixed(1)} GFLOP/s, spot entries within f32 rounding`;
  } finally {
    bufs.a.destroy();
    bufs.b.destroy();
    bufs.c.destroy();
  }
}

/** One device-resident softmax over a buffer of `bytes` (zeros: every probability 1/cols). */
async function softmaxCheck(gpu: GpuContext, bytes: number, cols: number): Promise<string> {
  const rows = Math.floor(bytes / (cols * 4));
  const made: GPUBuffer[] = [];
  try {
    const logits = gpu.storage(rows * cols * 4, 'preflight-logits');
    made.push(logits);
    const groups = gpu.upload(new Uint32Array(cols), 'preflight-groups');
    made.push(groups);
    const out = gpu.storage(rows * cols * 4, 'preflight-probs');
    made.push(out);
    const t0 = performance.now();
    const rec = await gpu.checked('preflight softmax', async () => {
      const encoder = gpu.device.createCommandEncoder({ label: 'preflight softmax' });
      const r = recordSoftmax(gpu, encoder, { logits, groups, rows, cols }, { out });
      gpu.device.queue.submit([encoder.finish()]);
      await gpu.device.queue.onSubmittedWorkDone();
      r.release();
      return r;
    });
    const ms = performance.now() - t0;
    const last = await gpu.readF32(out, 4, rows * cols - 4);
    if (last.some((p) => Math.abs(p - 1 / cols) > 1e-6)) throw new Error(`last probabilities ${last.join()}`);
    return `${rows}×${cols} (${(bytes / 1e9).toFixed(2)} GB in, the same out) in ${fmtMs(ms)} wall with its first-use pipeline, ${rec.chunks.length} dispatch${rec.chunks.length === 1 ? '' : 'es'}; every probability 1/${cols}`;
  } finally {
    for (const b of made) b.destroy();
  }
}

/**
 * About 20 s that say whether the device can do the run's work before the run spends its minutes:
 * the adapter, a 256 MiB and a 4e9-byte buffer, one resident 4096³ matmul and one resident softmax
 * over 4e9 bytes of logits (small sizes with `quick`). Every check runs; the caller stops on a failure.
 */
export async function preflight(gpu: GpuContext | null, quick: boolean): Promise<PreflightCheck[]> {
  if (!gpu) {
    return [{ name: 'adapter', ok: false, ms: 0, note: 'no GPU: the backend under test is the CPU' }];
  }
  const s = quick ? QUICK : FULL;
  const r = gpu.report;
  const checks: PreflightCheck[] = [
    {
      name: 'adapter',
      ok: true,
      ms: 0,
      note: `${[r.vendor, r.architecture, r.device].filter(Boolean).join(' / ')} (${r.backend}, ${r.featureLevel}${r.software ? ', software' : ''}); subgroups ${gpu.features.subgroups ? `${r.subgroupSizes?.join('–') ?? 'yes'}` : 'no'}, timestamps ${gpu.features.timestampQuery ? 'yes' : 'no'}; maxBufferSize ${gpu.limits.maxBufferSize}, maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}`,
    },
  ];
  checks.push(await timed(`buffer of ${s.small} bytes`, () => bufferCheck(gpu, s.small)));
  checks.push(await timed(`buffer of ${s.large} bytes`, () => bufferCheck(gpu, s.large)));
  checks.push(await timed(`resident matmul ${s.matmul}³`, () => matmulCheck(gpu, s.matmul)));
  checks.push(
    await timed(`resident softmax over ${s.large} bytes`, () => softmaxCheck(gpu, s.large, s.softmaxCols)),
  );
  return checks;
}
