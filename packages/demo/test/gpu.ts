import { GpuContext, NoAdapterError, planDevice, WebGpuBackend } from '@ftcal/core';

/**
 * The GPU the demo's tests run on, as `--device gpu` picks it (a hardware adapter, else a software
 * one such as llvmpipe), without the CPU fallback: a GPU test must run on the GPU or fail. With
 * FTCAL_REQUIRE_GPU=1 a missing adapter is a failure, not a skip.
 */
export async function openTestGpu(): Promise<WebGpuBackend | null> {
  try {
    const plan = await planDevice('gpu');
    const gpu = new WebGpuBackend(await GpuContext.open(plan.found!));
    console.info(`[gpu tests] running on ${gpu.name}`);
    return gpu;
  } catch (e) {
    if (!(e instanceof NoAdapterError)) throw e;
    if (process.env.FTCAL_REQUIRE_GPU === '1') throw new Error(`FTCAL_REQUIRE_GPU=1 but ${e.message}`);
    console.warn(`[gpu tests] skipped: ${e.message}`);
    return null;
  }
}
