import { labelRankKernel } from '@ftcal/kernels';
import type { LabelRankOptions, LabelRanks } from '../backend/backend.ts';
import { labelRankRow } from '../cpu/label-rank.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { lanesLayout } from './kernel-variants.ts';
import { runRowChunks } from './row-runner.ts';

/**
 * Label ranks of host logits on the GPU. The kernel decides every comparison it can in f32 and marks
 * the rows it cannot (an S∪O − U logit difference within a few ulps of γ) with rankY = -1; those rows
 * are recomputed here in float64 by the CPU twin's row function, so the result equals the twin's.
 */
export async function labelRanksGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: LabelRankOptions,
): Promise<LabelRanks> {
  const { groups, labels } = options;
  const gamma = options.gamma ?? 0;
  const gammaF32 = Math.fround(gamma);
  const out: LabelRanks = { rankY: new Int32Array(rows), rankOwn: new Int32Array(rows) };
  // Lanes per row as the row statistics' fallback takes them: short rows share a workgroup.
  const { constants, rowsPerWorkgroup } = lanesLayout(cols);
  await runRowChunks(ctx, {
    op: 'labelRanks',
    rows,
    // Logits and a label in, two ranks out.
    rowBytes: [cols * 4, 4, 8],
    setup: (job) => job.upload(groups, 'groups'),
    record: ({ r0, rows: n }, buffers, encoder, groupsBuf) => {
      const logits = buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits');
      const labelBuf = buffers.upload(labels.subarray(r0, r0 + n), 'labels');
      const ranks = buffers.storage(n * 8, 'label-rank-out');
      const grid = rowGrid(Math.ceil(n / rowsPerWorkgroup), ctx.limits.maxComputeWorkgroupsPerDimension);
      const uniforms = buffers.uniforms(labelRankKernel, {
        rows: n,
        cols,
        gamma: gammaF32,
        gammaSign: Math.sign(gamma - gammaF32),
        gridX: grid.x,
      });
      ctx.dispatch(
        labelRankKernel,
        [logits, groupsBuf, labelBuf, ranks, uniforms],
        [grid.x, grid.y],
        constants,
        encoder,
      );
      return async () => {
        const got = new Int32Array(await ctx.read(ranks, n * 8));
        out.rankY.set(got.subarray(0, n), r0);
        out.rankOwn.set(got.subarray(n, 2 * n), r0);
        for (let i = 0; i < n; i++) {
          if (got[i]! >= 0) continue;
          const r = r0 + i;
          out.rankY[r] = labelRankRow(z, r * cols, cols, groups, labels[r]!, gamma).rankY;
        }
      };
    },
  });
  return out;
}
