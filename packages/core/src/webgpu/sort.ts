import {
  RADIX_SORT_DIGIT_BITS,
  RADIX_SORT_ITEMS,
  RADIX_SORT_MODE,
  RADIX_SORT_SCAN_BLOCK,
  radixSortDownsweepKernel,
  radixSortHistogramKernel,
  radixSortReduceKernel,
  radixSortScanKernel,
  radixSortScatterKernel,
} from '@ftcal/kernels';
import type { SortedKeys } from '../backend/backend.ts';
import { gatherKeys, mergeSortedRuns } from '../cpu/sort.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { GpuBuffers } from './row-runner.ts';

const PASSES = 32 / RADIX_SORT_DIGIT_BITS;
const RADIX = 1 << RADIX_SORT_DIGIT_BITS;

/** Threads per workgroup of the histogram and scatter kernels; a tile is wg · 16 keys. */
export interface RadixSortTuning {
  wg: number;
}

/** Workgroup memory of the scatter at `wg` threads: the packed tile (padded), the counters, the starts. */
export function radixSortWorkgroupBytes(wg: number): number {
  const tile = wg * RADIX_SORT_ITEMS;
  return (tile + tile / 32 + 8 * wg + 8 + RADIX) * 4;
}

/** 256 threads (tiles of 4,096 keys) where the device has the workgroup memory for them, else 128. */
export function radixSortTuning(ctx: GpuContext): RadixSortTuning {
  const roomy = ctx.limits.maxComputeWorkgroupStorageSize >= radixSortWorkgroupBytes(256);
  return { wg: roomy && ctx.limits.maxComputeInvocationsPerWorkgroup >= 256 ? 256 : 128 };
}

/**
 * Keys one device sort takes: the input, two key and two value ping-pong buffers are each bound
 * whole, and keys plus order come back through one staging buffer of twice that size.
 */
export function maxKeysPerSort(ctx: GpuContext): number {
  return Math.floor(Math.min(ctx.maxBindingBytes, ctx.limits.maxBufferSize / 2) / 4);
}

/**
 * GPU twin of `sortKeysCpu`: four 8-bit LSD radix passes (histogram, a three-step multi-workgroup scan,
 * scatter through a local sort) recorded in one command encoder, one submit and one read-back. Past one
 * binding (33M keys on llvmpipe's 128 MiB), each chunk is sorted on the device and the sorted runs are
 * merged stably on the host, O(N log chunks). `tuning` overrides the workgroup size (tests).
 */
export async function sortKeysGpu(
  ctx: GpuContext,
  keys: Float32Array,
  tuning: RadixSortTuning = radixSortTuning(ctx),
): Promise<SortedKeys> {
  const n = keys.length;
  if (n === 0) return { keys: new Float32Array(0), order: new Uint32Array(0) };
  // A key's index in its tile is packed in 16 bits; the tile's counts scan serially over the threads.
  const { wg } = tuning;
  if (!Number.isInteger(wg) || wg < 8 || wg * RADIX_SORT_ITEMS > 65536 || (wg & (wg - 1)) !== 0) {
    throw new RangeError(`sortKeys: tuning wg ${wg} must be a power of two from 8 to 4096`);
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
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  const numTiles = Math.ceil(n / (tuning.wg * RADIX_SORT_ITEMS));
  const m = RADIX * numTiles;
  const blocks = Math.ceil(m / RADIX_SORT_SCAN_BLOCK);
  const grid = rowGrid(numTiles, maxDim);
  const blockGrid = rowGrid(blocks, maxDim);
  const constants = { WG: tuning.wg };
  const owned = new GpuBuffers(ctx);
  try {
    const original = owned.upload(keys, 'sort-keys');
    const keyBufs = [owned.storage(n * 4, 'sort-keys-a'), owned.storage(n * 4, 'sort-keys-b')];
    const valBufs = [owned.storage(n * 4, 'sort-order-a'), owned.storage(n * 4, 'sort-order-b')];
    const counts = owned.storage(m * 4, 'sort-counts');
    const sums = owned.storage(blocks * 4, 'sort-block-sums');
    const blockParams = owned.uniforms(radixSortReduceKernel, { m, blocks, gridX: blockGrid.x });
    const scanParams = owned.uniforms(radixSortScanKernel, { m: blocks });
    const encoder = ctx.device.createCommandEncoder({ label: 'sortKeys' });
    for (let pass = 0; pass < PASSES; pass++) {
      const mode =
        pass === 0
          ? RADIX_SORT_MODE.first
          : pass === PASSES - 1
            ? RADIX_SORT_MODE.last
            : RADIX_SORT_MODE.middle;
      const out = pass % 2;
      const params = owned.uniforms(radixSortHistogramKernel, {
        n,
        shift: pass * RADIX_SORT_DIGIT_BITS,
        mode,
        numTiles,
        gridX: grid.x,
      });
      // The first pass reads the original bits (bound twice); later ones the previous pass's output.
      const keysIn = pass === 0 ? original : keyBufs[1 - out]!;
      const bindings = [original, keysIn, valBufs[1 - out]!, counts, keyBufs[out]!, valBufs[out]!, params];
      ctx.dispatch(radixSortHistogramKernel, bindings, [grid.x, grid.y], constants, encoder);
      ctx.dispatch(
        radixSortReduceKernel,
        [counts, sums, blockParams],
        [blockGrid.x, blockGrid.y],
        {},
        encoder,
      );
      ctx.dispatch(radixSortScanKernel, [sums, scanParams], [1], {}, encoder);
      ctx.dispatch(
        radixSortDownsweepKernel,
        [counts, sums, blockParams],
        [blockGrid.x, blockGrid.y],
        {},
        encoder,
      );
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
    await ctx.mapForReading(staging);
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
