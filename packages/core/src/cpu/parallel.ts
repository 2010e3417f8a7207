import { platform } from '#platform';
import type {
  MatmulOptions,
  NllGradOptions,
  NllGradResult,
  RowMoments,
  RowPass,
  RowPassOptions,
  RowStats,
  RowStatsOptions,
  SoftmaxOptions,
} from '../backend/backend.ts';
import { InputError } from '../errors.ts';
import type { RowPool } from '../platform/platform.ts';
import { columnsLike, columnsOf, copyColumns, sliceColumns } from './columns.ts';
import { matmulCpu } from './matmul.ts';
import { type GemmRunner, KernelMemoryExhausted, MatmulKernel } from './matmul-wasm.ts';
import { addNllTerms, nllGradCpu } from './nll-grad.ts';
import { NLL_TERMS, type NllGradRowsArgs, type RowKernelName, type SoftmaxRowsArgs } from './row-kernels.ts';
import { accumulatorTask, groupRuns, type RowPassRowsArgs, summedState } from './row-pass.ts';
import { emptyRowMoments, emptyRowStats, rowPassCpu, rowStatsCpu } from './row-stats.ts';
import { softmaxCpu } from './softmax.ts';

const MAX_THREADS = 256;

/**
 * Worker threads for the CPU backend: FTCAL_CPU_THREADS when set (1 keeps all work on the calling thread),
 * else min(available cores, 8); 1 where the platform has no worker threads (a browser).
 */
export function cpuThreads(
  env: Readonly<Record<string, string | undefined>> = {
    FTCAL_CPU_THREADS: platform.env('FTCAL_CPU_THREADS'),
  },
): number {
  const raw = env.FTCAL_CPU_THREADS;
  if (raw === undefined || raw.trim() === '') {
    return platform.startRowPool ? Math.min(platform.hardwareThreads(), 8) : 1;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new InputError(
      `FTCAL_CPU_THREADS: '${raw}' is not a whole number from 1 to ${MAX_THREADS}; set it to the number of CPU threads to use (1 runs everything on the calling thread) or unset it`,
    );
  }
  return n;
}

/**
 * Below this much work (logit values, times K for nllGrad, multiply-adds for matmul) a job stays on the
 * calling thread: copying into shared memory and waking the workers would cost more than it saves.
 */
export const PARALLEL_MIN_WORK = 2_000_000;

/**
 * Inputs not already in shared memory reach the workers in slabs of at most this many values (the engine's
 * 16 Mi-value chunks are one slab), through two shared scratch buffers kept between jobs: the next slab is
 * copied while the workers run on this one, extra memory stays at two slabs whatever the input size, and
 * refilling a kept 64 MB buffer takes about 14 ms where a fresh SharedArrayBuffer costs 65 ms of page faults.
 */
const SLAB_VALUES = 2 ** 24;

/** Ranges per worker: a few each, so a worker slowed by other load on the machine does not hold up the job. */
const TASKS_PER_THREAD = 4;

/** The pool failed during a matmul; it has said so, and the kernel finishes on this thread. */
class PoolFailed extends Error {}

export interface ParallelCpuOptions {
  /**
   * Worker threads; 1 runs everything on the calling thread (the only choice in a browser). Default
   * `cpuThreads()` (FTCAL_CPU_THREADS).
   */
  threads?: number;
  /** Jobs with less work than this stay on the calling thread. Default PARALLEL_MIN_WORK. */
  minWork?: number;
  /** Values per slab of an input copied to shared memory. Default 16 Mi; tests make it small. */
  slabValues?: number;
  /** Where the one-line notice goes if the pool fails and the calling thread takes over. */
  warn?: (line: string) => void;
}

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array;

/** A shared copy of a byte mask. */
function sharedBytes(x: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(Math.max(x.length, 1)), 0, x.length);
  copy.set(x);
  return copy;
}

/** The array itself when it already lives in shared memory, else a shared copy. */
function shared<T extends Typed>(x: T): T {
  if (x.buffer instanceof SharedArrayBuffer) return x;
  const Ctor = x.constructor as new (b: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(Math.max(x.byteLength, 4)));
  const view = copy.length === x.length ? copy : (copy.subarray(0, x.length) as T);
  view.set(x as never);
  return view;
}

function sharedArray<T extends Typed>(Ctor: new (b: SharedArrayBuffer) => T, length: number): T {
  const bytes = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new Ctor(new SharedArrayBuffer(Math.max(length * bytes, 4)));
}

/** Contiguous row ranges covering [0, rows), at most `parts` of them, sizes differing by at most one. */
export function rowRanges(rows: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(rows, parts));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([Math.floor((rows * i) / n), Math.floor((rows * (i + 1)) / n)]);
  return out;
}

/** Columns shaped like `like`'s, `rows` long, as views of one SharedArrayBuffer (one allocation, not one each). */
function sharedColumns<T extends object>(like: T, rows: number): Omit<T, 'rows'> {
  const stride = Math.max(rows, 1) * 8;
  const buffer = new SharedArrayBuffer(stride * columnsOf(like).length);
  let at = 0;
  return columnsLike(like, rows, (ctor, n) => {
    const view = new (ctor as unknown as new (b: SharedArrayBuffer, o: number, n: number) => Typed)(
      buffer,
      at,
      n,
    );
    at += stride;
    return view;
  });
}

/**
 * The CPU twins' row-parallel ops (rowStats, nllGrad, softmax, matmul) split by rows over a worker pool.
 * Every row is computed by the twin's arithmetic and sums across rows are added in row order on this
 * thread, so the results equal the twins' bit for bit; small jobs, and every job when threads = 1, run the
 * twins directly (matmul: its WebAssembly kernel on this thread, which equals its twin too). Inputs are checked before they get here (CpuBackend, backend/validate.ts). If a worker fails, the pool is shut, one notice goes to `warn`, and this thread
 * finishes the job and every later one.
 */
export class ParallelCpu {
  readonly threads: number;
  readonly minWork: number;
  readonly slabValues: number;
  private readonly warn: (line: string) => void;
  private pool: RowPool | null = null;
  private failed = false;
  private tasksBefore = 0;
  private scratch: Float32Array[] = [];
  private scratchBusy = false;
  private matmulKernel: Promise<MatmulKernel | null> | null = null;

  constructor(options: ParallelCpuOptions = {}) {
    const threads = options.threads ?? cpuThreads();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`cpu threads must be a whole number ≥ 1, got ${threads}`);
    }
    if (threads > 1 && !platform.startRowPool) {
      throw new InputError({
        code: 'option',
        problem: `${threads} CPU threads were asked for, but this platform has no worker threads`,
        fix: 'leave the thread count out or set {option}: the CPU backend runs on the calling thread here',
        option: { name: 'threads', value: 1 },
      });
    }
    this.threads = threads;
    this.minWork = options.minWork ?? PARALLEL_MIN_WORK;
    this.slabValues = options.slabValues ?? SLAB_VALUES;
    this.warn = options.warn ?? platform.warn;
  }

  /** Row ranges the workers have finished; 0 means every job so far ran on the calling thread. */
  get tasksDone(): number {
    return this.tasksBefore + (this.pool?.tasksDone ?? 0);
  }

  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    if (!this.wanted(z.length)) return rowStatsCpu(z, rows, cols, options);
    const pass = await this.pass(z, rows, cols, options, false);
    return pass ? pass.stats : rowStatsCpu(z, rows, cols, options);
  }

  async rowPass(z: Float32Array, rows: number, cols: number, options: RowPassOptions): Promise<RowPass> {
    if (!this.wanted(z.length)) return rowPassCpu(z, rows, cols, options);
    const pass = await this.pass(z, rows, cols, options, true);
    return pass ? (pass as RowPass) : rowPassCpu(z, rows, cols, options);
  }

  /** rowPassRows over the pool; null when the pool failed and the caller must do the job itself. */
  private async pass(
    z: Float32Array,
    rows: number,
    cols: number,
    options: RowPassOptions,
    withMoments: boolean,
  ): Promise<{ stats: RowStats; moments: RowMoments | null; accumulated: Float64Array[] } | null> {
    const groups = shared(options.groups);
    const labels = options.labels ? shared(options.labels) : null;
    const keep = options.keep ? sharedBytes(options.keep) : null;
    const stats = sharedColumns(emptyRowStats(0), rows);
    const moments = withMoments ? sharedColumns(emptyRowMoments(0), rows) : null;
    const jobs = options.accumulators ?? [];
    const totals = jobs.map((job) => new Float64Array(accumulatorTask(job, cols, []).length));
    const slabs: ReturnType<typeof accumulatorTask>[][] = [];
    const base = {
      cols,
      groups,
      runs: groupRuns(options.groups),
      invT: Math.fround(1 / (options.temperature ?? 1)),
      computeStats: true,
    };
    const argsFor = (
      slab: Float32Array,
      r0: number,
      r1: number,
      ranges: [number, number][],
    ): RowPassRowsArgs => {
      // Each range of this slab gets a state of its own; they are summed in range order afterwards.
      const tasks = jobs.map((job) =>
        accumulatorTask(
          job,
          cols,
          ranges.map(([a]) => a),
          (n) => sharedArray(Float64Array, n),
        ),
      );
      slabs.push(tasks);
      return {
        ...base,
        z: slab,
        labels: labels ? labels.subarray(r0, r1) : null,
        stats: sliceColumns(stats, r0, r1),
        moments: moments ? sliceColumns(moments, r0, r1) : null,
        keep: keep ? keep.subarray(r0, r1) : null,
        accumulators: tasks,
      };
    };
    if (!(await this.runRows('rowPassRows', z, rows, this.slabRows(cols), argsFor))) return null;
    const owned = <T extends { rows: number }>(into: T, from: Omit<T, 'rows'>): T => {
      copyColumns(into, from as T, 0);
      return into;
    };
    for (const tasks of slabs) {
      tasks.forEach((t, j) => {
        summedState(t, totals[j]);
      });
    }
    return {
      // Callers get ordinary arrays, exactly like the twin's, not views of memory the workers can reach.
      stats: owned(emptyRowStats(rows), stats),
      moments: moments ? owned(emptyRowMoments(rows), moments) : null,
      accumulated: totals,
    };
  }

  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    const k = options.candidates.length / 2;
    if (!this.wanted(z.length * k)) return nllGradCpu(z, rows, cols, options);
    const groups = shared(options.groups);
    const labels = shared(options.labels);
    const candidates = shared(options.candidates);
    const terms = sharedArray(Float64Array, rows * k * NLL_TERMS);
    const argsFor = (slab: Float32Array, r0: number, r1: number): NllGradRowsArgs => ({
      z: slab,
      cols,
      groups,
      labels: labels.subarray(r0, r1),
      candidates,
      terms: terms.subarray(r0 * k * NLL_TERMS, r1 * k * NLL_TERMS),
    });
    if (!(await this.runRows('nllGradRows', z, rows, this.slabRows(cols), argsFor))) {
      return nllGradCpu(z, rows, cols, options);
    }
    const nll = new Float64Array(k);
    const grad = new Float64Array(2 * k);
    const hess = new Float64Array(3 * k);
    addNllTerms(terms, rows, k, nll, grad, hess);
    return { k, rows, nll, grad, hess };
  }

  async softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options: SoftmaxOptions = {},
  ): Promise<Float32Array> {
    if (!this.wanted(z.length)) return softmaxCpu(z, rows, cols, options);
    const gamma = Math.fround(options.gamma ?? 0);
    const groups = shared(options.groups ?? new Uint32Array(cols));
    const invT = Math.fround(1 / (options.temperature ?? 1));
    const log = options.log ?? false;
    const out = sharedArray(Float32Array, rows * cols);
    const argsFor = (slab: Float32Array, r0: number, r1: number): SoftmaxRowsArgs => ({
      z: slab,
      cols,
      groups,
      gamma,
      invT,
      log,
      out: out.subarray(r0 * cols, r1 * cols),
    });
    if (!(await this.runRows('softmaxRows', z, rows, this.slabRows(cols), argsFor))) {
      return softmaxCpu(z, rows, cols, options);
    }
    return out.slice();
  }

  /**
   * The WebAssembly SIMD kernel (matmul-wasm.ts): its row ranges on the workers when the job is large
   * enough, else on this thread; matmulCpu where there is no WebAssembly SIMD or the job exceeds the
   * kernel's 4 GiB memory. All three give the same bits.
   */
  async matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: MatmulOptions = {},
  ): Promise<Float32Array> {
    // A shared memory only with workers: a browser page that is not cross-origin isolated has none.
    this.matmulKernel ??= MatmulKernel.load(this.threads > 1);
    const kernel = await this.matmulKernel;
    if (!kernel) return matmulCpu(a, b, m, n, k, options);
    const pooled = this.wanted((options.batch ?? 1) * m * n * k);
    const run: GemmRunner = async (job, ranges) => {
      if (!(await this.runJob('matmulRowsWasm', job, ranges))) throw new PoolFailed();
    };
    try {
      return await kernel.matmul(
        a,
        b,
        m,
        n,
        k,
        options,
        pooled ? this.threads * TASKS_PER_THREAD : 1,
        pooled ? run : null,
      );
    } catch (e) {
      if (e instanceof PoolFailed) return kernel.matmul(a, b, m, n, k, options, 1, null);
      if (e instanceof KernelMemoryExhausted) return matmulCpu(a, b, m, n, k, options);
      throw e;
    }
  }

  /** Stops the workers (the process can then exit); a later large job starts new ones. */
  close(): void {
    this.scratch = [];
    this.matmulKernel = null;
    this.scratchBusy = false;
    if (!this.pool) return;
    this.tasksBefore += this.pool.tasksDone;
    this.pool.close();
    this.pool = null;
  }

  /**
   * Runs `kernel` over `count` independent items (bootstrap replicates) in ranges spread over the
   * workers, for `work` units of work in all. False when the pool is not for this job (one thread, a
   * failed pool, less work than minWork): the caller runs the items on this thread.
   */
  async runItems(kernel: RowKernelName, args: unknown, count: number, work: number): Promise<boolean> {
    if (!this.wanted(work)) return false;
    return this.runJob(kernel, args, rowRanges(count, this.threads * TASKS_PER_THREAD));
  }

  private wanted(work: number): boolean {
    return this.threads > 1 && !this.failed && work >= this.minWork;
  }

  /**
   * Runs the kernel over `rows` rows of `input`, one slab of `perSlab` rows at a time (the whole input when
   * it is already shared); `argsFor(slab, r0, r1)` gives the kernel's arguments for rows [r0, r1), whose
   * row r0 is row 0 of `slab`. False when the pool failed and the caller must do the job itself.
   */
  private async runRows(
    kernel: RowKernelName,
    input: Float32Array,
    rows: number,
    perSlab: number,
    argsFor: (slab: Float32Array, r0: number, r1: number, ranges: [number, number][]) => unknown,
  ): Promise<boolean> {
    const inShared = input.buffer instanceof SharedArrayBuffer;
    // A job running beside another (callers may not await in turn) copies into buffers of its own.
    const own = !inShared && !this.scratchBusy;
    if (own) this.scratchBusy = true;
    const width = rows > 0 ? input.length / rows : 0;
    const step = inShared ? Math.max(rows, 1) : Math.max(perSlab, 1);
    const slab = (r0: number, i: number): Float32Array => {
      const src = input.subarray(r0 * width, Math.min(rows, r0 + step) * width);
      if (inShared) return src;
      const dst = this.buffer(own, i % 2, src.length);
      dst.set(src);
      return dst;
    };
    try {
      let z = slab(0, 0);
      for (let r0 = 0, i = 0; r0 < rows; r0 += step, i++) {
        const r1 = Math.min(rows, r0 + step);
        const ranges = rowRanges(r1 - r0, this.threads * TASKS_PER_THREAD);
        const job = this.runJob(kernel, argsFor(z, r0, r1, ranges), ranges);
        // The workers read this slab while this thread fills the other buffer with the next one.
        if (r1 < rows) z = slab(r1, i + 1);
        if (!(await job)) return false;
      }
      return true;
    } finally {
      if (own) this.scratchBusy = false;
    }
  }

  /**
   * One job on the pool. False when the pool failed (then it is shut, one notice has gone to `warn`, and
   * the caller must do the job itself, as every later job runs on this thread).
   */
  private async runJob(
    kernel: RowKernelName,
    args: unknown,
    ranges: readonly (readonly [number, number])[],
  ): Promise<boolean> {
    // wanted() sends nothing here unless threads > 1, which the constructor allows only with a pool.
    this.pool ??= platform.startRowPool!(this.threads);
    try {
      await this.pool.run(kernel, args, ranges);
      return true;
    } catch (e) {
      if (!this.failed) {
        this.failed = true;
        this.warn(
          `ftcal: the CPU worker threads failed (${e instanceof Error ? e.message : String(e)}); continuing on one thread`,
        );
      }
      this.close();
      return false;
    }
  }

  /** Rows of `cols` values per slab. */
  private slabRows(cols: number): number {
    return Math.max(1, Math.floor(this.slabValues / cols));
  }

  /** n shared values: one of the two kept scratch buffers when the job owns them, else a new buffer. */
  private buffer(own: boolean, which: number, n: number): Float32Array {
    if (!own || n > this.slabValues) return sharedArray(Float32Array, n);
    let b = this.scratch[which];
    if (!b || b.length < n) {
      b = sharedArray(Float32Array, n);
      this.scratch[which] = b;
    }
    return b.subarray(0, n);
  }
}
