import type { GpuContext } from '../../gpu/context.ts';
import { type GpuRange, recordColSum } from '../../webgpu/col-sum.ts';
import { recordLinearXent, recordMaskFill } from '../../webgpu/linear-xent.ts';
import { recordMatmul } from '../../webgpu/matmul.ts';
import { recordSoftmax } from '../../webgpu/resident-rows.ts';
import { GpuBuffers, planRowChunks } from '../../webgpu/row-runner.ts';
import { missingLabels } from '../accuracy.ts';
import type { LogitPasses } from '../passes.ts';
import { coefOf, countLabels, type LinearData, type MapShape, refuseMaskedLabels } from './data.ts';
import type { LinearMap, MapVec } from './map.ts';

/** Row losses are summed as this many column sums (each over rows / LOSS_PARTS rows), added on the host. */
const LOSS_PARTS = 256;

/** One chunk of fitting rows on the device, each buffer within one storage binding. */
interface DeviceChunk {
  rows: number;
  /** Inputs (dirichlet: their log-softmax), −∞ where a logit is masked. */
  x: GPUBuffer;
  /** A full map's matmul input: x with 0 for −∞; x itself when nothing is masked. */
  x0: GPUBuffer;
  masked: boolean;
  labels: GPUBuffer;
  /** Full: the scores at the current point. Diagonal: G (or dG) of the last pass. */
  s: GPUBuffer;
  /** Full: G, then each direction's scores and dG in place. Diagonal: G∘x (dG∘x). */
  t: GPUBuffer;
  /** Row losses, padded with zeros to a multiple of LOSS_PARTS. */
  loss: GPUBuffer;
}

/**
 * The fitting rows, uploaded once (the log-softmax of dirichlet taken on the device, masked logits' zeros
 * filled in for a full map's matmul) and split so that every buffer fits one storage binding.
 *
 * This upload is the narrow stand-in for the resident-logits object of issue 12, which fits are to take
 * once it exists: everything below it only needs per-chunk x, x0 and labels buffers.
 */
async function uploadRows(
  ctx: GpuContext,
  passes: LogitPasses,
  shape: MapShape,
  owned: GpuBuffers,
): Promise<{ chunks: DeviceChunk[]; labelCounts: Float64Array }> {
  const cols = passes.cols;
  const chunks: DeviceChunk[] = [];
  const labelCounts = new Float64Array(cols);
  let first = 0;
  await passes.forEach(async ({ z, rows, labels }) => {
    if (!labels) throw missingLabels('the linear family', passes.name);
    refuseMaskedLabels(z, labels, cols, first, passes.name);
    first += rows;
    for (const { r0, rows: n } of planRowChunks(rows, [cols * 4], ctx.maxBindingBytes, 1, 'the linear fit')) {
      const zc = z.subarray(r0 * cols, (r0 + n) * cols);
      const y = labels.subarray(r0, r0 + n);
      countLabels(y, labelCounts);
      const masked = zc.includes(Number.NEGATIVE_INFINITY);
      await ctx.checked('the linear fit: upload', async () => {
        const encoder = ctx.device.createCommandEncoder({ label: 'linear-upload' });
        const temps = new GpuBuffers(ctx);
        let x = owned.upload(zc, 'linear-x');
        if (shape.input === 'log-softmax') {
          const logits = x;
          const rec = recordSoftmax(
            ctx,
            encoder,
            { logits, groups: temps.storage(cols * 4), rows: n, cols },
            { log: true },
          );
          temps.adopt(rec);
          temps.own(logits);
          x = owned.own(rec.out);
        }
        let x0 = x;
        if (masked && shape.form === 'full') {
          x0 = owned.storage(n * cols * 4, 'linear-x0');
          encoder.copyBufferToBuffer(x, 0, x0, 0, n * cols * 4);
          recordMaskFill(ctx, encoder, temps, x, x0, n * cols, 0);
        }
        ctx.device.queue.submit([encoder.finish()]);
        temps.free();
        chunks.push({
          rows: n,
          x,
          x0,
          masked,
          labels: owned.upload(y, 'linear-labels'),
          s: owned.storage(n * cols * 4, 'linear-s'),
          t: owned.storage(n * cols * 4, 'linear-t'),
          loss: owned.storage(Math.ceil(n / LOSS_PARTS) * LOSS_PARTS * 4, 'linear-loss'),
        });
      });
    }
  });
  return { chunks, labelCounts };
}

/**
 * The data term on WebGPU (DESIGN.md §1.1), with the rows on the device for the whole fit: per evaluation
 * one command buffer over every chunk, one read-back. A full map's forward pass is the matmul X0·Wᵀ + b,
 * the fused softmax-minus-one-hot (linear_xent grad), the transposed matmul Gᵀ·X0 for W and a column sum
 * for b; a Hessian-vector product is the matmul X0·Vᵀ + v_b, linear_xent hvp, and the same two sums. A
 * diagonal map forms its scores inside linear_xent and needs only the column sums. Sums are float32 on the
 * device (chunk partials added there too); the host adds the last few hundred in float64.
 */
export async function gpuLinearData(
  ctx: GpuContext,
  passes: LogitPasses,
  shape: MapShape,
): Promise<LinearData> {
  const cols = shape.cols;
  const full = shape.form === 'full';
  const owned = new GpuBuffers(ctx);
  try {
    const { chunks, labelCounts } = await uploadRows(ctx, passes, shape, owned);
    const wSize = full ? cols * cols : cols;
    // A map-space vector per slot: its weights, then its bias, each at a 256-byte aligned offset so that
    // col_sum can bind it.
    const align = ctx.limits.minStorageBufferOffsetAlignment;
    const aligned = (bytes: number) => Math.ceil(bytes / align) * align;
    const biasAt = aligned(wSize * 4);
    const slotBytes = biasAt + aligned(cols * 4);
    const partial = full ? owned.storage(cols * cols * 4, 'linear-weight-partial') : null;
    let point: LinearMap | null = null;

    /** Records, for one chunk, the sums of a pass into slot `out` (adding to it after the first chunk). */
    const recordSums = (
      encoder: GPUCommandEncoder,
      temps: GpuBuffers,
      chunk: DeviceChunk,
      out: GPUBuffer,
      offset: number,
      accumulate: boolean,
    ) => {
      const n = chunk.rows;
      const weights: GpuRange = { buffer: out, offset, size: wSize * 4 };
      const bias: GpuRange = { buffer: out, offset: offset + biasAt, size: cols * 4 };
      if (full) {
        temps.adopt(
          recordMatmul(
            ctx,
            encoder,
            { a: chunk.t, b: chunk.x0, c: partial! },
            { m: cols, n: cols, k: n, transA: true },
          ),
        );
        recordColSum(ctx, encoder, temps, partial!, weights, { rows: 1, cols: wSize, accumulate });
        recordColSum(ctx, encoder, temps, chunk.t, bias, { rows: n, cols, accumulate });
      } else {
        recordColSum(ctx, encoder, temps, chunk.t, weights, { rows: n, cols, accumulate });
        recordColSum(ctx, encoder, temps, chunk.s, bias, { rows: n, cols, accumulate });
      }
    };

    /** Runs `record` in one command buffer and reads back `bytes` of `out`. */
    const run = async (
      label: string,
      bytes: number,
      record: (enc: GPUCommandEncoder, temps: GpuBuffers, out: GPUBuffer) => void,
    ) =>
      ctx.checked(label, async () => {
        const temps = new GpuBuffers(ctx);
        try {
          const out = temps.storage(bytes, `${label}-out`);
          const encoder = ctx.device.createCommandEncoder({ label });
          record(encoder, temps, out);
          ctx.device.queue.submit([encoder.finish()]);
          return new Float32Array(await ctx.read(out, bytes));
        } finally {
          temps.free();
        }
      });

    const slotOf = (data: Float32Array, slot: number): MapVec => {
      const base = (slot * slotBytes) / 4;
      const mean = (a: Float32Array) => Float64Array.from(a, (v) => v / passes.rows);
      return {
        weights: mean(data.subarray(base, base + wSize)),
        bias: mean(data.subarray(base + biasAt / 4, base + biasAt / 4 + cols)),
      };
    };

    return {
      name: passes.name,
      rows: passes.rows,
      cols,
      labelCounts,
      resident: true,
      lossNoise: 1e-6,
      async lossGrad(map) {
        point = map;
        const lossOffset = slotBytes;
        const data = await run('linear-loss-grad', slotBytes + LOSS_PARTS * 4, (encoder, temps, out) => {
          const coef = temps.upload(coefOf(map, null));
          const w = full ? temps.upload(Float32Array.from(map.weights)) : null;
          const b = full ? temps.upload(Float32Array.from(map.bias)) : null;
          chunks.forEach((chunk, k) => {
            const n = chunk.rows;
            if (full) {
              temps.adopt(
                recordMatmul(
                  ctx,
                  encoder,
                  { a: chunk.x0, b: w!, c: chunk.s, bias: b! },
                  { m: n, n: cols, k: cols, transB: true },
                ),
              );
              if (chunk.masked)
                recordMaskFill(ctx, encoder, temps, chunk.x, chunk.s, n * cols, Number.NEGATIVE_INFINITY);
              recordLinearXent(
                ctx,
                encoder,
                temps,
                'grad',
                { src: chunk.s, coef, labels: chunk.labels, outG: chunk.t, loss: chunk.loss },
                { rows: n, cols, diag: false },
              );
            } else {
              recordLinearXent(
                ctx,
                encoder,
                temps,
                'grad',
                { src: chunk.x, coef, labels: chunk.labels, outG: chunk.t, outH: chunk.s, loss: chunk.loss },
                { rows: n, cols, diag: true },
              );
            }
            recordSums(encoder, temps, chunk, out, 0, k > 0);
            const parts = chunk.loss.size / 4 / LOSS_PARTS;
            recordColSum(
              ctx,
              encoder,
              temps,
              chunk.loss,
              { buffer: out, offset: lossOffset, size: LOSS_PARTS * 4 },
              {
                rows: parts,
                cols: LOSS_PARTS,
                accumulate: k > 0,
              },
            );
          });
        });
        let loss = 0;
        for (const v of data.subarray(lossOffset / 4)) loss += v;
        return { loss: loss / passes.rows, grad: slotOf(data, 0) };
      },
      async hessVecs(dirs) {
        if (!point) throw new Error('hessVecs before lossGrad');
        const at = point;
        const data = await run(
          'linear-hessian-products',
          Math.max(1, dirs.length) * slotBytes,
          (encoder, temps, out) => {
            dirs.forEach((dir, d) => {
              const coef = temps.upload(coefOf(at, dir));
              const v = full ? temps.upload(Float32Array.from(dir.weights)) : null;
              const vb = full ? temps.upload(Float32Array.from(dir.bias)) : null;
              chunks.forEach((chunk, k) => {
                const n = chunk.rows;
                if (full) {
                  temps.adopt(
                    recordMatmul(
                      ctx,
                      encoder,
                      { a: chunk.x0, b: v!, c: chunk.t, bias: vb! },
                      { m: n, n: cols, k: cols, transB: true },
                    ),
                  );
                  recordLinearXent(
                    ctx,
                    encoder,
                    temps,
                    'hvp',
                    { src: chunk.s, coef, outG: chunk.t },
                    { rows: n, cols, diag: false },
                  );
                } else {
                  recordLinearXent(
                    ctx,
                    encoder,
                    temps,
                    'hvp',
                    { src: chunk.x, coef, outG: chunk.t, outH: chunk.s },
                    { rows: n, cols, diag: true },
                  );
                }
                recordSums(encoder, temps, chunk, out, d * slotBytes, k > 0);
              });
            });
          },
        );
        return dirs.map((_, d) => slotOf(data, d));
      },
      dispose() {
        owned.free();
      },
    };
  } catch (e) {
    owned.free();
    throw e;
  }
}
