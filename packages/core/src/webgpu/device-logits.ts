import type { LogitChunk, Releasable, ResidentLogits } from '../backend/resident-logits.ts';
import type { GpuContext } from '../gpu/context.ts';
import { planRowChunks } from './row-runner.ts';

/**
 * One chunk of resident logits on the device: `rows`×`cols` f32 row-major in `logits` from byte 0 (one
 * storage binding), one i32 label per row in `labels` (null when unlabelled), and where the rows sit among
 * the kept rows (`r0`). With a groups buffer it is a ResidentRows for recordSoftmax and recordRowStats,
 * and `logits` is an A operand for recordMatmul.
 */
export interface DeviceLogitChunk {
  r0: number;
  rows: number;
  cols: number;
  logits: GPUBuffer;
  labels: GPUBuffer | null;
  /** The same labels on the host. */
  hostLabels: Int32Array | null;
  /**
   * True: the buffers live as long as the DeviceLogits. False: a streamed chunk, uploaded into buffers
   * that the next streamed chunk overwrites once the callback's promise settles, so the callback must
   * submit (not only record) the work that reads them before it returns.
   */
  resident: boolean;
}

/** Where a device chunk comes from: rows [from, from + rows) of host chunk `host`. */
interface Piece {
  host: number;
  from: number;
  r0: number;
  rows: number;
  /** The uploaded copy, or null: streamed on every pass. */
  buffers: { logits: GPUBuffer; labels: GPUBuffer | null } | null;
}

export interface DeviceLogitsOptions {
  /**
   * Device memory the copy may take. Default: 1 GiB on a software adapter (whose device memory is the
   * host's, which holds its own copy), else no limit but the device's: pieces are uploaded until an
   * allocation fails for lack of memory, and the last of them is given back, so the fit's own buffers
   * and other work keep some room. The rest is streamed on every pass.
   */
  deviceBytes?: number;
}

const SOFTWARE_DEVICE_BYTES = 2 ** 30;

/**
 * The device copy of a ResidentLogits (DESIGN.md §2: the logits are uploaded once and stay on the
 * device for the whole fit when they fit its memory, otherwise streamed per pass). Each host chunk is
 * split into pieces that fit one storage binding; pieces are uploaded in row order once, when the copy
 * is made, for as long as memory allows. `forEach` then walks every piece in row order: uploaded ones
 * from their buffers, the others read from the host (memory or source) and written into two staging
 * buffers reused for every streamed piece. Made and shared per GpuContext by `deviceLogits`.
 */
export class DeviceLogits implements Releasable {
  readonly ctx: GpuContext;
  readonly host: ResidentLogits;
  private readonly pieces: Piece[];
  private staging: { logits: GPUBuffer; labels: GPUBuffer | null } | null = null;
  private released = false;

  private constructor(ctx: GpuContext, host: ResidentLogits, pieces: Piece[]) {
    this.ctx = ctx;
    this.host = host;
    this.pieces = pieces;
  }

  get rows(): number {
    return this.host.rows;
  }

  get cols(): number {
    return this.host.cols;
  }

  /** Rows kept on the device; the rest are uploaded again on every pass. */
  get residentRows(): number {
    return this.pieces.reduce((n, p) => n + (p.buffers ? p.rows : 0), 0);
  }

  /** Number of device chunks a pass visits (one binding each). */
  get chunks(): number {
    return this.pieces.length;
  }

  /** Uploads what fits (see DeviceLogitsOptions) and plans the rest. */
  static async upload(
    ctx: GpuContext,
    host: ResidentLogits,
    options: DeviceLogitsOptions = {},
  ): Promise<DeviceLogits> {
    const cols = host.cols;
    const rowBytes = cols * 4;
    let budget =
      options.deviceBytes ?? (ctx.report.software ? SOFTWARE_DEVICE_BYTES : Number.POSITIVE_INFINITY);
    const pieces: Piece[] = [];
    const made = new DeviceLogits(ctx, host, pieces);
    let full = false;
    let index = -1;
    try {
      await host.forEach(async (chunk) => {
        index++;
        for (const { r0: from, rows } of planRowChunks(
          chunk.rows,
          [rowBytes, 4],
          ctx.maxBindingBytes,
          1,
          'logits',
        )) {
          const piece: Piece = { host: index, from, r0: chunk.r0 + from, rows, buffers: null };
          pieces.push(piece);
          if (full || rows * rowBytes > budget) {
            full = true;
            continue;
          }
          piece.buffers = await made.tryUpload(chunk, from, rows);
          if (piece.buffers) budget -= rows * rowBytes;
          else {
            full = true;
            // Out of device memory: give the last upload back, so the fit's own buffers have room.
            const last = pieces.findLast((p) => p.buffers);
            if (last) made.free(last);
          }
        }
      });
    } catch (e) {
      made.release();
      throw e;
    }
    return made;
  }

  /** One piece's buffers, or null when the device has no memory left for them. */
  private async tryUpload(
    chunk: LogitChunk,
    from: number,
    rows: number,
  ): Promise<{ logits: GPUBuffer; labels: GPUBuffer | null } | null> {
    const { ctx } = this;
    const cols = chunk.cols;
    const made: GPUBuffer[] = [];
    let refused = false;
    ctx.device.pushErrorScope('out-of-memory');
    try {
      made.push(ctx.upload(chunk.z.subarray(from * cols, (from + rows) * cols), 'resident-logits'));
      if (chunk.labels) made.push(ctx.upload(chunk.labels.subarray(from, from + rows), 'resident-labels'));
    } catch (e) {
      // A mapped-at-creation buffer the device cannot allocate throws RangeError instead of an error.
      if (!(e instanceof RangeError)) throw e;
      refused = true;
    } finally {
      refused = (await ctx.device.popErrorScope()) !== null || refused;
    }
    if (!refused) return { logits: made[0]!, labels: made[1] ?? null };
    for (const b of made) b.destroy();
    return null;
  }

  private free(piece: Piece): void {
    piece.buffers?.logits.destroy();
    piece.buffers?.labels?.destroy();
    piece.buffers = null;
  }

  /**
   * Every chunk in row order, on the device. Resident chunks come from their buffers; streamed ones are
   * written into the staging buffers first (see DeviceLogitChunk.resident).
   */
  async forEach(fn: (chunk: DeviceLogitChunk) => Promise<void> | void): Promise<void> {
    if (this.released) throw new Error(`${this.host.name}: the device copy of the logits was released`);
    const cols = this.cols;
    let hostIndex = -1;
    let hostChunk: LogitChunk | null = null;
    for (const piece of this.pieces) {
      const hostLabels = this.hostLabels(piece);
      if (piece.buffers) {
        await fn({ r0: piece.r0, rows: piece.rows, cols, ...piece.buffers, hostLabels, resident: true });
        continue;
      }
      if (hostIndex !== piece.host) {
        hostChunk = await this.host.read(piece.host);
        hostIndex = piece.host;
      }
      const staging = this.stagingFor(hostChunk!.labels !== null);
      const { from, rows } = piece;
      this.ctx.device.queue.writeBuffer(
        staging.logits,
        0,
        hostChunk!.z.subarray(from * cols, (from + rows) * cols),
      );
      if (staging.labels)
        this.ctx.device.queue.writeBuffer(staging.labels, 0, hostChunk!.labels!.subarray(from, from + rows));
      await fn({ r0: piece.r0, rows, cols, ...staging, hostLabels, resident: false });
    }
  }

  /** The host labels of a piece: kept ones need no read of the logits. */
  private hostLabels(piece: Piece): Int32Array | null {
    return this.host.labelsOf(piece.host)?.subarray(piece.from, piece.from + piece.rows) ?? null;
  }

  /** Staging buffers as large as the largest streamed piece, made on first use. */
  private stagingFor(labelled: boolean): { logits: GPUBuffer; labels: GPUBuffer | null } {
    if (!this.staging) {
      const rows = Math.max(...this.pieces.filter((p) => !p.buffers).map((p) => p.rows));
      this.staging = {
        logits: this.ctx.storage(rows * this.cols * 4, 'streamed-logits'),
        labels: labelled ? this.ctx.storage(rows * 4, 'streamed-labels') : null,
      };
    }
    return this.staging;
  }

  /** Destroys every buffer of the copy. Safe to call twice. */
  release(): void {
    this.released = true;
    for (const piece of this.pieces) this.free(piece);
    this.staging?.logits.destroy();
    this.staging?.labels?.destroy();
    this.staging = null;
  }
}

/**
 * The device copy of `logits` for `ctx`: uploaded on first use, shared by every later pass (of every
 * method) until `logits.release()`.
 */
export function deviceLogits(
  ctx: GpuContext,
  logits: ResidentLogits,
  options: DeviceLogitsOptions = {},
): Promise<DeviceLogits> {
  return logits.copyFor(ctx, () => DeviceLogits.upload(ctx, logits, options));
}
