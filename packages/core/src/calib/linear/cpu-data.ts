import type { Backend } from '../../backend/backend.ts';
import type { ResidentLogits } from '../../backend/resident-logits.ts';
import { colSum64 } from '../../cpu/col-sum.ts';
import { linearXentGradCpu, linearXentHvpCpu, maskFillCpu } from '../../cpu/linear-xent.ts';
import { missingLabels } from '../accuracy.ts';
import { coefOf, countLabels, type LinearData, type MapShape, refuseMaskedLabels } from './data.ts';
import { type LinearMap, type MapVec, zeroVec } from './map.ts';

/** Rows per float32 partial sum of the weight gradient (backend.matmul sums in float32). */
const SUM_BLOCK_ROWS = 2048;

interface Chunk {
  /** The inputs, −∞ where a logit is masked. */
  x: Float32Array;
  /** A full map's matmul input: x with 0 for −∞ (x itself when nothing is masked). */
  x0: Float32Array;
  labels: Int32Array;
  rows: number;
  /** Scores at the current point (full maps, resident rows only). */
  s?: Float32Array;
}

/**
 * The data term on the CPU backend: the matmuls run on backend.matmul (the WebAssembly kernel on the worker
 * pool), the cross-entropy passes on their twins, and every sum over rows is float64 (the weight gradient's
 * across blocks of 2048 rows). When the logits are held in memory, so are the inputs (the log-softmax
 * already taken for dirichlet) and the scores of the current point; otherwise every pass reads, transforms
 * and scores the source again.
 */
export async function cpuLinearData(
  backend: Backend,
  logits: ResidentLogits,
  shape: MapShape,
): Promise<LinearData> {
  const cols = logits.cols;
  const full = shape.form === 'full';
  const toChunk = async (z: Float32Array, rows: number, labels: Int32Array | null, first: number) => {
    if (!labels) throw missingLabels('the linear family', logits.name);
    refuseMaskedLabels(z, labels, cols, first, logits.name);
    const x = shape.input === 'log-softmax' ? await backend.softmax(z, rows, cols, { log: true }) : z;
    let x0 = x;
    if (full && z.includes(Number.NEGATIVE_INFINITY)) {
      x0 = x.slice();
      maskFillCpu(z, x0, 0);
    }
    return { x, x0, labels, rows };
  };
  const labelCounts = new Float64Array(cols);
  const kept: Chunk[] = [];
  await logits.forEach(async ({ z, rows, labels, r0 }) => {
    const chunk = await toChunk(z, rows, labels, r0);
    countLabels(chunk.labels, labelCounts);
    if (logits.resident) kept.push(chunk);
  });
  const forEachChunk = async (fn: (chunk: Chunk) => Promise<void>) => {
    if (logits.resident) {
      for (const c of kept) await fn(c);
      return;
    }
    await logits.forEach(async ({ z, rows, labels, r0 }) => {
      await fn(await toChunk(z, rows, labels, r0));
    });
  };
  // X0·Wᵀ + b; at a point (not a direction) masked logits' scores go back to −∞.
  const scores = async (chunk: Chunk, w: MapVec, point: boolean) => {
    const s = await backend.matmul(chunk.x0, Float32Array.from(w.weights), chunk.rows, cols, cols, {
      transB: true,
      bias: Float32Array.from(w.bias),
    });
    if (point && chunk.x0 !== chunk.x) maskFillCpu(chunk.x, s, Number.NEGATIVE_INFINITY);
    return s;
  };
  // Σ_i G_i·x_iᵀ, the full map's weight gradient: the transposed matmul over blocks of rows, whose float32
  // sums are added up in float64 so the stop at 1e-6 holds however many rows there are.
  const addWeightSums = async (acc: Float64Array, chunk: Chunk, g: Float32Array) => {
    for (let r0 = 0; r0 < chunk.rows; r0 += SUM_BLOCK_ROWS) {
      const n = Math.min(SUM_BLOCK_ROWS, chunk.rows - r0);
      const part = await backend.matmul(
        g.subarray(r0 * cols, (r0 + n) * cols),
        chunk.x0.subarray(r0 * cols, (r0 + n) * cols),
        cols,
        cols,
        n,
        { transA: true },
      );
      for (let i = 0; i < acc.length; i++) acc[i]! += part[i]!;
    }
  };
  const mean = (v: MapVec) => {
    for (const a of [v.weights, v.bias]) for (let i = 0; i < a.length; i++) a[i]! /= logits.rows;
    return v;
  };
  let point: LinearMap | null = null;

  return {
    name: logits.name,
    rows: logits.rows,
    cols,
    labelCounts,
    resident: logits.resident,
    lossNoise: 1e-7,
    tolerance: 1e-6,
    async lossGrad(map) {
      point = map;
      let loss = 0;
      const grad = zeroVec(shape.form, cols);
      const coef = coefOf(map, null);
      await forEachChunk(async (chunk) => {
        const src = full ? await scores(chunk, map, true) : chunk.x;
        if (full && logits.resident) chunk.s = src;
        const r = linearXentGradCpu(src, chunk.rows, cols, chunk.labels, { coef, diag: !full });
        for (const v of r.loss) loss += v;
        if (full) await addWeightSums(grad.weights, chunk, r.g);
        else colSum64(r.g, chunk.rows, cols, grad.weights);
        colSum64(r.h ?? r.g, chunk.rows, cols, grad.bias);
      });
      return { loss: loss / logits.rows, grad: mean(grad) };
    },
    async hessVecs(dirs) {
      if (!point) throw new Error('hessVecs before lossGrad');
      const at = point;
      const out = dirs.map(() => zeroVec(shape.form, cols));
      await forEachChunk(async (chunk) => {
        const s = full ? (chunk.s ?? (await scores(chunk, at, true))) : chunk.x;
        for (let d = 0; d < dirs.length; d++) {
          const coef = coefOf(at, dirs[d]!);
          const ds = full ? await scores(chunk, dirs[d]!, false) : undefined;
          const r = linearXentHvpCpu(s, chunk.rows, cols, { coef, diag: !full, ...(ds ? { ds } : {}) });
          if (full) await addWeightSums(out[d]!.weights, chunk, r.g);
          else colSum64(r.g, chunk.rows, cols, out[d]!.weights);
          colSum64(r.h ?? r.g, chunk.rows, cols, out[d]!.bias);
        }
      });
      return out.map(mean);
    },
    dispose() {
      kept.length = 0;
    },
  };
}
