import {
  type KernelDescriptor,
  NLL_GRAD_KMAX,
  NLL_GRAD_TERMS,
  nllGradKernel,
  nllGradReduceKernel,
  nllGradSubgroupKernel,
} from '@ftcal/kernels';
import type { NllGradOptions, NllGradResult, NllPassOptions } from '../backend/backend.ts';
import type { ResidentLogits } from '../backend/resident-logits.ts';
import { type GpuContext, rowGrid } from '../gpu/context.ts';
import { deviceLogits } from './device-logits.ts';
import { canRun, type DeviceTraits, subgroupWorkgroup } from './kernel-variants.ts';
import { GpuBuffers, planRowChunks, runRowChunks } from './row-runner.ts';

/** Enough workgroups to fill a large GPU; beyond that each workgroup takes more rows. */
const TARGET_WORKGROUPS = 4096;
/**
 * Most rows one thread's running sums take before the workgroup's tree: every long sum of the pass is a
 * tree above this (threads, workgroups, row chunks), so 10⁸ rows keep the f32 sums within ~1e-6 of the
 * mean (docs/kernels.md; test/nll-sums.test.ts checks the scheme at that scale).
 */
export const MAX_ROWS_PER_THREAD = 64;
/** Values one candidate chunk's sums take in a slot (6 terms × KMAX candidates). */
const SLOT_VALUES = NLL_GRAD_TERMS * NLL_GRAD_KMAX;
/** The reduce kernel's workgroup: each thread adds every 256th partial before its tree. */
export const REDUCE_WG = 256;
/** Rows this short stay on one thread per row (no merging at all), subgroups or not. */
const SUBGROUP_MIN_COLS = 25;
/** Threads per workgroup of the no-subgroup variant. */
export const FALLBACK_WG = 64;

/** How stage 1 runs on a device for rows of `cols`: the variant, its constants, rows per row step. */
export interface NllStage1 {
  kernel: KernelDescriptor;
  constants: Record<string, number>;
  /** Row slots of a workgroup: rows it works on at once (for the subgroup variant, with the smallest subgroups). */
  rowsPerStep: number;
}

/**
 * Threads per row of the no-subgroup variant, from three only (each a pipeline to compile, seconds on
 * llvmpipe): one thread per row for short rows, 8 for medium, the whole workgroup of 64 for long rows.
 */
export function nllGradLanes(cols: number): number {
  if (cols < SUBGROUP_MIN_COLS) return 1;
  return cols <= 384 ? 8 : FALLBACK_WG;
}

/**
 * The stage-1 variant for rows of `cols`: one subgroup per row where the device has subgroups and rows
 * are long enough to share (unless `fallback` asks for the other), else nllGradLanes threads per row.
 * Chosen when the pipeline is made, from the device's features; nothing depends on a subgroup size.
 */
export function nllStage1(device: DeviceTraits, cols: number, fallback = false): NllStage1 {
  if (!fallback && cols >= SUBGROUP_MIN_COLS && canRun(device, nllGradSubgroupKernel)) {
    const { WG, items } = subgroupWorkgroup(device);
    return { kernel: nllGradSubgroupKernel, constants: { WG, SLOTS: (2 * WG) / 4 }, rowsPerStep: items };
  }
  const lanes = nllGradLanes(cols);
  return {
    kernel: nllGradKernel,
    constants: { WG: FALLBACK_WG, LANES: lanes, SLOTS: 2 * FALLBACK_WG },
    rowsPerStep: FALLBACK_WG / lanes,
  };
}

/** Rows per workgroup for a dispatch of `rows`: row steps of `rowsPerStep`, at most MAX_ROWS_PER_THREAD of them. */
export function nllRowsPerGroup(rows: number, rowsPerStep: number): number {
  const steps = Math.ceil(rows / rowsPerStep);
  const iters = Math.min(MAX_ROWS_PER_THREAD, Math.max(1, Math.ceil(steps / TARGET_WORKGROUPS)));
  return rowsPerStep * iters;
}

/** Rows of one dispatch on the device: `rows`×`cols` logits and `rows` labels, each from byte 0. */
interface NllRows {
  logits: GPUBuffer;
  labels: GPUBuffer;
  rows: number;
}

function emptyResult(k: number, rows: number): NllGradResult {
  return { k, rows, nll: new Float64Array(k), grad: new Float64Array(2 * k), hess: new Float64Array(3 * k) };
}

/**
 * One pass of the calibration gradient over `slots` row chunks, whichever way their rows reached the
 * device (uploaded per call, or resident). Each chunk's stage 1 sums its rows per workgroup and its
 * stage 2 sums those into the chunk's own slot of `sums`; `finish` then sums the slots with the same
 * reduce kernel, so every long sum is a tree (per thread, per workgroup, per chunk) rather than one
 * running f32 total across chunks, and one read of 6K floats ends the pass.
 */
class NllPass {
  private readonly ctx: GpuContext;
  private readonly cols: number;
  private readonly k: number;
  private readonly slots: number;
  private readonly stage1: NllStage1;
  private readonly groups: GPUBuffer;
  private readonly candidateChunks: { buf: GPUBuffer; count: number }[] = [];
  private readonly sums: GPUBuffer;
  private readonly owned: GpuBuffers;

  constructor(ctx: GpuContext, owned: GpuBuffers, cols: number, options: NllPassOptions, slots: number) {
    const { groups, candidates } = options;
    this.ctx = ctx;
    this.owned = owned;
    this.cols = cols;
    this.k = candidates.length / 2;
    this.slots = slots;
    this.stage1 = nllStage1(ctx, cols, options.fallback);
    for (let k0 = 0; k0 < this.k; k0 += NLL_GRAD_KMAX) {
      const count = Math.min(NLL_GRAD_KMAX, this.k - k0);
      // Two banks of four lanes: γ of candidates 0–3, γ of 4–7, then their 1/T (unused lanes: 0 and 1).
      const cand = new Float32Array(16);
      cand.fill(1, 8);
      for (let j = 0; j < count; j++) {
        cand[j] = candidates[2 * (k0 + j)]!;
        cand[8 + j] = Math.exp(-candidates[2 * (k0 + j) + 1]!);
      }
      this.candidateChunks.push({ buf: owned.upload(cand, 'nll-grad-candidates'), count });
    }
    this.groups = owned.upload(groups, 'groups');
    this.sums = owned.storage(slots * this.candidateChunks.length * SLOT_VALUES * 4, 'nll-grad-sums');
  }

  /** Records chunk `slot`'s dispatches into `encoder`; its temporaries go to `temps`. */
  record(encoder: GPUCommandEncoder, temps: GpuBuffers, input: NllRows, slot: number): void {
    const { ctx, cols, stage1 } = this;
    const n = input.rows;
    const rowsPerGroup = nllRowsPerGroup(n, stage1.rowsPerStep);
    const grid = rowGrid(Math.ceil(n / rowsPerGroup), ctx.limits.maxComputeWorkgroupsPerDimension);
    const parts = grid.x * grid.y;
    const partials = temps.storage(parts * SLOT_VALUES * 4, 'nll-grad-partials');
    this.candidateChunks.forEach(({ buf, count }, c) => {
      const uniforms = temps.uniforms(stage1.kernel, { rows: n, cols, gridX: grid.x, rowsPerGroup });
      ctx.dispatch(
        stage1.kernel,
        [input.logits, this.groups, input.labels, buf, partials, uniforms],
        [grid.x, grid.y],
        { ...stage1.constants, K: count },
        encoder,
      );
      const stage2 = temps.uniforms(nllGradReduceKernel, {
        count: NLL_GRAD_TERMS * count,
        parts,
        offset: (slot * this.candidateChunks.length + c) * SLOT_VALUES,
      });
      ctx.dispatch(nllGradReduceKernel, [partials, this.sums, stage2], [NLL_GRAD_TERMS * count], {}, encoder);
    });
  }

  /** Sums the slots on the device and reads the 6K totals back. */
  async finish(rows: number): Promise<NllGradResult> {
    const { ctx } = this;
    const values = this.candidateChunks.length * SLOT_VALUES;
    let totals = this.sums;
    if (this.slots > 1) {
      totals = this.owned.storage(values * 4, 'nll-grad-totals');
      const encoder = ctx.device.createCommandEncoder({ label: 'nllGrad' });
      const uniforms = this.owned.uniforms(nllGradReduceKernel, {
        count: values,
        parts: this.slots,
        offset: 0,
      });
      ctx.dispatch(nllGradReduceKernel, [this.sums, totals, uniforms], [values], {}, encoder);
      ctx.device.queue.submit([encoder.finish()]);
    }
    const t = await ctx.readF32(totals, values);
    const result = emptyResult(this.k, rows);
    for (let j = 0; j < this.k; j++) {
      // Candidate j's sums: in its candidate chunk's part of the slot, at its index in the chunk.
      const o = Math.floor(j / NLL_GRAD_KMAX) * SLOT_VALUES + (j % NLL_GRAD_KMAX) * NLL_GRAD_TERMS;
      result.nll[j] = t[o]!;
      result.grad[2 * j] = t[o + 1]!;
      result.grad[2 * j + 1] = t[o + 2]!;
      result.hess[3 * j] = t[o + 3]!;
      result.hess[3 * j + 1] = t[o + 4]!;
      result.hess[3 * j + 2] = t[o + 5]!;
    }
    return result;
  }
}

/**
 * The calibration gradient pass on host arrays, in f32: each row chunk (sized to one storage binding)
 * is uploaded, then the pass runs as for resident logits.
 */
export async function nllGradGpu(
  ctx: GpuContext,
  z: Float32Array,
  rows: number,
  cols: number,
  options: NllGradOptions,
): Promise<NllGradResult> {
  const k = options.candidates.length / 2;
  if (rows === 0) return emptyResult(k, 0);
  const rowBytes = [cols * 4, 4];
  const slots = planRowChunks(rows, rowBytes, ctx.maxBindingBytes, 1, 'nllGrad').length;
  let result = emptyResult(k, rows);
  let slot = 0;
  await runRowChunks(ctx, {
    op: 'nllGrad',
    rows,
    rowBytes,
    setup: (owned) => new NllPass(ctx, owned, cols, options, slots),
    record: ({ r0, rows: n }, buffers, encoder, pass) => {
      const input = {
        logits: buffers.upload(z.subarray(r0 * cols, (r0 + n) * cols), 'logits'),
        labels: buffers.upload(options.labels.subarray(r0, r0 + n), 'labels'),
        rows: n,
      };
      pass.record(encoder, buffers, input, slot++);
      return undefined;
    },
    finish: async (pass) => {
      result = await pass.finish(rows);
    },
  });
  return result;
}

/**
 * The calibration gradient pass over every kept row of resident logits: their device copy
 * (deviceLogits: uploaded by the first pass of a fit, reused by every later one) is read where it is,
 * and chunks that did not fit device memory are streamed through the copy's staging buffers.
 */
export async function nllGradResidentGpu(
  ctx: GpuContext,
  logits: ResidentLogits,
  options: NllPassOptions,
): Promise<NllGradResult> {
  const k = options.candidates.length / 2;
  if (logits.rows === 0) return { ...emptyResult(k, 0), residentRows: 0 };
  return ctx.checked('nllGrad', async () => {
    const copy = await deviceLogits(ctx, logits);
    const owned = new GpuBuffers(ctx);
    try {
      const pass = new NllPass(ctx, owned, logits.cols, options, copy.chunks);
      let slot = 0;
      await copy.forEach(({ logits: z, labels, rows }) => {
        const temps = new GpuBuffers(ctx);
        try {
          const encoder = ctx.device.createCommandEncoder({ label: 'nllGrad' });
          pass.record(encoder, temps, { logits: z, labels: labels!, rows }, slot++);
          ctx.device.queue.submit([encoder.finish()]);
        } finally {
          temps.free();
        }
      });
      return { ...(await pass.finish(logits.rows)), residentRows: copy.residentRows };
    } finally {
      owned.free();
    }
  });
}
