import {
  type MatmulOptions,
  type MatmulProblem,
  type MatmulVariant,
  pickMatmulVariant,
  type RecordedRows,
  type RowStats,
  readRowStats,
  recordMatmul,
  recordRowStats,
  recordSoftmax,
  rowStatsBytes,
  runsTiled128,
  vec4Loadable,
} from '@ftcal/core';
import { type BenchContext, budget, describe, recordRun, unavailable, withTiming } from '../context.ts';
import { measure } from '../harness.ts';
import type { Case, Run } from '../results.ts';

/**
 * The matmul variants a resident case times: the picker's, and where vec4 loads are valid and the
 * device runs the 128×128 kernel, the other of 64×64 (tiled-vec4) and 128×128 (tiled128), so one run
 * holds the two side by side.
 */
function comparedMatmulVariants(ctx: BenchContext, p: MatmulProblem): MatmulVariant[] {
  const gpu = ctx.gpu!;
  const picked = pickMatmulVariant(p, gpu);
  if (!vec4Loadable(p) || !runsTiled128(gpu) || Math.min(p.m, p.n) < 128) return [picked];
  if (picked === 'tiled128') return [picked, 'tiled-vec4'];
  return picked === 'tiled-vec4' ? [picked, 'tiled128'] : [picked];
}

/**
 * Device-resident matmul: A, B (and bias) uploaded once, each call records the kernel into a fresh
 * encoder, submits it and waits for the queue, with no host copies. Uses core's recordMatmul, which
 * takes operands that fit one storage binding each; bigger problems are listed as not available. The
 * picker's variant runs as ftcal; a compared variant (comparedMatmulVariants) is listed beside it.
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
  const aBuf = gpu.upload(a, 'bench-a');
  const bBuf = gpu.upload(b, 'bench-b');
  const cBuf = gpu.storage(cBytes, 'bench-c');
  const biasBuf = options.bias ? gpu.upload(options.bias, 'bench-bias') : undefined;
  try {
    for (const [i, variant] of comparedMatmulVariants(ctx, problem).entries()) {
      const runMeta = i === 0 ? meta : { ...meta, impl: `${meta.impl} (${variant})` };
      let r: Run;
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
                { variant },
              );
              gpu.device.queue.submit([encoder.finish()]);
              await gpu.device.queue.onSubmittedWorkDone();
              rec.release();
            },
            { ...budget(ctx, heavy), timer: ctx.timer },
          ),
        );
        r = withTiming(c, runMeta, timing);
        r.note = `variant ${variant}`;
      } catch (e) {
        r = { ...runMeta, status: 'failed', note: (e as Error).message.split('\n')[0] };
      }
      recordRun(c, r);
      ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
    }
  } finally {
    aBuf.destroy();
    bBuf.destroy();
    cBuf.destroy();
    biasBuf?.destroy();
  }
}

/** The host slice of a row case, repeated `slices` times to make the full N×C input. */
export interface RowInput {
  z: Float32Array;
  labels: Int32Array;
  groups: Uint32Array;
  sliceRows: number;
  slices: number;
  cols: number;
}

/** Uploads `slices` copies of `data` back to back into one buffer (the resident N×C logits). */
function uploadRepeated(ctx: BenchContext, data: Float32Array | Int32Array, slices: number, label: string) {
  const gpu = ctx.gpu!;
  const buffer = gpu.storage(data.byteLength * slices, label);
  for (let s = 0; s < slices; s++) gpu.device.queue.writeBuffer(buffer, s * data.byteLength, data);
  return buffer;
}

/**
 * Device-resident softmax and row statistics: the full N×C logits (the case's slice repeated) uploaded
 * once into one buffer, each call records core's recordSoftmax / recordRowStats into a fresh encoder
 * over that buffer (chunked by binding offsets past one storage binding), submits it and waits for the
 * queue. Outputs are reused between calls; `check` compares the first slice's result with ftcal's
 * round-trip one. On a device with subgroups the no-subgroup fallback is timed beside them.
 */
export async function residentRows(
  ctx: BenchContext,
  c: Case,
  op: 'softmax' | 'rowStats',
  input: RowInput,
  options: { gamma: number; temperature: number },
  heavy: boolean,
  check: (out: Float32Array | RowStats) => string | undefined,
): Promise<void> {
  const gpu = ctx.gpu!;
  const meta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'resident' as const };
  const rows = input.sliceRows * input.slices;
  const cols = input.cols;
  const logitBytes = rows * cols * 4;
  const outBytes = op === 'softmax' ? logitBytes : rowStatsBytes(rows);
  const maxBuffer = gpu.limits.maxBufferSize;
  if (Math.max(logitBytes, outBytes) > maxBuffer) {
    unavailable(c, meta.impl, meta.device, meta.mode, `N·C·4 bytes over one buffer (${maxBuffer} bytes)`);
    return;
  }
  const buffers: GPUBuffer[] = [];
  try {
    const logits = uploadRepeated(ctx, input.z, input.slices, 'bench-logits');
    buffers.push(logits);
    const labels = op === 'rowStats' ? uploadRepeated(ctx, input.labels, input.slices, 'bench-labels') : null;
    if (labels) buffers.push(labels);
    const groups = gpu.upload(input.groups, 'bench-groups');
    const out = gpu.storage(outBytes, 'bench-out');
    buffers.push(groups, out);
    const resident = { logits, groups, rows, cols };
    // With subgroups, the no-subgroup fallback is timed beside the subgroup variant.
    for (const fallback of gpu.features.subgroups ? [false, true] : [false]) {
      const runMeta = fallback ? { ...meta, impl: `${meta.impl} (no-subgroup fallback)` } : meta;
      let r: Run;
      try {
        let last: RecordedRows | null = null;
        const timing = await gpu.checked(`bench resident ${op}`, () =>
          measure(
            async () => {
              const encoder = gpu.device.createCommandEncoder({ label: `bench ${op}` });
              last =
                op === 'softmax'
                  ? recordSoftmax(gpu, encoder, resident, { ...options, out, fallback })
                  : recordRowStats(gpu, encoder, resident, {
                      temperature: options.temperature,
                      out,
                      fallback,
                      ...(labels ? { labels } : {}),
                    });
              gpu.device.queue.submit([encoder.finish()]);
              await gpu.device.queue.onSubmittedWorkDone();
              last.release();
            },
            { ...budget(ctx, heavy), timer: ctx.timer },
          ),
        );
        r = withTiming(c, runMeta, timing);
        const chunks = (last as RecordedRows | null)?.chunks ?? [];
        const size =
          logitBytes >= 2 ** 30
            ? `${(logitBytes / 2 ** 30).toFixed(2)} GiB`
            : `${(logitBytes / 2 ** 20).toFixed(1)} MiB`;
        r.note = `${size} of logits in one buffer, ${chunks.length} dispatch${chunks.length === 1 ? '' : 'es'}`;
        const result =
          op === 'softmax'
            ? await gpu.readF32(out, input.sliceRows * cols)
            : await readRowStats(gpu, { out, chunks });
        const verdict = check(result);
        if (verdict) r.check = verdict;
      } catch (e) {
        r = { ...runMeta, status: 'failed', note: (e as Error).message.split('\n')[0] };
      }
      recordRun(c, r);
      ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
    }
  } finally {
    for (const b of buffers) b.destroy();
  }
}
