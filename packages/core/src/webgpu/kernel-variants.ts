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

/** Override constants of one dispatch and how many rows each of its workgroups takes. */
export interface RowLayout {
  constants: Record<string, number>;
  rowsPerWorkgroup: number;
}

/** A row kernel in its three variants: one subgroup per row with vec4 or scalar loads, and the fallback. */
export interface RowKernelFamily {
  vec4: KernelDescriptor;
  scalar: KernelDescriptor;
  fallback: KernelDescriptor;
  /** The fallback's layout for rows of `cols` columns. */
  fallbackLayout(cols: number): RowLayout;
}

const LANES_WG = 128;

/**
 * The layout of a fallback with LANES threads per row (row statistics, softmax): about 16 columns per
 * thread, a power of two from 1 (many short rows per workgroup) up to the whole workgroup of 128 (one
 * long row per workgroup).
 */
export function lanesLayout(cols: number): RowLayout {
  let lanes = 1;
  while (lanes < LANES_WG && lanes * 16 < cols) lanes *= 2;
  return { constants: { WG: LANES_WG, LANES: lanes }, rowsPerWorkgroup: LANES_WG / lanes };
}

/**
 * Rows shorter than this stay on the fallback, which gives a row of up to 16 columns one thread; past
 * that it needs barriers per row, which the subgroup variant has not.
 */
const SUBGROUP_MIN_COLS = 17;

export interface RowKernelChoice extends RowLayout {
  kernel: KernelDescriptor;
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
    return { kernel: family.fallback, ...family.fallbackLayout(cols) };
  }
  const { WG, items } = subgroupWorkgroup(ctx);
  return { kernel: sub, rowsPerWorkgroup: items, constants: { WG, ROWS: items } };
}
