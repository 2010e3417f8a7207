import {
  checkShape,
  checkTemperature,
  groupsOrSeen,
  type MatmulOptions,
  type NllGradOptions,
  type NllGradResult,
  type RowStats,
  type RowStatsOptions,
  type SoftmaxOptions,
} from '../backend/backend.ts';
import { matmulCpu } from './matmul.ts';
import { checkNllGradInputs, nllGradCpu } from './nll-grad.ts';
import { cpuThreads, WorkerPool } from './pool.ts';
import {
  type MatmulRowsArgs,
  matmulRows,
  NLL_TERMS,
  type NllGradRowsArgs,
  nllGradRows,
  type RowStatsRowsArgs,
  rowStatsRows,
  type SoftmaxRowsArgs,
  softmaxRows,
} from './row-kernels.ts';
import { emptyRowStats, rowStatsCpu } from './row-stats.ts';
import { softmaxCpu } from './softmax.ts';

const KERNELS = { rowStatsRows, nllGradRows, softmaxRows, matmulRows };
type KernelName = keyof typeof KERNELS;

/**
 * Below this much work (logit values, times K for nllGrad, multiply-adds for matmul) a job stays on the
 * calling thread: copying into shared memory and waking the workers would cost more than it saves.
 */
export const PARALLEL_MIN_WORK = 2_000_000;

/**
 * The logits go through one shared scratch buffer kept between jobs: a fresh 64 MB SharedArrayBuffer per
 * engine chunk costs about 65 ms of page faults and zeroing on this thread, refilling the kept one 14 ms.
 * Larger inputs get a buffer of their own, so a one-off huge job does not pin its size in memory.
 */
const MAX_SCRATCH_VALUES = 2 ** 26;

/** Ranges per worker: a few each, so a worker slowed by other load on the machine does not hold up the job. */
const TASKS_PER_THREAD = 4;

export interface ParallelCpuOptions {
  /** Worker threads; 1 runs everything on the calling thread. Default `cpuThreads()` (FTCAL_CPU_THREADS). */
  threads?: number;
  /** Jobs with less work than this stay on the calling thread. Default PARALLEL_MIN_WORK. */
  minWork?: number;
  /** Where the one-line notice goes if the pool fails and the calling thread takes over. */
  warn?: (line: string) => void;
}

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array;

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

/**
 * The CPU twins' row-parallel ops (rowStats, nllGrad, softmax, matmul) split by rows over a worker pool.
 * Every row is computed by the twin's arithmetic and sums across rows are added in row order on this
 * thread, so the results equal the twins' bit for bit; small jobs, and every job when threads = 1, run the
 * twins directly. If a worker fails, the pool is shut, one notice goes to `warn`, and this thread
 * finishes the job and every later one.
 */
export class ParallelCpu {
  readonly threads: number;
  readonly minWork: number;
  private readonly warn: (line: string) => void;
  private pool: WorkerPool | null = null;
  private failed = false;
  private tasksBefore = 0;
  private scratch: Float32Array | null = null;
  private scratchBusy = false;

  constructor(options: ParallelCpuOptions = {}) {
    const threads = options.threads ?? cpuThreads();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`cpu threads must be a whole number ≥ 1, got ${threads}`);
    }
    this.threads = threads;
    this.minWork = options.minWork ?? PARALLEL_MIN_WORK;
    this.warn = options.warn ?? ((line) => process.emitWarning(line));
  }

  /** Row ranges the workers have finished; 0 means every job so far ran on the calling thread. */
  get tasksDone(): number {
    return this.tasksBefore + (this.pool?.tasksDone ?? 0);
  }

  async rowStats(z: Float32Array, rows: number, cols: number, options: RowStatsOptions): Promise<RowStats> {
    const { groups, labels } = options;
    const t = options.temperature ?? 1;
    const valid =
      z.length === rows * cols &&
      groups.length === cols &&
      (!labels || labels.length === rows) &&
      t > 0 &&
      Number.isFinite(t);
    // Bad input goes to the twin so that its checks, and their messages, are the only ones.
    if (!valid || !this.wanted(z.length)) return rowStatsCpu(z, rows, cols, options);
    checkShape('rowStats', z, rows, cols);
    const args: RowStatsRowsArgs = {
      z: this.lend(z),
      cols,
      groups: shared(groups),
      labels: labels ? shared(labels) : null,
      invT: Math.fround(1 / t),
      maxSO: sharedArray(Float32Array, rows),
      argSO: sharedArray(Int32Array, rows),
      maxU: sharedArray(Float32Array, rows),
      argU: sharedArray(Int32Array, rows),
      maxS: sharedArray(Float32Array, rows),
      argS: sharedArray(Int32Array, rows),
      label: sharedArray(Float32Array, rows),
      sumS: sharedArray(Float32Array, rows),
      sumU: sharedArray(Float32Array, rows),
      lseSO: sharedArray(Float32Array, rows),
      lseU: sharedArray(Float32Array, rows),
    };
    if (!(await this.runRows('rowStatsRows', args, rows, args.z))) return rowStatsCpu(z, rows, cols, options);
    // Callers get ordinary arrays, exactly like the twin's, not views of memory the workers can reach.
    const out = emptyRowStats(rows);
    for (const key of Object.keys(out) as (keyof RowStats)[]) {
      if (key !== 'rows') (out[key] as Typed).set(args[key] as never);
    }
    return out;
  }

  async nllGrad(
    z: Float32Array,
    rows: number,
    cols: number,
    options: NllGradOptions,
  ): Promise<NllGradResult> {
    const k = options.candidates.length / 2;
    if (!this.wanted(z.length * k)) return nllGradCpu(z, rows, cols, options);
    checkShape('nllGrad', z, rows, cols);
    checkNllGradInputs(rows, cols, options);
    const args: NllGradRowsArgs = {
      z: this.lend(z),
      cols,
      groups: shared(options.groups),
      labels: shared(options.labels),
      candidates: shared(options.candidates),
      terms: sharedArray(Float64Array, rows * k * NLL_TERMS),
    };
    if (!(await this.runRows('nllGradRows', args, rows, args.z))) return nllGradCpu(z, rows, cols, options);
    const nll = new Float64Array(k);
    const grad = new Float64Array(2 * k);
    const hess = new Float64Array(3 * k);
    const { terms } = args;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < k; j++) {
        const o = (r * k + j) * NLL_TERMS;
        nll[j]! += terms[o]!;
        grad[2 * j]! += terms[o + 1]!;
        grad[2 * j + 1]! += terms[o + 2]!;
        hess[3 * j]! += terms[o + 3]!;
        hess[3 * j + 1]! += terms[o + 4]!;
        hess[3 * j + 2]! += terms[o + 5]!;
      }
    }
    return { k, rows, nll, grad, hess };
  }

  async softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options: SoftmaxOptions = {},
  ): Promise<Float32Array> {
    if (!this.wanted(z.length)) return softmaxCpu(z, rows, cols, options);
    checkShape('softmax', z, rows, cols);
    const gamma = Math.fround(options.gamma ?? 0);
    const t = options.temperature ?? 1;
    checkTemperature(t);
    const args: SoftmaxRowsArgs = {
      z: this.lend(z),
      cols,
      groups: shared(groupsOrSeen(options.groups, cols)),
      gamma,
      invT: Math.fround(1 / t),
      log: options.log ?? false,
      out: sharedArray(Float32Array, rows * cols),
    };
    if (!(await this.runRows('softmaxRows', args, rows, args.z))) return softmaxCpu(z, rows, cols, options);
    return args.out.slice();
  }

  async matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: MatmulOptions = {},
  ): Promise<Float32Array> {
    const batch = options.batch ?? 1;
    const bias = options.bias ?? null;
    const sharedB = b.length === k * n && batch > 1;
    const valid =
      [m, n, k, batch].every((v) => Number.isInteger(v) && v >= 1) &&
      a.length === batch * m * k &&
      (sharedB || b.length === batch * k * n) &&
      (!bias || bias.length === n);
    if (!valid || !this.wanted(batch * m * n * k)) return matmulCpu(a, b, m, n, k, options);
    const args: MatmulRowsArgs = {
      a: this.lend(a),
      b: shared(b),
      bias: bias ? shared(bias) : null,
      m,
      n,
      k,
      transA: options.transA ?? false,
      transB: options.transB ?? false,
      sharedB,
      out: sharedArray(Float32Array, batch * m * n),
    };
    if (!(await this.runRows('matmulRows', args, batch * m, args.a)))
      return matmulCpu(a, b, m, n, k, options);
    return args.out.slice();
  }

  /** Stops the workers (the process can then exit); a later large job starts new ones. */
  close(): void {
    this.scratch = null;
    this.scratchBusy = false;
    if (!this.pool) return;
    this.tasksBefore += this.pool.tasksDone;
    this.pool.close();
    this.pool = null;
  }

  private wanted(work: number): boolean {
    return this.threads > 1 && !this.failed && work >= this.minWork;
  }

  /** `x` in shared memory: itself if it is already there, else copied into the scratch or a new buffer. */
  private lend(x: Float32Array): Float32Array {
    if (x.buffer instanceof SharedArrayBuffer) return x;
    if (this.scratchBusy || x.length > MAX_SCRATCH_VALUES) return shared(x);
    if (!this.scratch || this.scratch.length < x.length) this.scratch = sharedArray(Float32Array, x.length);
    this.scratchBusy = true;
    const view = this.scratch.subarray(0, x.length);
    view.set(x);
    return view;
  }

  /**
   * Runs the kernel over all rows on the pool, then frees the scratch if `lent` is in it; false when the
   * pool failed and the caller must do the job itself.
   */
  private async runRows(
    kernel: KernelName,
    args: unknown,
    rows: number,
    lent: Float32Array,
  ): Promise<boolean> {
    this.pool ??= new WorkerPool(KERNELS, this.threads);
    try {
      await this.pool.run(kernel, args, rowRanges(rows, this.threads * TASKS_PER_THREAD));
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
    } finally {
      if (lent.buffer === this.scratch?.buffer) this.scratchBusy = false;
    }
  }
}
