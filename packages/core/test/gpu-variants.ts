import { WebGpuBackend } from '../src/backend/webgpu.ts';
import { planDevice } from '../src/device/select.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu-harness.ts';

/**
 * One run of a kernel suite: a test adapter as the harness opens it (its subgroup variants where it has
 * subgroups), or the same adapter opened without any optional feature, so that on a subgroup adapter
 * (SwiftShader) the no-subgroup fallbacks meet the CPU twins too. On an adapter without subgroups the
 * second run would repeat the first, so it is skipped.
 */
export interface GpuRun {
  adapter: string;
  withoutSubgroups: boolean;
  /** For suite titles ($title). */
  title: string;
}

export const GPU_RUNS: readonly GpuRun[] = TEST_ADAPTERS.flatMap((adapter) => [
  { adapter, withoutSubgroups: false, title: adapter },
  { adapter, withoutSubgroups: true, title: `${adapter} without subgroups` },
]);

/** A backend on a device this helper made: disposing it destroys the device too. */
class OwnedDeviceBackend extends WebGpuBackend {
  override dispose(): void {
    super.dispose();
    this.ctx.device.destroy();
  }
}

export async function openGpuRun(run: GpuRun): Promise<WebGpuBackend | null> {
  const gpu = await openTestGpu(run.adapter);
  if (!gpu || !run.withoutSubgroups) return gpu;
  const { features } = gpu.ctx;
  gpu.dispose();
  if (!features.subgroups) {
    console.info(`[gpu tests] ${run.adapter} has no subgroups: its run as opened is the fallback already`);
    return null;
  }
  const { adapter, report } = (await planDevice('gpu', { adapter: run.adapter })).found!;
  const requiredLimits: Record<string, number> = {};
  for (const [name, value] of Object.entries(report.limits)) {
    if (!name.startsWith('min')) requiredLimits[name] = Math.min(value, 2 ** 32 - 4);
  }
  const ctx = GpuContext.fromDevice(await adapter.requestDevice({ requiredLimits }), adapter.info);
  if (ctx.features.subgroups) throw new Error('a device requested without features reports subgroups');
  console.info(`[gpu tests] ${run.title}: running on ${report.description || report.device}`);
  return new OwnedDeviceBackend(ctx);
}
