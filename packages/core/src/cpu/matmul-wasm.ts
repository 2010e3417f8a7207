import type { MatmulOptions } from '../backend/backend.ts';
import { sharesB } from '../backend/validate.ts';
import { bytes, unsharedBytes } from './matmul.wat';

/**
 * The driver of the WebAssembly SIMD matmul (matmul.wat): it packs B, copies A in and C out, and runs the
 * kernel's row ranges on this thread or, given a runner, on the CPU pool's workers, which share the
 * kernel's memory. Results are matmulCpu's bit for bit, whatever the thread count (matmul.wat says why).
 */

/** Rows per tile and columns per packed panel of B: matmul.wat's 4×8 tile. */
const MR = 4;
const NR = 8;
/** One packed A block per range, MC·KC·16 bytes (matmul.wat's MC = 64, KC = 256). */
const SCRATCH_BYTES = 64 * 256 * 16;
const PAGE = 65536;
/** matmul.wat declares its memory's maximum at 65536 pages (4 GiB). */
const MAX_PAGES = 65536;
/** Rows of A and C go through the kernel's memory in pieces of at most about this many bytes, two at once. */
const REGION_BYTES = 32 * 1024 * 1024;
/**
 * Pieces per matrix on the pool, so copies overlap the workers' compute; but none under 8 MiB, where the
 * copies are too short to hide and each piece would be one more wait for the slowest worker.
 */
const PIECES = 4;
const MIN_PIECE_BYTES = 8 * 1024 * 1024;

/**
 * The part of the WebAssembly JS API used here, typed locally: core's lib (es2023) has no WebAssembly
 * types, and borrowing lib.dom's would put them into every consumer's declarations.
 */
interface WasmApi {
  validate(code: Uint8Array): boolean;
  compile(code: Uint8Array): Promise<WasmModule>;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}
/** A compiled module; opaque here, and clonable to a worker thread. */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface GemmExports {
  gemm(
    a: number,
    sm: number,
    sk: number,
    rows: number,
    k: number,
    pb: number,
    npad: number,
    c: number,
    hasBias: number,
    bias: number,
    scratch: number,
  ): void;
  KC: { value: number };
  MC: { value: number };
}

/** One chunk of kernel work, as a worker gets it: addresses in the shared memory, strides in floats. */
export interface GemmJob {
  module: WasmModule;
  memory: WasmMemory;
  /** Which memory this is, so a worker instantiates the kernel once per memory. */
  id: number;
  /** Element (0, 0) of op(A) for the chunk, and op(A)'s strides between rows and between steps of K. */
  a: number;
  sm: number;
  sk: number;
  k: number;
  pb: number;
  npad: number;
  c: number;
  hasBias: number;
  bias: number;
  scratch: number;
  /** The first row of each range; range i packs A in scratch slot i. */
  starts: number[];
}

/** Runs `matmulRowsWasm` on every range of a job (the CPU pool does), resolving when all are done. */
export type GemmRunner = (job: GemmJob, ranges: [number, number][]) => Promise<void>;

let nextMemoryId = 1;

/** A call needs more kernel memory than can be had; matmulCpu computes it instead. */
export class KernelMemoryExhausted extends Error {}

/** The kernel compiled, the memory it works in and this thread's instance; one per CPU backend. */
export class MatmulKernel {
  private readonly job: Pick<GemmJob, 'module' | 'memory' | 'id'>;
  private readonly exports: GemmExports;
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    module: WasmModule,
    memory: WasmMemory,
    private readonly maxPages: number,
  ) {
    this.job = { module, memory, id: nextMemoryId++ };
    this.exports = instantiate(module, memory);
  }

  /**
   * The kernel with a shared memory (for worker threads) or an ordinary one, of at most `maxPages` of 64 KiB
   * (tests make it small); null where this runtime has no WebAssembly SIMD (the caller then uses
   * matmulCpu, which gives the same results).
   */
  static async load(shared: boolean, maxPages = MAX_PAGES): Promise<MatmulKernel | null> {
    const code = shared ? bytes : unsharedBytes;
    if (!wasm || !code || !wasm.validate(code)) return null;
    const module = await wasm.compile(code);
    const memory = new wasm.Memory({ initial: 1, maximum: Math.min(maxPages, MAX_PAGES), shared });
    return new MatmulKernel(module, memory, Math.min(maxPages, MAX_PAGES));
  }

  /** The kernel's blocking constants, for the test that holds matmul.wat and this driver to each other. */
  get constants(): { kc: number; mc: number; scratchBytes: number } {
    return { kc: this.exports.KC.value, mc: this.exports.MC.value, scratchBytes: SCRATCH_BYTES };
  }

  /**
   * C = op(A)·op(B) + bias, in `parts` row ranges per piece: on `run` (the pool) when given, else here.
   * Calls take turns, since they share the memory. A call whose working set the memory cannot grow to
   * (4 GiB at most) throws KernelMemoryExhausted.
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: MatmulOptions,
    parts: number,
    run: GemmRunner | null,
  ): Promise<Float32Array> {
    const result = this.turn.then(() => this.compute(a, b, m, n, k, options, parts, run));
    this.turn = result.catch(() => {});
    return result;
  }

  private async compute(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: MatmulOptions,
    parts: number,
    run: GemmRunner | null,
  ): Promise<Float32Array> {
    const batch = options.batch ?? 1;
    const transA = options.transA === true;
    const transB = options.transB === true;
    const oneB = sharesB(b, n, k, batch);
    const npad = Math.ceil(n / NR) * NR;
    // Rows of C per piece: A's rows (unless transposed: then all of one A is in memory) and C's, padded.
    // On the pool, a matrix goes in several pieces, so that this thread copies one piece's C out and the
    // next piece's A in while the workers compute (two regions, used in turn).
    const rowBytes = (transA ? 0 : k * 4) + npad * 4;
    const want = run ? Math.max(Math.ceil(m / PIECES), Math.ceil(MIN_PIECE_BYTES / rowBytes)) : m;
    const piece = Math.min(
      Math.ceil(want / MR) * MR,
      Math.max(MR, Math.floor(REGION_BYTES / rowBytes / MR) * MR),
    );
    // Layout: scratch slots, packed B, bias, all of a transposed A, then two regions of A and C rows.
    const pb = parts * SCRATCH_BYTES;
    const biasAt = pb + npad * k * 4;
    const wholeA = biasAt + npad * 4;
    const regionAt = wholeA + (transA ? m * k * 4 : 0);
    const regionBytes = piece * rowBytes;
    this.reserve(regionAt + 2 * regionBytes);
    const buffer = this.job.memory.buffer;
    const f32 = (at: number, length: number) => new Float32Array(buffer, at, length);
    const packed = f32(pb, npad * k);
    if (options.bias) {
      const biasIn = f32(biasAt, npad);
      biasIn.fill(0);
      biasIn.set(options.bias);
    }
    const regions = [0, 1].map((i) => {
      const aAt = regionAt + i * regionBytes;
      const cAt = aAt + (transA ? 0 : piece * k * 4);
      return { aAt, cAt, c: f32(cAt, piece * npad) };
    });
    const out = new Float32Array(batch * m * n);
    const copyOut = (e: number, m0: number, rows: number, c: Float32Array) => {
      const at = (e * m + m0) * n;
      if (npad === n) out.set(c.subarray(0, rows * n), at);
      else for (let r = 0; r < rows; r++) out.set(c.subarray(r * npad, r * npad + n), at + r * n);
    };
    for (let e = 0; e < batch; e++) {
      if (e === 0 || !oneB) packB(packed, b, oneB ? 0 : e * k * n, n, k, npad, transB);
      if (transA) f32(wholeA, m * k).set(a.subarray(e * m * k, (e + 1) * m * k));
      const copyIn = (m0: number, rows: number, i: number) => {
        if (!transA)
          f32(regions[i % 2]!.aAt, rows * k).set(a.subarray((e * m + m0) * k, (e * m + m0 + rows) * k));
      };
      copyIn(0, Math.min(piece, m), 0);
      for (let m0 = 0, i = 0; m0 < m; m0 += piece, i++) {
        const rows = Math.min(piece, m - m0);
        const region = regions[i % 2]!;
        const ranges = tileRanges(rows, parts);
        const job: GemmJob = {
          ...this.job,
          a: transA ? wholeA + m0 * 4 : region.aAt,
          sm: transA ? 1 : k,
          sk: transA ? m : 1,
          k,
          pb,
          npad,
          c: region.cAt,
          hasBias: options.bias ? 1 : 0,
          bias: biasAt,
          scratch: 0,
          starts: ranges.map(([r0]) => r0),
        };
        let running: Promise<void> | null = null;
        if (run && ranges.length > 1) running = run(job, ranges);
        else for (const [r0, r1] of ranges) gemmRows(this.exports, job, r0, r1);
        if (i > 0) copyOut(e, m0 - piece, piece, regions[(i - 1) % 2]!.c);
        if (m0 + piece < m) copyIn(m0 + piece, Math.min(piece, m - m0 - piece), i + 1);
        if (running) await running;
        if (m0 + piece >= m) copyOut(e, m0, rows, region.c);
      }
    }
    return out;
  }

  /** Grows the memory to at least `size` bytes; it keeps that size until the backend is disposed. */
  private reserve(size: number): void {
    const pages = Math.ceil(size / PAGE);
    const have = this.job.memory.buffer.byteLength / PAGE;
    if (pages <= have) return;
    try {
      if (pages > this.maxPages) throw new RangeError(`more than its ${this.maxPages} pages of 64 KiB`);
      this.job.memory.grow(pages - have);
    } catch (e) {
      throw new KernelMemoryExhausted(`matmul: ${size} bytes of kernel memory: ${(e as Error).message}`);
    }
  }
}

function instantiate(module: WasmModule, memory: WasmMemory): GemmExports {
  return new wasm!.Instance(module, { env: { memory } }).exports as GemmExports;
}

function gemmRows(kernel: GemmExports, job: GemmJob, r0: number, r1: number): void {
  const slot = job.starts.indexOf(r0);
  kernel.gemm(
    job.a + r0 * job.sm * 4,
    job.sm,
    job.sk,
    r1 - r0,
    job.k,
    job.pb,
    job.npad,
    job.c + r0 * job.npad * 4,
    job.hasBias,
    job.bias,
    job.scratch + slot * SCRATCH_BYTES,
  );
}

/** Up to `parts` ranges of whole tiles covering [0, rows), the last one ending at `rows`. */
function tileRanges(rows: number, parts: number): [number, number][] {
  const tiles = Math.ceil(rows / MR);
  const n = Math.max(1, Math.min(tiles, parts));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const t0 = Math.floor((tiles * i) / n);
    const t1 = Math.floor((tiles * (i + 1)) / n);
    out.push([t0 * MR, Math.min(rows, t1 * MR)]);
  }
  return out;
}

/**
 * B's panels (matmul.wat's layout): panel j holds, for each step p, op(B)(p, 8j … 8j+7), zeros past N.
 * B is read in its stored order, so each read is sequential.
 */
function packB(
  dst: Float32Array,
  b: Float32Array,
  off: number,
  n: number,
  k: number,
  npad: number,
  transB: boolean,
): void {
  if (npad !== n) dst.fill(0, (npad - NR) * k, npad * k);
  if (transB) {
    // B is N×K: column j of op(B) is row j of B.
    for (let j = 0; j < n; j++) {
      const src = off + j * k;
      const base = (j >> 3) * k * NR + (j & 7);
      for (let p = 0; p < k; p++) dst[base + p * NR] = b[src + p]!;
    }
    return;
  }
  for (let p = 0; p < k; p++) {
    const src = off + p * n;
    for (let j = 0; j < n; j++) dst[(j >> 3) * k * NR + p * NR + (j & 7)] = b[src + j]!;
  }
}

/** Instances on this worker thread, by memory id (one memory per CPU backend, so one entry in practice). */
const instances = new Map<number, GemmExports>();

/** A worker's part of a GemmJob (the CPU pool's `matmulRowsWasm` kernel): C rows [r0, r1). */
export function matmulRowsWasm(job: GemmJob, r0: number, r1: number): void {
  let kernel = instances.get(job.id);
  if (!kernel) {
    instances.clear();
    kernel = instantiate(job.module, job.memory);
    instances.set(job.id, kernel);
  }
  gemmRows(kernel, job, r0, r1);
}
