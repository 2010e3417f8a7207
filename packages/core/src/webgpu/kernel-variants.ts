import type { KernelDescriptor } from '@ftcal/kernels';
import type { GpuContext } from '../gpu/context.ts';

/** What the variant pickers read from a device: its features, limits and reported subgroup sizes. */
export interface DeviceTraits {
  device: Pick<GPUDevice, 'features'>;
  limits: GpuContext['limits'];
  report: Pick<GpuContext['report'], 'subgroupSizes'>;
}

/** Whether the device has every feature a kernel's descriptor `requires` (its `enable` directives). */
export function canRun(ctx: DeviceTraits, kernel: KernelDescriptor): boolean {
  return (kernel.requires ?? []).every((f) => ctx.device.features.has(f));
}

/** Threads in a subgroup-variant workgroup: at least one whole subgroup of any size WebGPU allows (≤ 128). */
const SUBGROUP_WG = 128;

/**
 * How many rows (or blocks) a subgroup-variant workgroup takes: as many as it has subgroups when they
 * are all of the smallest size the adapter reports (4, WebGPU's minimum, when it reports none). With
 * larger subgroups each takes several in turn; the kernels are correct for any count.
 */
export function subgroupWorkgroup(ctx: DeviceTraits): { WG: number; items: number } {
  const smallest = Math.max(4, ctx.report.subgroupSizes?.[0] ?? 4);
  return { WG: SUBGROUP_WG, items: Math.max(1, Math.floor(SUBGROUP_WG / smallest)) };
}

/** A row kernel in its three variants: one subgroup per row with vec4 or scalar loads, and the fallback. */
export interface RowKernelFamily {
  vec4: KernelDescriptor;
  scalar: KernelDescriptor;
  fallback: KernelDescriptor;
}

/**
 * Rows shorter than this stay on the fallback, which runs several short rows per workgroup with one
 * thread each up to 16 columns; past that it needs barriers per row, which the subgroup variant has not.
 */
const SUBGROUP_MIN_COLS = 17;

export interface RowKernelChoice {
  kernel: KernelDescriptor;
  /** Rows one workgroup takes (subgroup variants); 0 for the fallback, whose drivers size their own grids. */
  rowsPerWorkgroup: number;
  /** Override constants for the subgroup variants ({} for the fallback). */
  constants: Record<string, number>;
}

/**
 * The variant a row of `cols` columns runs on: a subgroup variant when the device has subgroups (vec4
 * loads when cols is a multiple of 4), else (or when `fallback` asks for it) the fallback. Chosen per
 * dispatch by the device's features, so nothing depends on a subgroup size.
 */
export function pickRowKernel(
  ctx: DeviceTraits,
  family: RowKernelFamily,
  cols: number,
  fallback = false,
): RowKernelChoice {
  const sub = cols % 4 === 0 ? family.vec4 : family.scalar;
  if (fallback || cols < SUBGROUP_MIN_COLS || !canRun(ctx, sub)) {
    return { kernel: family.fallback, rowsPerWorkgroup: 0, constants: {} };
  }
  const { WG, items } = subgroupWorkgroup(ctx);
  return { kernel: sub, rowsPerWorkgroup: items, constants: { WG, ROWS: items } };
}
