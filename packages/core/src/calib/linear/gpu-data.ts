import type { ResidentLogits } from '../../backend/resident-logits.ts';
import type { GpuContext } from '../../gpu/context.ts';
import { type GpuRange, recordColSum } from '../../webgpu/col-sum.ts';
import { type DeviceLogitChunk, deviceLogits } from '../../webgpu/device-logits.ts';
import { recordLinearXent, recordMaskFill } from '../../webgpu/linear-xent.ts';
import { recordMatmul } from '../../webgpu/matmul.ts';
import { recordSoftmax } from '../../webgpu/resident-rows.ts';
import { GpuBuffers } from '../../webgpu/row-runner.ts';
import { missingLabels } from '../accuracy.ts';
import { coefOf, countLabels, type LinearData, type MapShape, refuseMaskedLabels } from './data.ts';
import type { LinearMap, MapVec } from './map.ts';

/** Row losses are summed as this many column sums (each over rows / LOSS_PARTS rows), added on the host. */
const LOSS_PARTS = 256;

/** A device chunk's working set for one pass, each buffer within one storage binding. */
interface Work {
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
 * The data term on WebGPU (DESIGN.md §1.1), on the device copy of the fitting rows (deviceLogits, uploaded
 * once and shared with the other fits). A full map's forward pass is the matmul X0·Wᵀ + b, the fused
 * softmax-minus-one-hot (linear_xent grad), the transposed matmul Gᵀ·X0 for W and a column sum for b; a
 * Hessian-vector product is the matmul X0·Vᵀ + v_b, linear_xent hvp and the same two sums. A diagonal map
 * forms its scores inside linear_xent and needs only the column sums. Sums are float32 on the device
 * (chunk partials added there too); the host adds the last few hundred in float64.
 *
 * When every row stays on the device, so does each chunk's working set (dirichlet's log-softmax, the
 * scores of the current point), and a pass over all chunks is one command buffer and one read-back. When
 * some rows are streamed (the copy did not fit the device), every pass visits the chunks one submit at a
 * time through one reused working set, and a Hessian-vector product first scores its chunk again.
 */
export async function gpuLinearData(
  ctx: GpuContext,
  logits: ResidentLogits,
  shape: MapShape,
): Promise<LinearData> {
  const cols = shape.cols;
  const full = shape.form === 'full';
  // The host rows once: their labels, and which chunks hold a masked (−∞) logit.
  const labelCounts = new Float64Array(cols);
  const maskedFrom: number[] = [];
  await logits.forEach(({ z, labels, r0, rows }) => {
    if (!labels) throw missingLabels('the linear family', logits.name);
    refuseMaskedLabels(z, labels, cols, r0, logits.name);
    countLabels(labels, labelCounts);
    if (z.includes(Number.NEGATIVE_INFINITY)) maskedFrom.push(r0, r0 + rows);
  });
  const maskedAt = (r0: number) =>
    maskedFrom.some((v, i) => i % 2 === 0 && r0 >= v && r0 < maskedFrom[i + 1]!);
  const device = await deviceLogits(ctx, logits);
  const owned = new GpuBuffers(ctx);
  try {
    const chunkBytes = (n: number) => n * cols * 4;
    /** A chunk's working set, in `into`; x and x0 recorded from the chunk's logits into `encoder`. */
    const workOf = (
      chunk: DeviceLogitChunk,
      into: GpuBuffers,
      encoder: GPUCommandEncoder,
      temps: GpuBuffers,
    ): Work => {
      const n = chunk.rows;
      let x = chunk.logits;
      if (shape.input === 'log-softmax') {
        const groups = temps.storage(cols * 4, 'linear-no-groups');
        const rec = temps.adopt(
          recordSoftmax(
            ctx,
            encoder,
            { logits: x, groups, rows: n, cols },
            { log: true, out: into.storage(chunkBytes(n), 'linear-x') },
          ),
        );
        x = rec.out;
      }
      const masked = maskedAt(chunk.r0);
      let x0 = x;
      if (masked && full) {
        x0 = into.storage(chunkBytes(n), 'linear-x0');
        encoder.copyBufferToBuffer(x, 0, x0, 0, chunkBytes(n));
        recordMaskFill(ctx, encoder, temps, x, x0, n * cols, 0);
      }
      return {
        rows: n,
        x,
        x0,
        masked,
        labels: chunk.labels!,
        s: into.storage(chunkBytes(n), 'linear-s'),
        t: into.storage(chunkBytes(n), 'linear-t'),
        loss: into.storage(Math.ceil(n / LOSS_PARTS) * LOSS_PARTS * 4, 'linear-loss'),
      };
    };

    // Every row on the device: the working sets are made once and kept.
    let kept: Work[] | null = null;
    if (device.residentRows === device.rows) {
      kept = [];
      const made = kept;
      await ctx.checked('the linear fit: setup', async () => {
        const temps = new GpuBuffers(ctx);
        try {
          const encoder = ctx.device.createCommandEncoder({ label: 'linear-setup' });
          await device.forEach((chunk) => {
            made.push(workOf(chunk, owned, encoder, temps));
          });
          ctx.device.queue.submit([encoder.finish()]);
        } finally {
          temps.free();
        }
      });
    }

    const wSize = full ? cols * cols : cols;
    // A map-space vector per slot: its weights, then its bias, each at a 256-byte aligned offset so that
    // col_sum can bind it.
    const align = ctx.limits.minStorageBufferOffsetAlignment;
    const aligned = (bytes: number) => Math.ceil(bytes / align) * align;
    const biasAt = aligned(wSize * 4);
    const slotBytes = biasAt + aligned(cols * 4);
    const partial = full ? owned.storage(cols * cols * 4, 'linear-weight-partial') : null;
    let point: LinearMap | null = null;

    /** Records, for one chunk, the sums of a pass into slot `offset` of `out` (adding after the first chunk). */
    const recordSums = (
      encoder: GPUCommandEncoder,
      temps: GpuBuffers,
      w: Work,
      out: GPUBuffer,
      offset: number,
      accumulate: boolean,
    ) => {
      const weights: GpuRange = { buffer: out, offset, size: wSize * 4 };
      const bias: GpuRange = { buffer: out, offset: offset + biasAt, size: cols * 4 };
      if (full) {
        temps.adopt(
          recordMatmul(
            ctx,
            encoder,
            { a: w.t, b: w.x0, c: partial! },
            { m: cols, n: cols, k: w.rows, transA: true },
          ),
        );
        recordColSum(ctx, encoder, temps, partial!, weights, { rows: 1, cols: wSize, accumulate });
        recordColSum(ctx, encoder, temps, w.t, bias, { rows: w.rows, cols, accumulate });
      } else {
        recordColSum(ctx, encoder, temps, w.t, weights, { rows: w.rows, cols, accumulate });
        recordColSum(ctx, encoder, temps, w.s, bias, { rows: w.rows, cols, accumulate });
      }
    };

    /** A map's (or direction's) W and b on the device, uploaded once per pass. */
    interface DeviceMap {
      w: GPUBuffer;
      b: GPUBuffer;
    }
    const upload = (temps: GpuBuffers, map: MapVec): DeviceMap => ({
      w: temps.upload(Float32Array.from(map.weights)),
      b: temps.upload(Float32Array.from(map.bias)),
    });
    /** s = X0·Wᵀ + b for a point (masked logits back to −∞) into w.s, or a direction's into w.t. */
    const recordScores = (
      encoder: GPUCommandEncoder,
      temps: GpuBuffers,
      w: Work,
      map: DeviceMap,
      into: 's' | 't',
    ) => {
      temps.adopt(
        recordMatmul(
          ctx,
          encoder,
          { a: w.x0, b: map.w, c: w[into], bias: map.b },
          { m: w.rows, n: cols, k: cols, transB: true },
        ),
      );
      if (into === 's' && w.masked)
        recordMaskFill(ctx, encoder, temps, w.x, w.s, w.rows * cols, Number.NEGATIVE_INFINITY);
    };

    /** linear_xent over a working set: a full map's scores in s (G, dG into t), a diagonal one's from x. */
    const recordXent = (
      encoder: GPUCommandEncoder,
      temps: GpuBuffers,
      entry: 'grad' | 'hvp',
      w: Work,
      coef: GPUBuffer,
    ) => {
      const rowsOut = entry === 'grad' ? { labels: w.labels, loss: w.loss } : {};
      const buffers = full
        ? { src: w.s, coef, outG: w.t, ...rowsOut }
        : { src: w.x, coef, outG: w.t, outH: w.s, ...rowsOut };
      recordLinearXent(ctx, encoder, temps, entry, buffers, { rows: w.rows, cols, diag: !full });
    };

    /**
     * Runs a pass: `setup` once (the pass's uploads), then `record` for every chunk's working set (k counts
     * chunks), into `out`, read back once. Kept working sets go in one command buffer; streamed chunks
     * one submit each through a working set made for them (`fresh`).
     */
    const pass = <S>(
      label: string,
      bytes: number,
      setup: (temps: GpuBuffers) => S,
      record: (
        encoder: GPUCommandEncoder,
        temps: GpuBuffers,
        w: Work,
        k: number,
        out: GPUBuffer,
        shared: S,
        fresh: boolean,
      ) => void,
    ) =>
      ctx.checked(label, async () => {
        const temps = new GpuBuffers(ctx);
        try {
          const out = temps.storage(bytes, `${label}-out`);
          const shared = setup(temps);
          if (kept) {
            const encoder = ctx.device.createCommandEncoder({ label });
            kept.forEach((w, k) => {
              record(encoder, temps, w, k, out, shared, false);
            });
            ctx.device.queue.submit([encoder.finish()]);
          } else {
            let k = 0;
            await device.forEach((chunk) => {
              const scratch = new GpuBuffers(ctx);
              try {
                const encoder = ctx.device.createCommandEncoder({ label });
                record(encoder, temps, workOf(chunk, scratch, encoder, temps), k++, out, shared, true);
                // A streamed chunk's buffers are reused by the next one: submit before returning.
                ctx.device.queue.submit([encoder.finish()]);
              } finally {
                scratch.free();
              }
            });
          }
          return new Float32Array(await ctx.read(out, bytes));
        } finally {
          temps.free();
        }
      });

    const slotOf = (data: Float32Array, slot: number): MapVec => {
      const base = (slot * slotBytes) / 4;
      const mean = (a: Float32Array) => Float64Array.from(a, (v) => v / logits.rows);
      return {
        weights: mean(data.subarray(base, base + wSize)),
        bias: mean(data.subarray(base + biasAt / 4, base + biasAt / 4 + cols)),
      };
    };

    return {
      name: logits.name,
      rows: logits.rows,
      cols,
      labelCounts,
      resident: kept !== null,
      lossNoise: 1e-6,
      tolerance: 1e-4,
      async lossGrad(map) {
        point = map;
        const lossOffset = slotBytes;
        const setup = (temps: GpuBuffers) => ({
          coef: temps.upload(coefOf(map, null)),
          map: full ? upload(temps, map) : null,
        });
        const data = await pass(
          'linear-loss-grad',
          slotBytes + LOSS_PARTS * 4,
          setup,
          (encoder, temps, w, k, out, { coef, map: dm }) => {
            if (full) recordScores(encoder, temps, w, dm!, 's');
            recordXent(encoder, temps, 'grad', w, coef);
            recordSums(encoder, temps, w, out, 0, k > 0);
            recordColSum(
              ctx,
              encoder,
              temps,
              w.loss,
              { buffer: out, offset: lossOffset, size: LOSS_PARTS * 4 },
              {
                rows: w.loss.size / 4 / LOSS_PARTS,
                cols: LOSS_PARTS,
                accumulate: k > 0,
              },
            );
          },
        );
        let loss = 0;
        for (const v of data.subarray(lossOffset / 4)) loss += v;
        return { loss: loss / logits.rows, grad: slotOf(data, 0) };
      },
      async hessVecs(dirs) {
        if (!point) throw new Error('hessVecs before lossGrad');
        const at = point;
        const bytes = Math.max(1, dirs.length) * slotBytes;
        const setup = (temps: GpuBuffers) => ({
          point: full ? upload(temps, at) : null,
          dirs: dirs.map((dir) => ({
            coef: temps.upload(coefOf(at, dir)),
            map: full ? upload(temps, dir) : null,
          })),
        });
        const data = await pass(
          'linear-hessian-products',
          bytes,
          setup,
          (encoder, temps, w, k, out, shared, fresh) => {
            // A streamed chunk's scores at the point are not kept: score it again.
            if (full && fresh) recordScores(encoder, temps, w, shared.point!, 's');
            shared.dirs.forEach(({ coef, map: dm }, d) => {
              if (full) recordScores(encoder, temps, w, dm!, 't');
              recordXent(encoder, temps, 'hvp', w, coef);
              recordSums(encoder, temps, w, out, d * slotBytes, k > 0);
            });
          },
        );
        return dirs.map((_, d) => slotOf(data, d));
      },
      dispose() {
        // The device copy of the rows belongs to the logits (released with them); the working sets are ours.
        owned.free();
      },
    };
  } catch (e) {
    owned.free();
    throw e;
  }
}
