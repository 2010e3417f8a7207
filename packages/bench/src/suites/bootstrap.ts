import { accumulateStats, bootstrapAt, type DataStats, makeGroups, type RowSource } from '@ftcal/core';
import { type BenchContext, newCase, skipped, timeRun } from '../context.ts';
import { pow10, syntheticGroups, syntheticLogits } from '../data.ts';
import type { Case } from '../results.ts';

/**
 * DESIGN.md §1.2: bootstrap intervals come from the per-row statistics of the one pass, so B = 1000 on
 * 10⁶ rows should cost less than the pass itself. Measured side by side in one process: the pass over
 * N×C logits (the statistics the bootstrap reads), then B replicates at an operating point (accuracies,
 * AUSUC, NLL, ECE, and the γ of oracle, hmean and constrained re-picked on each replicate's curve).
 */
const sizes = (quick: boolean): [number, number, number][] =>
  quick
    ? [[10_000, 100, 50]]
    : [
        [1_000_000, 100, 1000],
        [1_000_000, 1000, 1000],
      ];

/** Rows per chunk, as the engine reads them (about 16 Mi values). */
const chunkRowsOf = (cols: number) => Math.max(1, Math.floor(2 ** 24 / cols));

/**
 * N×C synthetic logits without holding them: three distinct chunks, handed out in turn, so a 10⁶×10³
 * pass (4 GB of f32) reads real-looking rows from 200 MB. The labels repeat with the chunks.
 */
function cyclingSource(rows: number, cols: number): { source: RowSource; labels: Int32Array } {
  const chunkRows = Math.min(rows, chunkRowsOf(cols));
  const chunks = [0, 1, 2].map((k) => syntheticLogits(k * chunkRows, chunkRows, cols, 7));
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = chunks[Math.floor(r / chunkRows) % 3]!.labels[r % chunkRows]!;
  }
  const source: RowSource = {
    name: `synthetic ${rows}×${cols}`,
    rows,
    cols,
    async readRows(start, count) {
      // The engine reads whole chunks from chunk boundaries; a chunk's rows are its cycle's rows.
      const chunk = chunks[Math.floor(start / chunkRows) % 3]!;
      return chunk.z.subarray(0, count * cols);
    },
    async close() {},
  };
  return { source, labels };
}

async function bootstrapCase(ctx: BenchContext, rows: number, cols: number, B: number): Promise<Case> {
  const label = `N=${pow10(rows)} C=${pow10(cols)} B=${B}`;
  const c = newCase(ctx, 'bootstrap', 'bootstrap vs the pass it reads', label, { rows, cols, B }, { rows });
  c.baseline = 'ftcal-pass';
  const device = ctx.mainDevice;
  if (rows * cols > ctx.opts.maxCells) {
    for (const impl of ['ftcal-pass', 'ftcal-bootstrap']) {
      skipped(c, impl, device, 'in-process', `N·C = ${rows * cols} is over --max-cells ${ctx.opts.maxCells}`);
    }
    return c;
  }
  const codes = syntheticGroups(cols);
  const groups = makeGroups(
    cols,
    [...codes.keys()].filter((k) => codes[k] === 0),
    [...codes.keys()].filter((k) => codes[k] === 1),
  );
  const { source, labels } = cyclingSource(rows, cols);
  let data: DataStats | null = null;
  await timeRun(
    ctx,
    c,
    {
      impl: 'ftcal-pass',
      device,
      mode: 'in-process',
      note: 'the statistics pass over N×C logits (one read)',
    },
    async () => {
      data = await accumulateStats(ctx.main, source, { groups, labels });
      return data;
    },
    { heavy: true, warmup: 0 },
  );
  if (!data) return c;
  const stats: DataStats = data;
  await timeRun(
    ctx,
    c,
    {
      impl: 'ftcal-bootstrap',
      device,
      mode: 'in-process',
      note: `${B} replicates at γ = 2 from the pass's statistics (the logits are not read)${ctx.main.kind === 'cpu' ? ', on the CPU pool' : ', on the calling thread'}`,
    },
    () => bootstrapAt(ctx.main, stats, 2, { replicates: B, seed: 0 }),
    {
      heavy: true,
      warmup: 0,
      check: (ci) =>
        `Y/Y ${ci.estimate['Y/Y']?.toFixed(2)} in [${ci['Y/Y'][0].toFixed(2)}, ${ci['Y/Y'][1].toFixed(2)}], oracle γ in [${ci.gamma.oracle?.[0].toFixed(3)}, ${ci.gamma.oracle?.[1].toFixed(3)}]`,
    },
  );
  return c;
}

export async function bootstrapSuite(ctx: BenchContext): Promise<Case[]> {
  ctx.log('bootstrap: B replicates from the per-row statistics against the pass that made them');
  const cases: Case[] = [];
  for (const [rows, cols, B] of sizes(ctx.opts.quick)) cases.push(await bootstrapCase(ctx, rows, cols, B));
  return cases;
}
