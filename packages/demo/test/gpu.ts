import { GpuContext, NoAdapterError, planDevice, WebGpuBackend } from '@ftcal/core';
import { openOrSkip } from '../../../tools/gpu-tests.ts';

export { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';

/**
 * The GPU a demo suite runs on, by name as `--device gpu:NAME` picks it (one of TEST_ADAPTERS), without
 * the CPU fallback: a GPU test must run on the GPU or fail. Null skips the suite; under
 * FTCAL_REQUIRE_GPU=1 a missing adapter throws instead.
 */
export function openTestGpu(adapter: string): Promise<WebGpuBackend | null> {
  return openOrSkip(
    adapter,
    async () => new WebGpuBackend(await GpuContext.open((await planDevice('gpu', { adapter })).found!)),
    (e) => e instanceof NoAdapterError,
  );
}
