import type { KernelDescriptor } from '@ftcal/kernels';
import { InputError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';

/** One dispatch's rows: [r0, r0 + rows). */
export interface RowChunk {
  r0: number;
  rows: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The one error for rows the GPU cannot take: a binding must hold at least one row (or, for offset-bound
 * chunks, one aligned run of rows), and nothing splits a row. The CPU backend has no such limit.
 */
export function rowTooWide(op: string, rows: number, rowBytes: number, maxBindingBytes: number): InputError {
  const what =
    rows === 1
      ? `a row of ${rowBytes} bytes is`
      : `${rows} rows of ${rowBytes} bytes (the fewest that keep binding offsets aligned) are`;
  return new InputError({
    code: 'unsupported',
    problem: `${op}: ${what} too wide for this GPU (one storage binding holds ${maxBindingBytes} bytes)`,
    fix: 'the CPU backend handles any width: set {option}',
    option: { name: 'device', value: 'cpu' },
  });
}

/**
 * Splits `rows` into dispatches whose every binding fits one storage binding and, past the first,
 * starts at a byte offset that is a multiple of `alignment` (minStorageBufferOffsetAlignment; 1 when
 * each chunk gets buffers of its own). `rowBytes` lists the bytes per row of each buffer bound at a row
 * offset; `op` names the operation in the error for rows too wide to fit.
 */
export function planRowChunks(
  rows: number,
  rowBytes: readonly number[],
  maxBindingBytes: number,
  alignment = 1,
  op = 'rows',
): RowChunk[] {
  if (rows === 0) return [];
  const widest = Math.max(...rowBytes);
  const fit = Math.floor(maxBindingBytes / widest);
  if (fit < 1) throw rowTooWide(op, 1, widest, maxBindingBytes);
  if (rows <= fit) return [{ r0: 0, rows }];
  // Rows per chunk must make every buffer's chunk a whole number of alignment units.
  let unit = 1;
  for (const b of rowBytes) {
    const need = alignment / gcd(b, alignment);
    unit = (unit * need) / gcd(unit, need);
  }
  const step = Math.floor(fit / unit) * unit;
  if (step === 0) throw rowTooWide(op, unit, widest, maxBindingBytes);
  const chunks: RowChunk[] = [];
  for (let r0 = 0; r0 < rows; r0 += step) chunks.push({ r0, rows: Math.min(step, rows - r0) });
  return chunks;
}

/** Buffers made for one job or one chunk of it; `free()` destroys every one, however the work ended. */
export class GpuBuffers {
  private readonly ctx: GpuContext;
  private readonly buffers: GPUBuffer[] = [];
  private readonly releases: (() => void)[] = [];

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  upload(data: ArrayBufferView, label?: string): GPUBuffer {
    return this.own(this.ctx.upload(data, label));
  }

  storage(byteLength: number, label?: string): GPUBuffer {
    return this.own(this.ctx.storage(byteLength, label));
  }

  uniforms(kernel: KernelDescriptor, values: Readonly<Record<string, number>>): GPUBuffer {
    return this.own(this.ctx.uniforms(kernel, values));
  }

  own(buffer: GPUBuffer): GPUBuffer {
    this.buffers.push(buffer);
    return buffer;
  }

  /** Takes over the temporaries of a recorded op (recordSoftmax, recordMatmul, …). */
  adopt<T extends { release(): void }>(recorded: T): T {
    this.releases.push(() => recorded.release());
    return recorded;
  }

  /** Destroying after a submit is safe: WebGPU frees a buffer only once the work using it has run. */
  free(): void {
    for (const release of this.releases.splice(0)) release();
    for (const buffer of this.buffers.splice(0)) buffer.destroy();
  }
}

/** A host-array GPU operation over rows, as the runner drives it. */
export interface RowJob<Shared> {
  /** The operation's name, in errors and GPU error scopes. */
  op: string;
  rows: number;
  /** Bytes per row of each binding that covers a chunk's rows (inputs and per-row outputs). */
  rowBytes: readonly number[];
  /** Makes what every chunk binds (groups, accumulators, constants); freed when the job ends. */
  setup?: (job: GpuBuffers) => Shared;
  /**
   * Uploads chunk `chunk`'s rows and records its dispatches into `encoder`, making every buffer through
   * `buffers` (freed when the chunk is done). Returns the read-back to run after the submit, if any.
   */
  record: (
    chunk: RowChunk,
    buffers: GpuBuffers,
    encoder: GPUCommandEncoder,
    shared: Shared,
  ) => (() => Promise<void>) | undefined;
  /** Reads what the chunks accumulated on the device, before the job's own buffers are freed. */
  finish?: (shared: Shared) => Promise<void>;
}

/**
 * The row-chunk runner every host-array GPU driver shares (DESIGN.md §2): plans chunks that fit one
 * storage binding, then per chunk uploads, records, submits and reads back, inside ctx.checked so GPU
 * errors surface as GpuError, and destroys every buffer it made in `finally`, failure or not. Rows too
 * wide for one binding are one InputError before anything is made.
 */
export async function runRowChunks<Shared = undefined>(ctx: GpuContext, job: RowJob<Shared>): Promise<void> {
  const chunks = planRowChunks(job.rows, job.rowBytes, ctx.maxBindingBytes, 1, job.op);
  if (chunks.length === 0) return;
  await ctx.checked(job.op, async () => {
    const owned = new GpuBuffers(ctx);
    try {
      const shared = job.setup?.(owned) as Shared;
      for (const chunk of chunks) {
        const buffers = new GpuBuffers(ctx);
        try {
          const encoder = ctx.device.createCommandEncoder({ label: job.op });
          const readBack = job.record(chunk, buffers, encoder, shared);
          ctx.device.queue.submit([encoder.finish()]);
          await readBack?.();
        } finally {
          buffers.free();
        }
      }
      await job.finish?.(shared);
    } finally {
      owned.free();
    }
  });
}
