import { type GpuContext, rowGrid } from '../gpu/context.ts';

/** Workgroups (split over x and y within the per-dimension limit) for one thread per element. */
export function flatGrid(ctx: GpuContext, count: number, wg: number): { x: number; y: number } {
  return rowGrid(Math.ceil(count / wg), ctx.limits.maxComputeWorkgroupsPerDimension);
}

/** Elements per dispatch so that one chunk fits a single storage binding. */
export function elementsPerChunk(ctx: GpuContext): number {
  return Math.max(1, Math.floor(ctx.maxBindingBytes / 4));
}
