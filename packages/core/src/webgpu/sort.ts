import {
  RADIX_SORT_DIGIT_BITS,
  RADIX_SORT_MODE,
  radixSortHistogramKernel,
  radixSortScanKernel,
  radixSortScatterKernel,
} from '@ftcal/kernels';
import type { SortedKeys } from '../backend/backend.ts';
import { gatherKeys, mergeSortedRuns } from '../cpu/sort.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { GpuBuffers } from './row-runner.ts';

const PASSES = 32 / RADIX_SORT_DIGIT_BITS;
const RADIX = 1 << RADIX_SORT_DIGIT_BITS;

/** Workgroup size and keys per thread of the histogram and scatter kernels (a tile is wg·items keys). */
export interface RadixSortTuning {
  wg: number;
  items: number;
}

const DEFAULT_TUNING: RadixSortTuning = {
  wg: radixSortScatterKernel.overrides.WG!,
  items: radixSortScatterKernel.overrides.ITEMS!,
};

/**
 * Keys one device sort takes: the input, two key and two value ping-pong buffers are each bound
 * whole, and keys plus order come back through one staging buffer of twice that size.
 */
export function maxKeysPerSort(ctx: GpuContext): number {
  return Math.floor(Math.min(ctx.maxBindingBytes, ctx.limits.maxBufferSize / 2) / 4);
}

/**
 * GPU twin of `sortKeysCpu`: eight 4-bit LSD radix passes (histogram, scan, scatter) recorded in one
 * command encoder, one submit and one read-back. Past one binding (33M keys on llvmpipe's 128 MiB),
 * each chunk is sorted on the device and the sorted runs are merged stably on the host, O(N log chunks).
 */
export async function sortKeysGpu(
  ctx: GpuContext,
  keys: Float32Array,
  tuning: RadixSortTuning = DEFAULT_TUNING,
): Promise<SortedKeys> {
  const n = keys.length;
  if (n === 0) return { keys: new Float32Array(0), order: new Uint32Array(0) };
  // 16-bit packed counters bound the tile; 32 prefix bytes per thread stay within the keys' own
  // 4 bytes per key (so within one binding) when each thread takes at least 8 keys.
  if (tuning.wg * tuning.items >= 65536 || tuning.items < 8) {
    throw new RangeError(
      `sortKeys: tuning ${tuning.wg}×${tuning.items} needs wg·items < 65536 and items ≥ 8`,
    );
  }
  const chunk = maxKeysPerSort(ctx);
  if (n <= chunk) return ctx.checked('sortKeys', () => sortOnDevice(ctx, keys, tuning));
  const order = new Uint32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const part = keys.subarray(start, Math.min(n, start + chunk));
    const sorted = await ctx.checked('sortKeys', () => sortOnDevice(ctx, part, tuning));
    for (let i = 0; i < sorted.order.length; i++) order[start + i] = sorted.order[i]! + start;
  }
  const merged = mergeSortedRuns(keys, order, chunk);
  return { keys: gatherKeys(keys, merged), order: merged };
}

async function sortOnDevice(
  ctx: GpuContext,
  keys: Float32Array,
  tuning: RadixSortTuning,
): Promise<SortedKeys> {
  const n = keys.length;
  const numTiles = Math.ceil(n / (tuning.wg * tuning.items));
  const grid = rowGrid(numTiles, ctx.limits.maxComputeWorkgroupsPerDimension);
  const constants = { WG: tuning.wg, ITEMS: tuning.items };
  const owned = new GpuBuffers(ctx);
  try {
    const original = owned.upload(keys, 'sort-keys');
    const keyBufs = [owned.storage(n * 4, 'sort-keys-a'), owned.storage(n * 4, 'sort-keys-b')];
    const valBufs = [owned.storage(n * 4, 'sort-order-a'), owned.storage(n * 4, 'sort-order-b')];
    const counts = owned.storage(RADIX * numTiles * 4, 'sort-counts');
    const prefix = owned.storage(numTiles * tuning.wg * 32, 'sort-prefix');
    const scanParams = owned.uniforms(radixSortScanKernel, { m: RADIX * numTiles });
    const encoder = ctx.device.createCommandEncoder({ label: 'sortKeys' });
    for (let pass = 0; pass < PASSES; pass++) {
      const mode =
        pass === 0
          ? RADIX_SORT_MODE.first
          : pass === PASSES - 1
            ? RADIX_SORT_MODE.last
            : RADIX_SORT_MODE.middle;
      const out = pass % 2;
      // The first and last passes read keys from the original bits (directly, or through the order).
      const keysIn = mode === RADIX_SORT_MODE.middle ? keyBufs[1 - out]! : original;
      const params = owned.uniforms(radixSortHistogramKernel, {
        n,
        shift: pass * RADIX_SORT_DIGIT_BITS,
        mode,
        numTiles,
        gridX: grid.x,
      });
      const bindings = [keysIn, valBufs[1 - out]!, counts, prefix, keyBufs[out]!, valBufs[out]!, params];
      ctx.dispatch(radixSortHistogramKernel, bindings, [grid.x, grid.y], constants, encoder);
      ctx.dispatch(radixSortScanKernel, [counts, scanParams], [1], {}, encoder);
      ctx.dispatch(radixSortScatterKernel, bindings, [grid.x, grid.y], constants, encoder);
    }
    const last = (PASSES - 1) % 2;
    const staging = owned.own(
      ctx.device.createBuffer({
        label: 'sort-readback',
        size: n * 8,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
    );
    encoder.copyBufferToBuffer(keyBufs[last]!, 0, staging, 0, n * 4);
    encoder.copyBufferToBuffer(valBufs[last]!, 0, staging, n * 4, n * 4);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const mapped = staging.getMappedRange();
    const result = {
      keys: new Float32Array(mapped.slice(0, n * 4)),
      order: new Uint32Array(mapped.slice(n * 4, n * 8)),
    };
    staging.unmap();
    return result;
  } finally {
    owned.free();
  }
}
