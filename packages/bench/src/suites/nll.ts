import {
  type Backend,
  deviceLogits,
  makeGroups,
  type NllGradResult,
  nllMethod,
  ResidentLogits,
  type RowSource,
} from '@ftcal/core';
import { type BenchContext, newCase, skipped, timeRun, unavailable } from '../context.ts';
import { pow10, syntheticGroups, syntheticLogits } from '../data.ts';
import type { Case } from '../results.ts';
import { NLL_FIT_OP, torchConfig } from './torch.ts';

/** Every Newton iteration evaluates its eight line-search steps in one pass. */
const K = 8;
const CANDIDATES = Float64Array.from({ length: 2 * K }, (_, i) =>
  i % 2 === 0 ? (i / 2 - 3) * 0.5 : Math.log(0.75 + i / 16),
);
/** Host slices of the synthetic logits stay under this many values; larger sets repeat the slice. */
const SLICE_CELLS = 2 ** 26;
/** The CPU twin's budget, in N·C·K: past it one pass takes minutes on a few cores. */
const TWIN_MAX_WORK = 2e8;

/**
 * N×C synthetic logits as a RowSource that repeats one host slice of at most SLICE_CELLS values (rows
 * r and r + sliceRows are equal), so 10⁶×10³ (4 GB) needs no 4 GB host array; the labels repeat too.
 */
function repeatedSource(rows: number, cols: number): { source: RowSource; labels: Int32Array } {
  const sliceRows = Math.min(rows, Math.max(1, Math.floor(SLICE_CELLS / cols)));
  const slice = syntheticLogits(0, sliceRows, cols, 11);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = slice.labels[r % sliceRows]!;
  const source: RowSource = {
    name: `synthetic ${pow10(rows)}×${pow10(cols)}`,
    rows,
    cols,
    async readRows(start, count) {
      const out = new Float32Array(count * cols);
      for (let r = 0; r < count; ) {
        const at = (start + r) % sliceRows;
        const n = Math.min(count - r, sliceRows - at);
        out.set(slice.z.subarray(at * cols, (at + n) * cols), r * cols);
        r += n;
      }
      return out;
    },
    async close() {},
  };
  return { source, labels };
}

function sizes(ctx: BenchContext): [number, number][] {
  const torch = torchConfig(ctx);
  const all: [number, number][] = ctx.opts.quick
    ? [[torch.rows!, torch.cols!]]
    : [
        [100_000, 100],
        [torch.rows!, torch.cols!],
      ];
  return all.filter(([r, c], i) => all.findIndex(([r2, c2]) => r2 === r && c2 === c) === i);
}

const sumNll = (r: NllGradResult) => `NLL sum of candidate 0: ${r.nll[0]!.toPrecision(9)}`;

/**
 * The gradient pass over resident logits: the copy is made by the warm-up call (uploaded once, as a fit
 * makes it), and each timed call is one pass of K candidates over it. The no-subgroup variant beside
 * the picked one shows what subgroups buy; the CPU twin reads the same chunks on the host.
 */
async function passCase(ctx: BenchContext, rows: number, cols: number): Promise<void> {
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const c = newCase(
    ctx,
    'nll',
    `nll gradient pass (K=${K}), resident`,
    label,
    { rows, cols, k: K },
    {
      bytes: rows * cols * 4 + rows * 4,
    },
  );
  const gpu = ctx.gpu;
  const { source, labels } = repeatedSource(rows, cols);
  // The host copy is the repeating source itself: nothing is held twice.
  const held = ResidentLogits.of(source, { labels, residentBytes: 0 });
  const options = { groups: syntheticGroups(cols), candidates: CANDIDATES };
  const heavy = rows * cols >= 1e8;
  try {
    if (gpu) {
      const meta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'resident' as const };
      let ours: NllGradResult | null = null;
      const run = await timeRun(
        ctx,
        c,
        meta,
        async () => (ours = await ctx.main.nllGradResident(held, options)),
        {
          heavy,
          timer: ctx.timer,
          check: sumNll,
        },
      );
      if (run.status === 'ok') {
        const copy = await deviceLogits(gpu, held);
        run.note = `${copy.residentRows === rows ? 'every row' : `${copy.residentRows} of ${rows} rows`} on the device, ${copy.chunks} chunks`;
      }
      const fallbackMeta = { ...meta, impl: 'ftcal-webgpu-fallback' };
      if (gpu.device.features.has('subgroups')) {
        await timeRun(
          ctx,
          c,
          fallbackMeta,
          () => ctx.main.nllGradResident(held, { ...options, fallback: true }),
          {
            heavy,
            timer: ctx.timer,
            check: (r) =>
              ours ? `${sumNll(r)}; picked variant's ${ours.nll[0]!.toPrecision(9)}` : undefined,
          },
        );
      } else {
        unavailable(
          c,
          fallbackMeta.impl,
          meta.device,
          'resident',
          'no subgroups: the picked variant is the fallback',
        );
      }
    }
    // The CPU backend: the twin beside the GPU, or the backend under test with --device cpu.
    const cpu = gpu ? ctx.twin : ctx.main;
    if (cpu) {
      const meta = { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' as const };
      if (rows * cols * K > TWIN_MAX_WORK) {
        skipped(
          c,
          meta.impl,
          meta.device,
          meta.mode,
          `N·C·K over the CPU backend's budget (${TWIN_MAX_WORK})`,
        );
      } else {
        await timeRun(ctx, c, meta, () => cpu.nllGradResident(held, options), { heavy: true, check: sumNll });
      }
    }
  } finally {
    held.release();
  }
}

/**
 * The Newton fit of (γ, T) (core's nllMethod, one pass per iteration) with its logits resident on the
 * device (uploaded by the warm-up fit, read there by every later pass) and with no device copy (every
 * pass uploads every chunk again), beside PyTorch's LBFGS fit of the same objective (torch.ts, on its
 * own synthetic logits of this shape).
 */
async function fitCase(ctx: BenchContext, rows: number, cols: number): Promise<void> {
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const c: Case = newCase(ctx, 'nll', NLL_FIT_OP, label, { rows, cols }, { rows });
  const codes = syntheticGroups(cols);
  const groups = makeGroups(
    cols,
    [...codes.keys()].filter((k) => codes[k] === 0),
    [...codes.keys()].filter((k) => codes[k] === 1),
  );
  const { source, labels } = repeatedSource(rows, cols);
  const describeFit = (r: Awaited<ReturnType<typeof nllMethod>>) =>
    `γ ${r.gamma.toFixed(4)}, T ${r.temperature.toFixed(4)}, NLL ${r.details.nll.toFixed(6)}, ${r.details.iterations} iterations, ${r.details.passes} passes, |∇| ${r.details.gradNorm.toExponential(1)}, ${r.details.residentRows} of ${rows} rows resident`;
  const heavy = true;
  const fit = async (be: Backend, held: ResidentLogits) => nllMethod(be, held, groups);
  const gpu = ctx.gpu;
  if (gpu) {
    const held = ResidentLogits.of(source, { labels, residentBytes: 0 });
    const streamed = ResidentLogits.of(source, { labels, residentBytes: 0 });
    try {
      const meta = { impl: ctx.mainImpl, device: ctx.mainDevice };
      await timeRun(ctx, c, { ...meta, mode: 'resident' }, () => fit(ctx.main, held), {
        heavy,
        timer: ctx.timer,
        check: describeFit,
      });
      // No room on the device: every chunk of every pass is written into the staging buffers again.
      await deviceLogits(gpu, streamed, { deviceBytes: 0 });
      await timeRun(
        ctx,
        c,
        { ...meta, mode: 'round-trip', note: 'no device copy: every pass uploads the logits again' },
        () => fit(ctx.main, streamed),
        { heavy, timer: ctx.timer, check: describeFit },
      );
    } finally {
      held.release();
      streamed.release();
    }
  }
  const cpu = gpu ? ctx.twin : ctx.main;
  if (cpu) {
    const meta = { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' as const };
    if (rows * cols * K > TWIN_MAX_WORK) {
      skipped(c, meta.impl, meta.device, meta.mode, `N·C·K over the CPU backend's budget (${TWIN_MAX_WORK})`);
      return;
    }
    const held = ResidentLogits.of(source, { labels });
    try {
      await timeRun(ctx, c, { ...meta, note: 'host chunks held in memory' }, () => fit(cpu, held), {
        heavy,
        warmup: 0,
        check: describeFit,
      });
    } finally {
      held.release();
    }
  }
}

/** The nll suite: the gradient pass's variants, then the whole fit, at each size within --max-cells. */
export async function nllSuite(ctx: BenchContext): Promise<void> {
  ctx.log('nll: the gradient pass on resident logits, and the Newton fit of (γ, T)');
  for (const [rows, cols] of sizes(ctx)) {
    if (rows * cols > ctx.opts.maxCells) {
      const label = `N=${pow10(rows)} C=${pow10(cols)}`;
      for (const op of [`nll gradient pass (K=${K}), resident`, NLL_FIT_OP]) {
        const c = newCase(ctx, 'nll', op, label, { rows, cols }, { rows });
        skipped(c, ctx.mainImpl, ctx.mainDevice, 'resident', `N·C over --max-cells ${ctx.opts.maxCells}`);
      }
      continue;
    }
    await passCase(ctx, rows, cols);
    await fitCase(ctx, rows, cols);
  }
}
