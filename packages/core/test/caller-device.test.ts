import * as kernels from '@ftcal/kernels';
import { describe, expect, it } from 'vitest';
import { rowStatsCpu } from '../src/cpu/row-stats.ts';
import { softmaxCpu } from '../src/cpu/softmax.ts';
import { KERNEL_LIMITS } from '../src/device/adapter.ts';
import { planDevice, planSummary, selectBackend } from '../src/device/select.ts';
import { InputError, libraryWording } from '../src/errors.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { openTestGpu, TEST_ADAPTERS } from './gpu-harness.ts';

/**
 * A device the test makes itself, as a caller sharing its GPU with tfjs or onnxruntime-web would: with
 * the limits ftcal's kernels need, or (`limits: {}`) with the adapter's defaults.
 */
async function callerDevice(
  adapter: string,
  requiredLimits: Record<string, number> = KERNEL_LIMITS,
): Promise<{ device: GPUDevice; info: GPUAdapterInfo } | null> {
  const probe = await openTestGpu(adapter);
  if (!probe) return null;
  probe.dispose();
  // The probe's adapter made a device already; a caller gets a fresh one the same way.
  const { found } = await planDevice('gpu', { adapter });
  return { device: await found!.adapter.requestDevice({ requiredLimits }), info: found!.adapter.info };
}

/** True when the device still runs work: a write and a read back through a buffer of the caller's. */
async function stillWorks(device: GPUDevice): Promise<boolean> {
  const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, Float32Array.of(1, 2, 3, 4));
  await buffer.mapAsync(GPUMapMode.READ);
  const back = Array.from(new Float32Array(buffer.getMappedRange().slice(0)));
  buffer.unmap();
  buffer.destroy();
  return back.join() === '1,2,3,4';
}

describe.each(TEST_ADAPTERS)('a GPUDevice the caller owns on %s', (adapter) => {
  it('selectBackend runs on it, names it, and dispose() leaves it alive', async (ctx) => {
    const made = await callerDevice(adapter);
    if (!made) return ctx.skip();
    const { device } = made;
    let lost = false;
    void device.lost.then(() => {
      lost = true;
    });
    const lines: string[] = [];
    const backend = await selectBackend(device, (line) => lines.push(line));
    expect(backend.kind).toBe('webgpu');
    expect(lines).toEqual([expect.stringMatching(/^ftcal: using WebGPU on .* \(the caller's device\)$/)]);

    const z = Float32Array.from({ length: 6 * 7 }, (_, i) => Math.sin(i) * 4);
    const groups = Uint32Array.from({ length: 7 }, (_, c) => c % 3);
    const stats = await backend.rowStats(z, 6, 7, { groups });
    expect(Array.from(stats.argSO)).toEqual(Array.from(rowStatsCpu(z, 6, 7, { groups }).argSO));
    backend.dispose();

    expect(await stillWorks(device)).toBe(true);
    expect(lost).toBe(false);
    device.destroy();
  });

  it('GpuContext.fromDevice describes it from the adapter info and never destroys it', async (ctx) => {
    const made = await callerDevice(adapter);
    if (!made) return ctx.skip();
    const { device, info } = made;
    const gpu = GpuContext.fromDevice(device, info);
    expect(gpu.ownsDevice).toBe(false);
    expect(gpu.report.description).toBe(info.description ?? '');
    expect(gpu.report.limits.maxStorageBufferBindingSize).toBe(device.limits.maxStorageBufferBindingSize);
    gpu.destroy();
    gpu.destroy();
    expect(await stillWorks(device)).toBe(true);
    device.destroy();
  });

  it('with lower limits than the kernels need, is refused before any work, saying what to request', async (ctx) => {
    const made = await callerDevice(adapter, {
      maxComputeWorkgroupSizeX: 128,
      maxComputeInvocationsPerWorkgroup: 128,
    });
    if (!made) return ctx.skip();
    if (made.device.limits.maxComputeWorkgroupSizeX >= KERNEL_LIMITS.maxComputeWorkgroupSizeX) {
      // A core-level device never has less than WebGPU's defaults, which meet KERNEL_LIMITS: it runs.
      const backend = await selectBackend(made.device);
      const stats = await backend.rowStats(Float32Array.of(1, 3, 2), 1, 3, {
        groups: Uint32Array.of(0, 0, 1),
      });
      expect([stats.argSO[0], stats.argU[0]]).toEqual([1, 2]);
      backend.dispose();
      made.device.destroy();
      return;
    }
    const e = await selectBackend(made.device).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(
      /^the GPUDevice has lower limits than ftcal's kernels need \(maxComputeInvocationsPerWorkgroup 128 < 256, maxComputeWorkgroupSizeX 128 < 256.*\); request at least \{ maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxStorageBuffersPerShaderStage: 6, maxComputeWorkgroupStorageSize: 16384 \} in requiredLimits/,
    );
    expect(await stillWorks(made.device)).toBe(true);
    made.device.destroy();
  });

  it('when the caller destroys it mid-run, work continues on the CPU backend', async (ctx) => {
    const made = await callerDevice(adapter);
    if (!made) return ctx.skip();
    const lines: string[] = [];
    const backend = await selectBackend(made.device, (line) => lines.push(line));
    const z = Float32Array.from([1, 2, 3, 4, 5, 6]);
    await backend.softmax(z, 2, 3);
    made.device.destroy();
    await made.device.lost;
    expect(Array.from(await backend.softmax(z, 2, 3))).toEqual(Array.from(softmaxCpu(z, 2, 3)));
    expect(backend.kind).toBe('cpu');
    expect(lines.at(-1)).toMatch(/GPU device was lost.*CPU backend/);
    backend.dispose();
  });
});

describe('device plans name the library option, and a front end words it', () => {
  it('KERNEL_LIMITS covers every kernel: its storage buffers and its default workgroup size', () => {
    const all = Object.values(kernels).filter(
      (k): k is kernels.KernelDescriptor => typeof k === 'object' && k !== null && 'bindings' in k,
    );
    const storage = Math.max(...all.map((k) => k.bindings.filter((b) => b.kind !== 'uniform').length));
    expect(KERNEL_LIMITS.maxStorageBuffersPerShaderStage).toBe(storage);
    for (const k of all)
      expect(k.overrides.WG ?? 0).toBeLessThanOrEqual(KERNEL_LIMITS.maxComputeWorkgroupSizeX);
  });

  it('device: cpu', async () => {
    const plan = await planDevice('cpu');
    expect(plan.summary).toBe("ftcal: using the CPU backend (asked for with device: 'cpu')");
    expect(planSummary(plan, ({ name, value }) => `--${name} ${value}`)).toBe(
      'ftcal: using the CPU backend (asked for with --device cpu)',
    );
    expect(planSummary(plan, libraryWording)).toBe(plan.summary);
  });

  it('an unknown preference is an InputError naming the option', async () => {
    const e = await planDevice('tpu' as never).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(
      `device "tpu" is not auto, gpu, cpu or a GPUDevice; set device: 'auto', or pass a GPUDevice you made`,
    );
    await expect(selectBackend({} as never)).rejects.toBeInstanceOf(InputError);
  });
});
