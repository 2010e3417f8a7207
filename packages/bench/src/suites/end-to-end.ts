import path from 'node:path';
import {
  accumulateStats,
  accuracyAt,
  type Backend,
  type ClassGroups,
  createNpyWriter,
  gammaCurve,
  makeGroups,
  openNpy,
  readNpyLabels,
  writeNpy,
} from '@ftcal/core';
import { type BenchContext, newCase, numpyRun, skipped, timeRun } from '../context.ts';
import { pow10, syntheticGroups, syntheticLogits } from '../data.ts';
import type { Case } from '../results.ts';
import { nllFitRuns } from './nll-fit.ts';
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

async function writeSynthetic(
  dir: string,
  rows: number,
  cols: number,
): Promise<{ logits: string; labels: string }> {
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

function groupsOf(cols: number): ClassGroups {
  const codes = syntheticGroups(cols);
  const seen = [...codes.keys()].filter((c) => codes[c] === 0);
  return makeGroups(cols, seen);
}

/** What `ftcal evaluate` does: labels, one streamed statistics pass, the accuracy table, curve and AUSUC. */
async function evaluate(be: Backend, files: { logits: string; labels: string }, groups: ClassGroups) {
  const labels = await readNpyLabels(files.labels);
  const source = await openNpy(files.logits);
  try {
    const data = await accumulateStats(be, source, { groups, labels });
    const table = accuracyAt(data, 0);
    const curve = await gammaCurve(be, data);
    return { table, ausuc: curve.ausuc, points: curve.points.length };
  } finally {
    await source.close();
  }
}

async function endToEndCases(ctx: BenchContext, rows: number, cols: number): Promise<Case[]> {
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const shape = { rows, cols };
  const evalCase = newCase(ctx, 'end-to-end', 'evaluate + curve + AUSUC (.npy)', label, shape, {
    bytes: rows * cols * 4,
  });
  const fitCase = newCase(ctx, 'end-to-end', 'nll fit (.npy)', label, shape, { bytes: rows * cols * 4 });
  if (rows * cols > ctx.opts.maxCells) {
    for (const c of [evalCase, fitCase]) {
      skipped(c, ctx.mainImpl, ctx.mainDevice, 'round-trip', `N·C over --max-cells ${ctx.opts.maxCells}`);
    }
    return [evalCase, fitCase];
  }
  ctx.log(`  writing ${label} logits to a temporary .npy`);
  const files = await writeSynthetic(ctx.tmp, rows, cols);
  const groups = groupsOf(cols);
  const heavy = rows * cols >= 1e7;
  const mainMeta = { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' as const };
  const twinMeta = { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' as const };

  const ours = await timeRun(ctx, evalCase, mainMeta, () => evaluate(ctx.main, files, groups), {
    heavy,
    timer: ctx.timer,
  });
  const ref = ours.status === 'ok' ? await evaluate(ctx.main, files, groups) : null;
  const agree = (ausuc: number | undefined, points: number | undefined) =>
    ref && ausuc !== undefined
      ? `AUSUC ${ausuc.toFixed(6)} vs ftcal ${ref.ausuc.toFixed(6)}; ${points} points (ftcal ${ref.points})`
      : undefined;
  if (ctx.twin) {
    const twin = ctx.twin;
    await timeRun(ctx, evalCase, twinMeta, () => evaluate(twin, files, groups), {
      heavy,
      check: (out) => agree(out.ausuc, out.points),
    });
  }
  await numpyRun(
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

  await nllFitRuns(ctx, fitCase, files, groups, heavy);
  return [evalCase, fitCase];
}

export async function endToEndSuite(ctx: BenchContext): Promise<Case[]> {
  ctx.log('end to end: .npy → statistics → curve → AUSUC; nll fit');
  const cases: Case[] = [];
  for (const [rows, cols] of sizes(ctx.opts.quick)) cases.push(...(await endToEndCases(ctx, rows, cols)));
  cases.push(...(await trainingStepCases(ctx)));
  return cases;
}
