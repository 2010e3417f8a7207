import { linearXentGradKernel, linearXentHvpKernel, maskFillKernel } from '@ftcal/kernels';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import type { GpuRange } from './col-sum.ts';
import type { GpuBuffers } from './row-runner.ts';

const WG = 128;

/** Threads per row: about 16 columns each, a power of two from 1 up to the whole workgroup. */
export function linearXentLanes(cols: number): number {
  let lanes = 1;
  while (lanes < WG && lanes * 16 < cols) lanes *= 2;
  return lanes;
}

/**
 * The buffers of one linear-xent dispatch (kernels/linear_xent.wgsl; twins linearXentGradCpu and
 * linearXentHvpCpu): `src` rows×cols (x for a diagonal map, s for a full one), `coef` 5·cols floats,
 * `labels` one i32 per row (grad), `outG` and, for a diagonal map, `outH` rows×cols, `loss` one f32 per
 * row (grad). Slots a pass does not use may be left out.
 */
export interface LinearXentBuffers {
  src: GpuRange;
  coef: GpuRange;
  outG: GpuRange;
  outH?: GpuRange;
  labels?: GpuRange;
  loss?: GpuRange;
}

/**
 * Records the grad (G = softmax(s) − onehot(y) and the row losses) or hvp (dG = p∘(ds − ⟨p, ds⟩)) pass
 * over `rows` rows into `encoder`; every buffer must fit one storage binding (the fitter's resident chunks
 * do). Uniforms and the spare binding go to `temps`.
 */
export function recordLinearXent(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  temps: GpuBuffers,
  entry: 'grad' | 'hvp',
  buffers: LinearXentBuffers,
  shape: { rows: number; cols: number; diag: boolean },
): void {
  if (shape.rows === 0) return;
  const kernel = entry === 'grad' ? linearXentGradKernel : linearXentHvpKernel;
  const lanes = linearXentLanes(shape.cols);
  const grid = rowGrid(Math.ceil(shape.rows / (WG / lanes)), ctx.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = temps.uniforms(kernel, { rows: shape.rows, cols: shape.cols, gridX: grid.x });
  // WebGPU refuses one buffer bound to two writable slots, so each unused slot gets its own spare.
  const orSpare = (b: GpuRange | undefined) => b ?? temps.storage(4, 'linear-xent-spare');
  ctx.dispatch(
    kernel,
    [
      buffers.src,
      buffers.coef,
      orSpare(buffers.labels),
      buffers.outG,
      orSpare(buffers.outH),
      orSpare(buffers.loss),
      uniforms,
    ],
    [grid.x, grid.y],
    { WG, LANES: lanes, DIAG: shape.diag ? 1 : 0 },
    encoder,
  );
}

/** Records out[i] = fill wherever z[i] is −∞ over `count` elements (kernels/mask_fill.wgsl; twin maskFillCpu). */
export function recordMaskFill(
  ctx: GpuContext,
  encoder: GPUCommandEncoder,
  temps: GpuBuffers,
  z: GpuRange,
  out: GpuRange,
  count: number,
  fill: number,
): void {
  if (count === 0) return;
  const wg = maskFillKernel.overrides.WG!;
  const grid = rowGrid(Math.ceil(count / wg), ctx.limits.maxComputeWorkgroupsPerDimension);
  const uniforms = temps.uniforms(maskFillKernel, { count, gridX: grid.x, fill });
  ctx.dispatch(maskFillKernel, [z, out, uniforms], [grid.x, grid.y], {}, encoder);
}
