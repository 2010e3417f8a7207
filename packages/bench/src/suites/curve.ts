import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Backend, type GammaCurve, gammaCurve, makeGroups, statsOfArray } from '@ftcal/core';
import { type BenchContext, newCase, numpyRun, timeRun } from '../context.ts';
import { pow10, syntheticGroups, syntheticLogits } from '../data.ts';
import { paperCurve } from '../peers/paper-curve.ts';
import type { Case } from '../results.ts';

const COLS = 100;

function sizes(quick: boolean): number[] {
  return quick ? [1000] : [1000, 2000, 5000, 10_000];
}

/** ftcal's exact curve from logits: row statistics (O(N·C)) and one sort of the thresholds. */
async function exactCurve(
  be: Backend,
  z: Float32Array,
  rows: number,
  labels: Int32Array,
  codes: Uint32Array,
): Promise<GammaCurve> {
  const groups = makeGroups(
    codes.length,
    [...codes.keys()].filter((c) => codes[c] === 0),
    [...codes.keys()].filter((c) => codes[c] === 1),
  );
  const data = await statsOfArray(be, z, rows, codes.length, { groups, labels });
  return gammaCurve(be, { stats: data.stats, labels: data.labels, groups });
}

function agreement(ours: GammaCurve | null, points: number, ausuc: number | undefined): string | undefined {
  if (!ours || ausuc === undefined) return undefined;
  const d = Math.abs(ours.ausuc - ausuc);
  return `${points} points (ftcal ${ours.points.length}); AUSUC ${ausuc.toFixed(6)} vs ftcal ${ours.ausuc.toFixed(6)} (|Δ| ${d.toExponential(1)})`;
}

async function curveCase(ctx: BenchContext, rows: number): Promise<Case> {
  const c = newCase(
    ctx,
    'curve',
    'γ curve + AUSUC',
    `N=${pow10(rows)} C=${COLS}`,
    { rows, cols: COLS },
    { rows },
  );
  const { z, labels } = syntheticLogits(0, rows, COLS, 5);
  const codes = syntheticGroups(COLS);
  const heavy = rows >= 5000;
  const ours = await timeRun(
    ctx,
    c,
    { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' },
    () => exactCurve(ctx.main, z, rows, labels, codes),
    { timer: ctx.timer },
  );
  const ref = ours.status === 'ok' ? await exactCurve(ctx.main, z, rows, labels, codes) : null;
  if (ctx.twin) {
    const twin = ctx.twin;
    await timeRun(
      ctx,
      c,
      { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' },
      () => exactCurve(twin, z, rows, labels, codes),
      { check: (out) => agreement(ref, out.points.length, out.ausuc) },
    );
  }
  // The paper's re-scan runs on the CPU only: not part of a --gpu-only (GPU machine) run.
  if (!ctx.opts.gpuOnly) {
    await timeRun(
      ctx,
      c,
      { impl: 'paper-curve-ts', device: ctx.machine.cpu, mode: 'in-process' },
      async () => paperCurve(z, rows, COLS, labels, codes),
      { heavy, warmup: 0, check: (out) => agreement(ref, out.gammas.length, out.ausuc) },
    );
  }
  if (ctx.numpy) {
    const stem = path.join(ctx.tmp, `curve-${rows}`);
    await writeFile(`${stem}.f32`, new Uint8Array(z.buffer, z.byteOffset, z.byteLength));
    await writeFile(`${stem}.i32`, new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
    const job = { logits: `${stem}.f32`, labels: `${stem}.i32`, rows, cols: COLS, groups: [...codes] };
    await numpyRun(
      ctx,
      c,
      { id: `curve ${rows}`, op: 'curve', ...job },
      { check: (r) => agreement(ref, r.points ?? 0, r.ausuc ?? Number.NaN) },
    );
    await numpyRun(
      ctx,
      c,
      { id: `paper-curve ${rows}`, op: 'paper-curve', ...job },
      {
        heavy,
        warmup: heavy ? 0 : 1,
        impl: 'paper-curve-numpy',
        check: (r) => agreement(ref, r.points ?? 0, r.ausuc ?? Number.NaN),
      },
    );
  }
  return c;
}

export async function curveSuite(ctx: BenchContext): Promise<Case[]> {
  ctx.log('curve: exact sweep vs the paper’s re-scan');
  const cases: Case[] = [];
  for (const n of sizes(ctx.opts.quick)) cases.push(await curveCase(ctx, n));
  return cases;
}
