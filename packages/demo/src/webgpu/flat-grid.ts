import { type GpuContext, rowGrid } from '@ftcal/core';

/** Workgroups (split over x and y within the per-dimension limit) for one thread per element. */
export function flatGrid(ctx: GpuContext, count: number, wg: number): { x: number; y: number } {
  return rowGrid(Math.ceil(count / wg), ctx.limits.maxComputeWorkgroupsPerDimension);
}
