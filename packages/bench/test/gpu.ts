import { GpuContext, NoAdapterError, planDevice, WebGpuBackend } from '@ftcal/core';
import { openOrSkip } from '../../../tools/gpu-tests.ts';

export { TEST_ADAPTERS } from '../../../tools/gpu-tests.ts';

/**
 * The GPU a bench test runs on, by name as `--device gpu:NAME` picks it (one of TEST_ADAPTERS). Null
 * skips; under FTCAL_REQUIRE_GPU=1 a missing adapter throws instead.
 */
export function openTestGpu(adapter: string): Promise<WebGpuBackend | null> {
  return openOrSkip(
    adapter,
    async () => new WebGpuBackend(await GpuContext.open((await planDevice('gpu', { adapter })).found!)),
    (e) => e instanceof NoAdapterError,
  );
}
