import { NLL_GRAD_KMAX, NLL_GRAD_TERMS, nllGradKernel, nllGradReduceKernel } from '@ftcal/kernels';
import type { NllGradOptions, NllGradResult } from '../backend/backend.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { runRowChunks } from './row-runner.ts';

const WG = 64;
/** Enough workgroups to fill a large GPU; beyond that each workgroup walks more row steps. */
const TARGET_WORKGROUPS = 4096;

/**
 * Threads per row, from three variants only (each is a pipeline to compile, seconds on llvmpipe): one
 * thread per row for short rows, 8 for medium, the whole workgroup of 64 for long rows.
 */
export function nllGradLanes(cols: number): number {
  if (cols <= 24) return 1;
  return cols <= 384 ? 8 : WG;
}

/**
 * The calibration gradient pass on the GPU, in f32: stage 1 sums the row terms of up to 8 candidates
 * per workgroup in one pass over the logits, stage 2 sums those partials into 6 numbers per candidate,
 * adding across row chunks on the device, so one read of 6K floats ends the call. Row chunks keep
 * each logits upload within one storage binding; candidate chunks of 8 reuse the uploaded rows.
 */
export async function nllGradGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: NllGradOptions,
): Promise<NllGradResult> {
  const { groups, labels, candidates } = options;
  const k = candidates.length / 2;
  const result: NllGradResult = {
    k,
    rows,
    nll: new Float64Array(k),
    grad: new Float64Array(2 * k),
    hess: new Float64Array(3 * k),
  };
  if (rows === 0) return result;
  const lanes = nllGradLanes(cols);
  const rowsPerStep = WG / lanes;
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const totals = new Float32Array(NLL_GRAD_TERMS * k);
  await runRowChunks(ctx, {
    op: 'nllGrad',
    rows,
    rowBytes: [cols * 4, 4],
    setup: (job) => {
      const candidateChunks: { buf: GPUBuffer; count: number }[] = [];
      for (let k0 = 0; k0 < k; k0 += NLL_GRAD_KMAX) {
        const count = Math.min(NLL_GRAD_KMAX, k - k0);
        const cand = new Float32Array(2 * count);
        for (let j = 0; j < count; j++) {
          cand[2 * j] = candidates[2 * (k0 + j)]!;
          cand[2 * j + 1] = Math.exp(-candidates[2 * (k0 + j) + 1]!);
        }
        candidateChunks.push({ buf: job.upload(cand, 'nll-grad-candidates'), count });
      }
      return {
        groups: job.upload(groups, 'groups'),
        out: job.storage(NLL_GRAD_TERMS * k * 4, 'nll-grad-out'),
        candidateChunks,
      };
    },
    record: ({ r0, rows: n }, buffers, encoder, shared) => {
      const input = buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const labelBuf = buffers.upload(labels.subarray(r0, r0 + n), 'labels');
      const rowSteps = Math.ceil(n / rowsPerStep);
      const iters = Math.ceil(rowSteps / TARGET_WORKGROUPS);
      const grid = rowGrid(Math.ceil(rowSteps / iters), maxDim);
      const parts = grid.x * grid.y;
      const partials = buffers.storage(parts * NLL_GRAD_KMAX * NLL_GRAD_TERMS * 4, 'nll-grad-partials');
      shared.candidateChunks.forEach(({ buf, count }, c) => {
        const stage1 = buffers.uniforms(nllGradKernel, { rows: n, cols, gridX: grid.x, iters, k: count });
        ctx.dispatch(
          nllGradKernel,
          [input, shared.groups, labelBuf, buf, partials, stage1],
          [grid.x, grid.y],
          { WG, LANES: lanes, SLOTS: WG * NLL_GRAD_KMAX },
          encoder,
        );
        // Row chunks after the first add their sums to what `out` holds, so one read ends the call.
        const stage2 = buffers.uniforms(nllGradReduceKernel, {
          count: NLL_GRAD_TERMS * count,
          parts,
          offset: NLL_GRAD_TERMS * NLL_GRAD_KMAX * c,
          accumulate: r0 === 0 ? 0 : 1,
        });
        ctx.dispatch(
          nllGradReduceKernel,
          [partials, shared.out, stage2],
          [NLL_GRAD_TERMS * count],
          {},
          encoder,
        );
      });
      return undefined;
    },
    finish: async ({ out }) => totals.set(await ctx.readF32(out, NLL_GRAD_TERMS * k)),
  });
  for (let j = 0; j < k; j++) {
    const o = NLL_GRAD_TERMS * j;
    result.nll[j] = totals[o]!;
    result.grad[2 * j] = totals[o + 1]!;
    result.grad[2 * j + 1] = totals[o + 2]!;
    result.hess[3 * j] = totals[o + 3]!;
    result.hess[3 * j + 1] = totals[o + 4]!;
    result.hess[3 * j + 2] = totals[o + 5]!;
  }
  return result;
}
