import type { KernelDescriptor } from '@ftcal/kernels';
import {
  type AdapterReport,
  describeAdapter,
  type FoundAdapter,
  KERNEL_LIMITS,
  kernelLimitShortfalls,
} from '../device/adapter.ts';
import { GpuError, InputError } from '../errors.ts';

/**
 * Large limits are capped: on an H200, requesting maxBufferSize 2^40 made a 262 MB createBuffer throw
 * "Values are out of the range of that integer", so ask for no more than a u32 byte count can address.
 */
const LIMIT_CAPS: Record<string, number> = {
  maxBufferSize: 2 ** 32 - 4,
  maxStorageBufferBindingSize: 2 ** 32 - 4,
};

export interface GpuFeatures {
  subgroups: boolean;
  timestampQuery: boolean;
  shaderF16: boolean;
}

/**
 * WebGPU's flag values are fixed by the spec, and browsers define them as globals. Dawn for Node exports
 * them instead (device/dawn.ts installs them when it loads); a device a Node caller made through its own
 * import of Dawn may come without them, so they are filled in from the spec's values where missing.
 */
const WEBGPU_FLAGS: Record<string, Record<string, number>> = {
  GPUBufferUsage: {
    MAP_READ: 0x1,
    MAP_WRITE: 0x2,
    COPY_SRC: 0x4,
    COPY_DST: 0x8,
    INDEX: 0x10,
    VERTEX: 0x20,
    UNIFORM: 0x40,
    STORAGE: 0x80,
    INDIRECT: 0x100,
    QUERY_RESOLVE: 0x200,
  },
  GPUMapMode: { READ: 0x1, WRITE: 0x2 },
  GPUShaderStage: { VERTEX: 0x1, FRAGMENT: 0x2, COMPUTE: 0x4 },
};

function ensureWebGpuFlags(): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, values] of Object.entries(WEBGPU_FLAGS))
    if (!(name in g)) g[name] = Object.freeze({ ...values });
}

/**
 * The small vocabulary every WebGPU op in core uses: a device with its limits and optional features,
 * a pipeline cache keyed by shader and constants, buffer upload and read-back, and error scopes that
 * turn WebGPU errors into GpuError. `destroy()` must be called: it destroys the device when ftcal made it
 * (or Node does not exit), and only forgets it when the caller owns it (`fromDevice`).
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  readonly features: GpuFeatures;
  readonly limits: GPUSupportedLimits;
  /** Whether ftcal made the device (and so destroys it) or borrows the caller's. */
  readonly ownsDevice: boolean;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private lostReason: string | undefined;
  private bindingCap: number | undefined;
  private destroyed = false;

  private constructor(device: GPUDevice, report: AdapterReport, ownsDevice: boolean) {
    ensureWebGpuFlags();
    this.device = device;
    this.report = report;
    this.ownsDevice = ownsDevice;
    this.limits = device.limits;
    this.features = {
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
      shaderF16: device.features.has('shader-f16'),
    };
    device.lost.then((info) => {
      if (!this.destroyed) this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /**
   * Runs on a device the caller made and keeps (one shared with tfjs or onnxruntime-web, say): ftcal works
   * within the limits and features the caller requested, and `destroy()` leaves the device alive. The
   * adapter's info names it in messages: `info`, else `device.adapterInfo` where the runtime has it.
   */
  static fromDevice(device: GPUDevice, info?: GPUAdapterInfo): GpuContext {
    const short = kernelLimitShortfalls(device.limits);
    if (short.length > 0) {
      const wanted = Object.entries(KERNEL_LIMITS).map(([name, need]) => `${name}: ${need}`);
      throw new InputError({
        code: 'device',
        problem: `the GPUDevice has lower limits than ftcal's kernels need (${short.join(', ')})`,
        fix: `request at least { ${wanted.join(', ')} } in requiredLimits when creating it (adapter.limits says what the adapter allows)`,
      });
    }
    const about: Partial<GPUAdapterInfo> = info ?? (device as Partial<GPUDevice>).adapterInfo ?? {};
    return new GpuContext(device, describeAdapter(about, device.features, device.limits), false);
  }

  static async open(found: FoundAdapter): Promise<GpuContext> {
    const { adapter, report } = found;
    const requiredLimits: Record<string, number> = {};
    for (const [name, value] of Object.entries(report.limits)) {
      if (name.startsWith('min')) continue;
      requiredLimits[name] = Math.min(value, LIMIT_CAPS[name] ?? value);
    }
    const requiredFeatures = (['subgroups', 'timestamp-query', 'shader-f16'] as const).filter((f) =>
      adapter.features.has(f),
    );
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    return new GpuContext(device, report, true);
  }

  /** Fails fast when the device was lost, so the engine can fall back to the CPU path. */
  assertAlive(): void {
    if (this.lostReason !== undefined) throw new GpuError('device-lost', this.lostReason);
  }

  /** Largest byte range one storage binding may cover; ops split their inputs to fit it. */
  get maxBindingBytes(): number {
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    return this.bindingCap === undefined ? limit : Math.min(limit, this.bindingCap);
  }

  /** Pretends bindings hold at most `bytes`, so tests reach the chunked paths on small inputs. */
  capBindingBytes(bytes: number | undefined): void {
    this.bindingCap = bytes;
  }

  bindGroupLayout(kernel: KernelDescriptor): GPUBindGroupLayout {
    let layout = this.layouts.get(kernel.name);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: kernel.name,
        entries: kernel.bindings.map((b, i) => ({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: {
            type: b.kind === 'uniform' ? 'uniform' : b.kind === 'storage' ? 'storage' : 'read-only-storage',
          },
        })),
      });
      this.layouts.set(kernel.name, layout);
    }
    return layout;
  }

  /** A compute pipeline for `kernel` with its override constants; cached by shader source and constants. */
  pipeline(kernel: KernelDescriptor, constants: Readonly<Record<string, number>> = {}): GPUComputePipeline {
    const merged = { ...kernel.overrides, ...constants };
    const key = `${kernel.name}\u0000${kernel.entryPoint}\u0000${JSON.stringify(merged)}\u0000${kernel.code.length}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
      pipeline = this.device.createComputePipeline({
        label: `${kernel.name}:${JSON.stringify(merged)}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.bindGroupLayout(kernel)] }),
        compute: { module, entryPoint: kernel.entryPoint, constants: merged },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** A storage buffer holding `data` (padded to a multiple of 4 bytes). */
  upload(data: ArrayBufferView, label = 'upload', extraUsage = 0): GPUBuffer {
    const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
    const buffer = this.device.createBuffer({
      label,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    buffer.unmap();
    return buffer;
  }

  storage(byteLength: number, label = 'storage'): GPUBuffer {
    return this.device.createBuffer({
      label,
      size: Math.max(4, Math.ceil(byteLength / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /** A uniform buffer from a kernel's field list; every field is 4 bytes, padded to 16-byte rows. */
  uniforms(kernel: KernelDescriptor, values: Readonly<Record<string, number>>): GPUBuffer {
    const n = Math.ceil(kernel.uniforms.length / 4) * 4;
    const bytes = new ArrayBuffer(n * 4);
    const view = new DataView(bytes);
    kernel.uniforms.forEach((f, i) => {
      const v = values[f.name] ?? 0;
      if (f.type === 'f32') view.setFloat32(i * 4, v, true);
      else if (f.type === 'i32') view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    const buffer = this.device.createBuffer({
      label: `${kernel.name}:uniforms`,
      size: bytes.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, bytes);
    return buffer;
  }

  bindGroup(kernel: KernelDescriptor, buffers: readonly (GPUBuffer | GPUBufferBinding)[]): GPUBindGroup {
    if (buffers.length !== kernel.bindings.length) {
      throw new Error(`${kernel.name}: ${buffers.length} buffers for ${kernel.bindings.length} bindings`);
    }
    return this.device.createBindGroup({
      label: kernel.name,
      layout: this.bindGroupLayout(kernel),
      entries: buffers.map((b, i) => ({ binding: i, resource: 'buffer' in b ? b : { buffer: b } })),
    });
  }

  /** Records one dispatch of `kernel` into `encoder` (or a fresh one submitted at once). */
  dispatch(
    kernel: KernelDescriptor,
    buffers: readonly (GPUBuffer | GPUBufferBinding)[],
    groups: readonly [number, number?, number?],
    constants: Readonly<Record<string, number>> = {},
    encoder?: GPUCommandEncoder,
  ): void {
    const enc = encoder ?? this.device.createCommandEncoder({ label: kernel.name });
    const pass = enc.beginComputePass({ label: kernel.name });
    pass.setPipeline(this.pipeline(kernel, constants));
    pass.setBindGroup(0, this.bindGroup(kernel, buffers));
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    pass.end();
    if (!encoder) this.device.queue.submit([enc.finish()]);
  }

  /**
   * Maps a staging buffer for reading. A device lost meanwhile aborts the mapping (an AbortError, not a
   * GPU error); that is the device-lost GpuError the CPU fallback acts on, whatever the moment of loss.
   */
  async mapForReading(staging: GPUBuffer): Promise<void> {
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      if (this.lostReason === undefined && (e as Error | null)?.name !== 'AbortError') throw e;
      throw new GpuError(
        'device-lost',
        this.lostReason ?? 'the device was lost while results were read back',
      );
    }
  }

  /** Copies `byteLength` bytes of `buffer` back to the host (a copy, so the mapping can be released). */
  async read(buffer: GPUBuffer, byteLength = buffer.size, byteOffset = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({
      label: 'readback',
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    await this.mapForReading(staging);
    const copy = staging.getMappedRange().slice(0, byteLength);
    staging.unmap();
    staging.destroy();
    return copy;
  }

  async readF32(buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, count * 4, offset * 4));
  }

  async readU32(buffer: GPUBuffer, count: number, offset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, count * 4, offset * 4));
  }

  /**
   * Runs `work` inside validation, out-of-memory and internal error scopes and throws the first
   * captured error as a GpuError, so a bad dispatch fails loudly instead of returning zeros.
   */
  async checked<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    this.assertAlive();
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let result: T;
    try {
      result = await work();
    } finally {
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      const internal = await this.device.popErrorScope();
      const first = validation ?? oom ?? internal;
      if (first) {
        const kind = first === validation ? 'validation' : first === oom ? 'out-of-memory' : 'internal';
        // biome-ignore lint/correctness/noUnsafeFinally: a captured GPU error outranks the result
        throw new GpuError(kind, `${label}: ${first.message.split('\n')[0]}`);
      }
    }
    this.assertAlive();
    return result;
  }

  /** Releases what ftcal holds; destroys the device only when ftcal made it. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pipelines.clear();
    this.layouts.clear();
    if (this.ownsDevice) this.device.destroy();
  }
}

/** Splits `rows` workgroups over x and y so no dimension exceeds the device limit. */
export function rowGrid(rows: number, maxPerDim: number): { x: number; y: number } {
  if (rows <= maxPerDim) return { x: Math.max(1, rows), y: 1 };
  const y = Math.ceil(rows / maxPerDim);
  return { x: Math.ceil(rows / y), y };
}
