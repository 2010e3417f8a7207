import { chunkRowsFor } from '../calib/stats.ts';
import { InputError } from '../errors.ts';
import type { RowSource } from '../io/row-source.ts';
import { checkLabelIndices } from './validate.ts';

/**
 * One chunk of the kept rows, on the host: row-major logits and, when labelled, their labels. `r0` is
 * the index of its first row among the kept rows (rows the statistics pass dropped are not counted).
 */
export interface LogitChunk {
  r0: number;
  rows: number;
  cols: number;
  z: Float32Array;
  labels: Int32Array | null;
}

/** Where a chunk's rows come from: source rows [start, start + count), of which `rows` are kept. */
interface ChunkPlan {
  r0: number;
  rows: number;
  start: number;
  count: number;
  /** Whether the chunk stays in host memory once read. */
  held: boolean;
}

export interface ResidentLogitsOptions {
  /** One label per source row (checked against the classes once, here). */
  labels?: Int32Array | null;
  /** 1 per kept source row (DataStats.keep); null or absent keeps every row. */
  keep?: Uint8Array | null;
  /** Source rows per chunk; default about 16 Mi values. */
  chunkRows?: number;
  /**
   * Host memory the logits may take: chunks are held, in row order, while they fit; the rest are read
   * from the source again on every pass. Default 1 GiB; 0 holds none.
   */
  residentBytes?: number;
}

/** Something kept beside the logits for as long as they are (a copy on a GPU device). */
export interface Releasable {
  release(): void;
}

/**
 * The logits of a data set held for repeated passes, the one mechanism every iterative method uses
 * (DESIGN.md §2: nll and temperature now, the linear calibrator family). Rows dropped by the statistics
 * pass (`keep`) are dropped here too, so every pass sees exactly the rows the statistics describe.
 *
 * On the host the kept rows are a fixed list of chunks, each with its row range and labels: the first
 * ones that fit `residentBytes` stay in memory after their first read, the others are re-read from the
 * source (and re-compacted) on every pass, so a data set larger than memory still works and one that
 * fits is read once. A backend keeps its own copy through `copyFor`: the WebGPU backend uploads the
 * chunks to its device once (webgpu/device-logits.ts, `deviceLogits`), and every pass of a fit then
 * reads them there; the CPU backend reads the host chunks. `release()` drops both.
 *
 * A fit written against it (see Backend.nllGradResident) does:
 *   - CPU: `await logits.forEach(({ z, rows, cols, labels }) => …)`, or `read(i)` for chunk i;
 *   - WebGPU: `(await deviceLogits(ctx, logits)).forEach(({ logits, labels, rows }) => record…)`, whose
 *     buffers plug into recordSoftmax, recordRowStats, recordMatmul and the nll pass.
 */
export class ResidentLogits {
  readonly name: string;
  /** Kept rows. */
  readonly rows: number;
  readonly cols: number;
  /** Whether the rows come with labels. */
  readonly labelled: boolean;
  private readonly source: RowSource;
  private readonly labels: Int32Array | null;
  private readonly keep: Uint8Array | null;
  private readonly plans: ChunkPlan[];
  private readonly held = new Map<number, LogitChunk>();
  private readonly chunkLabels = new Map<number, Int32Array>();
  private readonly copies = new Map<object, Promise<Releasable>>();

  private constructor(source: RowSource, options: ResidentLogitsOptions, plans: ChunkPlan[], rows: number) {
    this.name = source.name;
    this.source = source;
    this.cols = source.cols;
    this.labels = options.labels ?? null;
    this.labelled = this.labels !== null;
    this.keep = options.keep ?? null;
    this.plans = plans;
    this.rows = rows;
  }

  /** Plans the chunks of `source` (reading nothing yet) and checks the labels and the keep mask. */
  static of(source: RowSource, options: ResidentLogitsOptions = {}): ResidentLogits {
    const labels = options.labels ?? null;
    const keep = options.keep ?? null;
    if (labels) {
      if (labels.length !== source.rows) {
        throw new InputError({
          code: 'shape',
          file: source.name,
          problem: `${source.rows} rows of logits but ${labels.length} labels`,
          fix: 'pass the labels of the same rows',
        });
      }
      checkLabelIndices('logits', labels, source.rows, source.cols);
    }
    if (keep && keep.length !== source.rows) {
      throw new RangeError(`${source.name}: keep mask has ${keep.length} entries for ${source.rows} rows`);
    }
    const step = chunkRowsFor(source.cols, options.chunkRows);
    let budget = options.residentBytes ?? 2 ** 30;
    const plans: ChunkPlan[] = [];
    let r0 = 0;
    for (let start = 0; start < source.rows; start += step) {
      const count = Math.min(step, source.rows - start);
      let rows = count;
      if (keep) {
        rows = 0;
        for (let r = start; r < start + count; r++) rows += keep[r]!;
      }
      if (rows === 0) continue;
      const bytes = rows * source.cols * 4;
      // Held chunks are a prefix: once one does not fit, later ones are streamed too, so a pass reads
      // the streamed part of the file in one sweep.
      const held = budget >= bytes && (plans.length === 0 || plans.at(-1)!.held);
      if (held) budget -= bytes;
      plans.push({ r0, rows, start, count, held });
      r0 += rows;
    }
    return new ResidentLogits(source, options, plans, r0);
  }

  /** Number of chunks; `read(i)` gives chunk i, in row order. */
  get chunks(): number {
    return this.plans.length;
  }

  /** Rows that stay in host memory once read; the rest are re-read from the source on every pass. */
  get residentRows(): number {
    return this.plans.reduce((n, p) => n + (p.held ? p.rows : 0), 0);
  }

  /** Whether every row stays in host memory. */
  get resident(): boolean {
    return this.plans.every((p) => p.held);
  }

  /** Kept-row range [r0, r0 + rows) of chunk `i`, without reading it. */
  range(i: number): { r0: number; rows: number } {
    const { r0, rows } = this.plans[i]!;
    return { r0, rows };
  }

  /** Chunk `i`: from memory when held and read before, else from the source (and held if it fits). */
  async read(i: number): Promise<LogitChunk> {
    const had = this.held.get(i);
    if (had) return had;
    const plan = this.plans[i];
    if (!plan) throw new RangeError(`${this.name}: chunk ${i} of ${this.plans.length}`);
    const data = await this.source.readRows(plan.start, plan.count);
    const chunk = this.compact(i, data);
    if (!plan.held) return chunk;
    // A RowSource may hand back views of a buffer it reuses (or of the caller's array): a held chunk
    // owns its data. A compacted chunk already does.
    const own = chunk.z === data ? { ...chunk, z: data.slice() } : chunk;
    this.held.set(i, own);
    return own;
  }

  /** The labels of chunk `i` (null when unlabelled), without reading its logits. */
  labelsOf(i: number): Int32Array | null {
    if (!this.labels) return null;
    let y = this.chunkLabels.get(i);
    if (!y) {
      const { start, count, rows } = this.plans[i]!;
      const all = this.labels.subarray(start, start + count);
      y = rows === count ? all : all.filter((_, r) => this.keep![start + r] === 1);
      this.chunkLabels.set(i, y);
    }
    return y;
  }

  /** Every chunk in row order, reading the next streamed chunk while `fn` works on this one. */
  async forEach(fn: (chunk: LogitChunk) => Promise<void> | void): Promise<void> {
    let next: Promise<LogitChunk> | null = this.plans.length > 0 ? this.read(0) : null;
    for (let i = 0; i < this.plans.length; i++) {
      const chunk = await next!;
      next = i + 1 < this.plans.length ? this.read(i + 1) : null;
      try {
        await fn(chunk);
      } catch (e) {
        // The read ahead is abandoned; its failure, if any, is not the one to report.
        next?.catch(() => {});
        throw e;
      }
    }
  }

  /**
   * A copy of these logits kept for `owner` (a GPU context): made by `make` on first use, shared by
   * every later call for the same owner, released by `release()`. A `make` that fails is not kept.
   */
  copyFor<T extends Releasable>(owner: object, make: () => Promise<T>): Promise<T> {
    let copy = this.copies.get(owner) as Promise<T> | undefined;
    if (!copy) {
      copy = make();
      this.copies.set(owner, copy);
      copy.catch(() => this.copies.delete(owner));
    }
    return copy;
  }

  /** Drops the held host chunks and releases every copy; a later pass reads the source again. */
  release(): void {
    this.held.clear();
    this.chunkLabels.clear();
    const copies = [...this.copies.values()];
    this.copies.clear();
    for (const copy of copies) copy.then((c) => c.release()).catch(() => {});
  }

  private compact(i: number, data: Float32Array): LogitChunk {
    const { cols, keep } = this;
    const { start, count, r0, rows } = this.plans[i]!;
    const labels = this.labelsOf(i);
    if (!keep || rows === count) return { r0, rows, cols, z: data, labels };
    const z = new Float32Array(rows * cols);
    for (let r = 0, j = 0; r < count; r++) {
      if (keep[start + r]) z.set(data.subarray(r * cols, (r + 1) * cols), j++ * cols);
    }
    return { r0, rows, cols, z, labels };
  }
}
