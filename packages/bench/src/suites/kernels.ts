import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Backend, type MatmulOptions, type RowStats, rowStatsBytes } from '@ftcal/core';
import {
  type BenchContext,
  maxRelDiff,
  newCase,
  normDiff,
  numpyRun,
  skipped,
  timeRun,
  unavailable,
} from '../context.ts';
import { pow10, randomMatrix, syntheticGroups, syntheticLogits } from '../data.ts';
import type { Case } from '../results.ts';
import { residentMatmul, residentRows } from './resident.ts';

/**
 * The CPU backend's matmul (WebAssembly on the worker threads) runs at tens of GFLOP/s: past this one call
 * takes seconds, and the GPU shapes go to 8192³.
 */
const TWIN_MAX_FLOPS = 1e11;
/** Host arrays above this many values are processed as repeated slices (see rowSlices). */
const SLICE_CELLS = 2 ** 27;

interface MatmulShape {
  kind: 'square' | 'batched' | 'odd';
  m: number;
  n: number;
  k: number;
  batch?: number;
  transB?: boolean;
  bias?: boolean;
  why?: string;
}

function matmulShapes(quick: boolean): MatmulShape[] {
  if (quick) {
    return [
      { kind: 'square', m: 64, n: 64, k: 64 },
      { kind: 'square', m: 256, n: 256, k: 256 },
      { kind: 'batched', m: 64, n: 64, k: 64, batch: 4 },
      { kind: 'odd', m: 100, n: 37, k: 129 },
      { kind: 'odd', m: 1000, n: 100, k: 64, transB: true, bias: true, why: 'features→logits' },
    ];
  }
  return [
    ...[512, 1024, 2048, 4096, 8192].map((s): MatmulShape => ({ kind: 'square', m: s, n: s, k: s })),
    { kind: 'batched', m: 512, n: 512, k: 512, batch: 8 },
    { kind: 'batched', m: 128, n: 128, k: 128, batch: 64 },
    { kind: 'odd', m: 1000, n: 1001, k: 999 },
    { kind: 'odd', m: 4097, n: 33, k: 1025 },
    { kind: 'odd', m: 1, n: 4096, k: 4096, why: 'one row' },
    { kind: 'odd', m: 10_000, n: 1000, k: 768, transB: true, bias: true, why: 'features→logits' },
  ];
}

function matmulLabel(s: MatmulShape): string {
  const base = `${s.m}×${s.n}×${s.k}`;
  const extras = [s.transB ? 'Bᵀ' : '', s.bias ? '+bias' : '', s.why ?? ''].filter(Boolean).join(', ');
  return `${s.batch ? `${s.batch}× ` : ''}${base}${extras ? ` (${extras})` : ''}`;
}

async function matmulCase(ctx: BenchContext, s: MatmulShape): Promise<Case> {
  const batch = s.batch ?? 1;
  const flops = 2 * batch * s.m * s.n * s.k;
  const c = newCase(
    ctx,
    'kernels',
    `matmul ${s.kind}`,
    matmulLabel(s),
    { m: s.m, n: s.n, k: s.k, batch },
    { flops },
  );
  if (flops > ctx.opts.maxFlops) {
    skipped(c, ctx.mainImpl, ctx.mainDevice, 'round-trip', `2·M·N·K over --max-flops ${ctx.opts.maxFlops}`);
    return c;
  }
  const a = randomMatrix(batch * s.m * s.k, 1);
  const b = randomMatrix(batch * s.k * s.n, 2);
  const options: MatmulOptions = { batch, transB: s.transB ?? false };
  if (s.bias) options.bias = randomMatrix(s.n, 3);
  const call = (be: Backend) => () => be.matmul(a, b, s.m, s.n, s.k, options);
  const heavy = flops > 1e10;
  const ours = await timeRun(
    ctx,
    c,
    { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' },
    call(ctx.main),
    {
      heavy,
      timer: ctx.timer,
    },
  );
  let reference: Float32Array | null = null;
  if (ours.status === 'ok') reference = await ctx.main.matmul(a, b, s.m, s.n, s.k, options);
  if (ctx.gpu) await residentMatmul(ctx, c, a, b, s, options, heavy);
  if (ctx.twin) {
    if (flops > TWIN_MAX_FLOPS && !ctx.opts.quick) {
      skipped(
        c,
        'ftcal-cpu',
        ctx.machine.cpu,
        'in-process',
        `over the CPU twin's budget (${TWIN_MAX_FLOPS} flops)`,
      );
    } else {
      await timeRun(
        ctx,
        c,
        { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' },
        call(ctx.twin),
        {
          heavy: true,
          check: (out) => (reference ? normDiff(out, reference) : undefined),
        },
      );
    }
  }
  await numpyRun(
    ctx,
    c,
    {
      id: c.label,
      op: 'matmul',
      m: s.m,
      n: s.n,
      k: s.k,
      batch,
      transB: s.transB ?? false,
      bias: s.bias ?? false,
    },
    { heavy },
  );
  if (ctx.tfjs) {
    const tfjs = ctx.tfjs;
    await timeRun(
      ctx,
      c,
      { impl: 'tfjs-webgpu', device: `${tfjs.adapter} (tfjs ${tfjs.version})`, mode: 'round-trip' },
      () => tfjs.matmul(a, b, s.m, s.n, s.k, { batch, transB: s.transB ?? false, bias: options.bias }),
      {
        heavy,
        check: (out) => (reference ? normDiff(out, reference) : undefined),
      },
    );
  }
  return c;
}

function rowShapes(quick: boolean): [number, number][] {
  if (quick)
    return [
      [1000, 100],
      [10_000, 100],
    ];
  return [
    [10_000, 100],
    [10_000, 1000],
    [100_000, 100],
    [100_000, 1000],
    [1_000_000, 100],
    [1_000_000, 1000],
  ];
}

/**
 * Inputs above SLICE_CELLS values are not held whole: one slice of rows is generated and the op is
 * called on it once per slice of the full N, so a 10⁶×1000 case never needs 8 GB of host arrays.
 * Every call is a real call through the backend; the note in the report says when this happened.
 */
function rowSlices(rows: number, cols: number): { sliceRows: number; slices: number } {
  let sliceRows = rows;
  while (sliceRows * cols > SLICE_CELLS && sliceRows % 10 === 0) sliceRows /= 10;
  return { sliceRows, slices: Math.ceil(rows / sliceRows) };
}

/** `times` calls of `fn` in a row; the last one's result. */
function repeated<T>(times: number, fn: () => Promise<T>): () => Promise<T> {
  return async () => {
    let out = await fn();
    for (let i = 1; i < times; i++) out = await fn();
    return out;
  };
}

async function writeRaw(file: string, data: ArrayBufferView): Promise<string> {
  await writeFile(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return file;
}

const SOFTMAX = { gamma: 1, temperature: 1.5 };
const NLL_CANDIDATES = Float64Array.of(0, 0, 1, Math.log(1.5), 2, Math.log(0.75));

async function rowCases(ctx: BenchContext, rows: number, cols: number): Promise<Case[]> {
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const cells = rows * cols;
  const shape = { rows, cols };
  const softmax = newCase(ctx, 'kernels', 'softmax', label, shape, { bytes: cells * 8 });
  // One read of the logits and the labels, the statistics (rowStatsBytes) written.
  const stats = newCase(ctx, 'kernels', 'row statistics', label, shape, {
    bytes: cells * 4 + rows * 4 + rowStatsBytes(rows),
  });
  const grad = newCase(ctx, 'kernels', 'nll gradient (K=3)', label, shape, { bytes: cells * 4 + rows * 4 });
  const cases = [softmax, stats, grad];
  if (cells > ctx.opts.maxCells) {
    for (const c of cases)
      skipped(c, ctx.mainImpl, ctx.mainDevice, 'round-trip', `N·C over --max-cells ${ctx.opts.maxCells}`);
    return cases;
  }
  const { sliceRows, slices } = rowSlices(rows, cols);
  const { z, labels } = syntheticLogits(0, sliceRows, cols, 7);
  const groups = syntheticGroups(cols);
  const note =
    slices > 1
      ? `${slices} calls of ${pow10(sliceRows)} rows (host arrays kept under 2²⁷ values)`
      : undefined;
  const sliced =
    <T>(fn: (be: Backend) => Promise<T>) =>
    (be: Backend) =>
      repeated(slices, () => fn(be));
  const heavy = cells >= 1e8;
  const mainMeta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' as const, note };
  const twinMeta = { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' as const, note };

  // softmax
  const softmaxCall = sliced((be) => be.softmax(z, sliceRows, cols, { ...SOFTMAX, groups }));
  const sm = await timeRun(ctx, softmax, mainMeta, softmaxCall(ctx.main), { heavy, timer: ctx.timer });
  const smRef =
    sm.status === 'ok' ? await ctx.main.softmax(z, sliceRows, cols, { ...SOFTMAX, groups }) : null;
  const vsOurs = (out: ArrayLike<number>) => (smRef ? normDiff(out, smRef) : undefined);
  if (ctx.twin) await timeRun(ctx, softmax, twinMeta, softmaxCall(ctx.twin), { heavy: true, check: vsOurs });

  // row statistics
  const statsCall = sliced((be) => be.rowStats(z, sliceRows, cols, { groups, labels, temperature: 1.5 }));
  const st = await timeRun(ctx, stats, mainMeta, statsCall(ctx.main), { heavy, timer: ctx.timer });
  const stRef =
    st.status === 'ok'
      ? await ctx.main.rowStats(z, sliceRows, cols, { groups, labels, temperature: 1.5 })
      : null;
  let argSum = 0;
  let maxUSum = 0;
  if (stRef) {
    for (let i = 0; i < sliceRows; i++) {
      argSum += stRef.argSO[i]!;
      maxUSum += stRef.maxU[i]!;
    }
  }
  if (ctx.twin) {
    await timeRun(ctx, stats, twinMeta, statsCall(ctx.twin), {
      heavy: true,
      check: (out) => {
        if (!stRef) return undefined;
        let same = true;
        for (let i = 0; i < sliceRows && same; i++)
          same = out.argSO[i] === stRef.argSO[i] && out.argU[i] === stRef.argU[i];
        return `argmax ${same ? 'identical' : 'DIFFERENT'}; lseSO max rel diff ${maxRelDiff(out.lseSO, stRef.lseSO).toExponential(1)}`;
      },
    });
  }

  // gradient pass
  const gradCall = sliced((be) =>
    be.nllGrad(z, sliceRows, cols, { groups, labels, candidates: NLL_CANDIDATES }),
  );
  const gr = await timeRun(ctx, grad, mainMeta, gradCall(ctx.main), { heavy, timer: ctx.timer });
  const grRef =
    gr.status === 'ok'
      ? await ctx.main.nllGrad(z, sliceRows, cols, { groups, labels, candidates: NLL_CANDIDATES })
      : null;
  if (ctx.twin) {
    await timeRun(ctx, grad, twinMeta, gradCall(ctx.twin), {
      heavy: true,
      check: (out) =>
        grRef ? `NLL max rel diff ${maxRelDiff(out.nll, grRef.nll).toExponential(1)}` : undefined,
    });
  }

  // NumPy and tfjs on the same bytes
  if (ctx.numpy) {
    const stem = path.join(ctx.tmp, `rows-${rows}x${cols}`);
    const job = {
      logits: await writeRaw(`${stem}.f32`, z),
      labels: await writeRaw(`${stem}.i32`, labels),
      rows: sliceRows,
      cols,
      groups: [...groups],
      repeat: slices,
      ...SOFTMAX,
    };
    await numpyRun(ctx, softmax, { id: `softmax ${label}`, op: 'softmax', ...job }, { heavy });
    await numpyRun(
      ctx,
      stats,
      { id: `rowstats ${label}`, op: 'rowstats', ...job },
      {
        heavy,
        check: (r) =>
          stRef
            ? `sum of argSO ${r.argSO_sum === argSum ? 'equal' : 'DIFFERENT'}; sum of maxU rel diff ${(Math.abs((r.maxU_sum ?? 0) - maxUSum) / Math.max(1, Math.abs(maxUSum))).toExponential(1)}`
            : undefined,
      },
    );
  }
  if (ctx.tfjs) {
    const tfjs = ctx.tfjs;
    await timeRun(
      ctx,
      softmax,
      { impl: 'tfjs-webgpu', device: `${tfjs.adapter} (tfjs ${tfjs.version})`, mode: 'round-trip', note },
      repeated(slices, () => tfjs.softmax(z, sliceRows, cols, { ...SOFTMAX, groups })),
      { heavy, check: vsOurs },
    );
  }
  if (ctx.gpu) {
    const input = { z, labels, groups, sliceRows, slices, cols };
    await residentRows(ctx, softmax, 'softmax', input, SOFTMAX, heavy, (out) =>
      smRef ? `first slice: ${normDiff(out as Float32Array, smRef)}` : undefined,
    );
    await residentRows(ctx, stats, 'rowStats', input, SOFTMAX, heavy, (out) => {
      const s = out as RowStats;
      if (!stRef) return undefined;
      let same = true;
      for (let i = 0; i < s.rows && same; i++) {
        const j = i % sliceRows;
        same = s.argSO[i] === stRef.argSO[j] && s.argU[i] === stRef.argU[j];
      }
      return `argmax of all ${pow10(s.rows)} rows ${same ? 'identical' : 'DIFFERENT'} to round-trip`;
    });
    unavailable(
      grad,
      ctx.mainImpl,
      ctx.mainDevice,
      'resident',
      'the pass over resident logits (ResidentLogits, K = 8 as a fit runs it) is in the nll suite',
    );
  }
  return cases;
}

/** Ops without a resident-buffer entry point in core (matmul, softmax and rowStats have one). */
function noResidentEntry(ctx: BenchContext, c: Case): void {
  unavailable(
    c,
    ctx.mainImpl,
    ctx.mainDevice,
    'resident',
    'core exposes no resident-buffer entry point for this op (host arrays only)',
  );
}

function sortSizes(quick: boolean): number[] {
  return quick ? [100_000] : [100_000, 1_000_000];
}

async function sortCase(ctx: BenchContext, n: number): Promise<Case> {
  const c = newCase(ctx, 'kernels', 'sort keys', `${pow10(n)} keys`, { keys: n }, { keys: n });
  // Keys shaped like the curve's thresholds: differences of logits, with repeats.
  const keys = randomMatrix(n, 11).map((v) => Math.round(v * 4096) / 512);
  const ours = await timeRun(
    ctx,
    c,
    { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' },
    () => ctx.main.sortKeys(keys),
    { timer: ctx.timer },
  );
  const ref = ours.status === 'ok' ? await ctx.main.sortKeys(keys) : null;
  const sameOrder = (order: Uint32Array) => {
    if (!ref) return undefined;
    for (let i = 0; i < n; i++) if (order[i] !== ref.order[i]) return 'order DIFFERENT from ftcal';
    return 'order identical';
  };
  if (ctx.twin) {
    await timeRun(
      ctx,
      c,
      { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' },
      () => ctx.twin!.sortKeys(keys),
      {
        check: (out) => sameOrder(out.order),
      },
    );
  }
  if (ctx.gpu) noResidentEntry(ctx, c);
  if (ctx.numpy) {
    await numpyRun(ctx, c, {
      id: c.label,
      op: 'sort',
      keys: await writeRaw(path.join(ctx.tmp, `keys-${n}.f32`), keys),
    });
  }
  return c;
}

/** Appends each case to `cases` as it finishes, so a stopped run can still write what it measured. */
export async function kernelSuite(ctx: BenchContext, cases: Case[] = []): Promise<Case[]> {
  ctx.log('kernels: matmul');
  for (const s of matmulShapes(ctx.opts.quick)) cases.push(await matmulCase(ctx, s));
  ctx.log('kernels: softmax, row statistics, nll gradient');
  for (const [rows, cols] of rowShapes(ctx.opts.quick)) cases.push(...(await rowCases(ctx, rows, cols)));
  ctx.log('kernels: sort');
  for (const n of sortSizes(ctx.opts.quick)) cases.push(await sortCase(ctx, n));
  return cases;
}
