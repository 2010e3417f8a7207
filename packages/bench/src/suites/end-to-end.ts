import path from 'node:path';
import {
  type Backend,
  type ClassGroups,
  calibrate,
  createNpyWriter,
  evaluate,
  makeGroups,
  type NewtonDetails,
  openNpy,
  readNpyLabels,
  writeNpy,
} from '@ftcal/core';
import { type BenchContext, newCase, numpyRun, skipped, timeRun } from '../context.ts';
import { pow10, syntheticGroups, syntheticLogits } from '../data.ts';
import type { Case } from '../results.ts';
import { trainingStepCases } from './training.ts';

function sizes(quick: boolean): [number, number][] {
  if (quick) return [[10_000, 100]];
  return [
    [10_000, 100],
    [100_000, 100],
    [100_000, 1000],
    [1_000_000, 1000],
  ];
}

/** Rows generated and written per step, so a 4 GB file never sits in memory. */
const WRITE_ROWS = 50_000;

export interface Files {
  logits: string;
  labels: string;
}

export async function writeSynthetic(dir: string, rows: number, cols: number): Promise<Files> {
  const logits = path.join(dir, `e2e-${rows}x${cols}.npy`);
  const labelsPath = path.join(dir, `e2e-${rows}x${cols}-labels.npy`);
  const writer = await createNpyWriter(logits, 'float32', [rows, cols]);
  const labels = new Int32Array(rows);
  try {
    for (let r0 = 0; r0 < rows; r0 += WRITE_ROWS) {
      const n = Math.min(WRITE_ROWS, rows - r0);
      const chunk = syntheticLogits(r0, n, cols, 3);
      labels.set(chunk.labels, r0);
      await writer.writeRows(chunk.z);
    }
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  await writeNpy(labelsPath, labels);
  return { logits, labels: labelsPath };
}

export function groupsOf(cols: number): ClassGroups {
  const codes = syntheticGroups(cols);
  return makeGroups(
    cols,
    [...codes.keys()].filter((c) => codes[c] === 0),
  );
}

/** Opens the .npy files as `ftcal` does (labels read whole, logits by row ranges) around `fn`. */
async function withFiles<T>(
  files: Files,
  fn: (set: { logits: Awaited<ReturnType<typeof openNpy>>; labels: Int32Array }) => Promise<T>,
): Promise<T> {
  const labels = await readNpyLabels(files.labels);
  const logits = await openNpy(files.logits);
  try {
    return await fn({ logits, labels });
  } finally {
    await logits.close();
  }
}

/** `ftcal evaluate`: statistics pass, accuracy table, exact γ curve and AUSUC, then NLL/ECE/Brier. */
const evaluateFiles = (be: Backend, files: Files, groups: ClassGroups) =>
  withFiles(files, (set) => evaluate(be, { ...set, groups }));

/** `ftcal calibrate --method nll`: statistics and curve, the Newton fit of (γ, T), tables before and after. */
const calibrateNll = (be: Backend, files: Files, groups: ClassGroups) =>
  withFiles(files, (set) => calibrate(be, { ...set, groups, methods: ['nll'] }));

function describeFit(r: Awaited<ReturnType<typeof calibrateNll>>): string {
  const d = r.methods[0]!.details as NewtonDetails;
  return (
    `γ ${r.gamma.toFixed(4)}, T ${r.temperature.toFixed(4)}, ${d.iterations} Newton iterations ` +
    `(${d.passes} gradient passes), |grad| ${d.gradNorm.toExponential(1)}, ` +
    `logits ${d.residentLogits ? 'resident' : 're-read each pass'}; U/Y ${r.before['U/Y'].toFixed(1)} → ${r.after['U/Y'].toFixed(1)}`
  );
}

async function endToEndCases(ctx: BenchContext, rows: number, cols: number): Promise<Case[]> {
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const shape = { rows, cols };
  const bytes = rows * cols * 4;
  const evalCase = newCase(ctx, 'end-to-end', 'evaluate (.npy)', label, shape, { bytes });
  const fitCase = newCase(ctx, 'end-to-end', 'calibrate --method nll (.npy)', label, shape, { bytes });
  if (rows * cols > ctx.opts.maxE2eCells) {
    for (const c of [evalCase, fitCase]) {
      skipped(
        c,
        ctx.mainImpl,
        ctx.mainDevice,
        'round-trip',
        `N·C over --max-e2e-cells ${ctx.opts.maxE2eCells}`,
      );
    }
    return [evalCase, fitCase];
  }
  ctx.log(`  writing ${label} logits to a temporary .npy`);
  const files = await writeSynthetic(ctx.tmp, rows, cols);
  const groups = groupsOf(cols);
  const heavy = rows * cols >= 1e7;
  const mainMeta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' as const };
  const twinMeta = { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' as const };

  const ours = await timeRun(ctx, evalCase, mainMeta, () => evaluateFiles(ctx.main, files, groups), {
    heavy,
    timer: ctx.timer,
  });
  const ref = ours.status === 'ok' ? await evaluateFiles(ctx.main, files, groups) : null;
  if (ref)
    ours.check = `AUSUC ${ref.table.ausuc.toFixed(6)}, ${ref.curve.points.length} curve points, Y/Y ${ref.table['Y/Y'].toFixed(2)}%`;
  const agree = (ausuc: number, points: number | undefined) =>
    ref
      ? `AUSUC ${ausuc.toFixed(6)} vs ftcal ${ref.table.ausuc.toFixed(6)}; ${points} points (ftcal ${ref.curve.points.length})`
      : undefined;
  if (ctx.twin) {
    const twin = ctx.twin;
    await timeRun(ctx, evalCase, twinMeta, () => evaluateFiles(twin, files, groups), {
      heavy,
      check: (out) => agree(out.table.ausuc, out.curve.points.length),
    });
  }
  const np = await numpyRun(
    ctx,
    evalCase,
    {
      id: `evaluate ${label}`,
      op: 'evaluate',
      logits: files.logits,
      labels: files.labels,
      rows,
      cols,
      groups: [...groups.codes],
    },
    { heavy, check: (r) => agree(r.ausuc ?? Number.NaN, r.points) },
  );
  if (np) np.note = "numpy_peer.py's evaluate: np.load (mmap), statistics, curve, NLL/ECE/Brier, moments";

  // A fit takes seconds per call even at the quick size: quick mode times it once, without a warm-up.
  const fitWarmup = ctx.opts.quick ? 0 : 1;
  const fit = await timeRun(ctx, fitCase, mainMeta, () => calibrateNll(ctx.main, files, groups), {
    heavy: true,
    warmup: fitWarmup,
    timer: ctx.timer,
  });
  if (fit.status === 'ok') fit.check = describeFit(await calibrateNll(ctx.main, files, groups));
  if (ctx.twin) {
    const twin = ctx.twin;
    await timeRun(ctx, fitCase, twinMeta, () => calibrateNll(twin, files, groups), {
      heavy: true,
      warmup: fitWarmup,
      check: describeFit,
    });
  }
  return [evalCase, fitCase];
}

export async function endToEndSuite(ctx: BenchContext): Promise<Case[]> {
  ctx.log('end to end: .npy → evaluate; calibrate --method nll; the demo training step');
  const cases: Case[] = [];
  for (const [rows, cols] of sizes(ctx.opts.quick)) cases.push(...(await endToEndCases(ctx, rows, cols)));
  cases.push(...(await trainingStepCases(ctx)));
  return cases;
}
