import { initMlp, type Mlp, mlpGradients, type TrainingBackend, withTraining } from '@ftcal/demo';
import { type BenchContext, newCase, normDiff, timeRun } from '../context.ts';
import { randomMatrix } from '../data.ts';
import type { Case } from '../results.ts';

/** The demo's model and fine-tuning step (demo/src/config.ts; the demo exports the type, not the values). */
const DEMO = {
  pixels: 28 * 28,
  hidden: 256,
  digits: 10,
  batch: 64,
  lr: 0.02,
  momentum: 0.9,
  weightDecay: 5e-4,
};

/**
 * One step of the demo's training loop (`pnpm demo`): forward, cross-entropy, backward and the SGD
 * update. The images are random: the step's cost does not depend on them.
 */
async function step(be: TrainingBackend, m: Mlp, x: Float32Array, y: Int32Array, velocity: Float32Array) {
  const { loss, grad } = await mlpGradients(be, m, x, y, y.length);
  const next = await be.sgdMomentum(m.params, grad, velocity, {
    lr: DEMO.lr,
    momentum: DEMO.momentum,
    weightDecay: DEMO.weightDecay,
  });
  return { loss, params: next.params };
}

export async function trainingStepCases(ctx: BenchContext): Promise<Case[]> {
  const batches = ctx.opts.quick ? [DEMO.batch] : [DEMO.batch, 1024];
  const cases: Case[] = [];
  const main = withTraining(ctx.main);
  const twin = ctx.twin && withTraining(ctx.twin);
  for (const rows of batches) {
    const m = initMlp(DEMO.pixels, DEMO.hidden, DEMO.digits, 1);
    // Forward (two matmuls) and backward (four): 3 × 2·rows·(inputs·hidden + hidden·classes) flops.
    const flops = 3 * 2 * rows * (DEMO.pixels * DEMO.hidden + DEMO.hidden * DEMO.digits);
    const c = newCase(
      ctx,
      'end-to-end',
      'demo training step',
      `batch ${rows}, MLP ${DEMO.pixels}→${DEMO.hidden}→${DEMO.digits}`,
      { rows, inputs: DEMO.pixels, hidden: DEMO.hidden, classes: DEMO.digits },
      { flops },
    );
    const x = randomMatrix(rows * DEMO.pixels, 21).map((v) => (v + 1) / 2);
    const y = new Int32Array(rows).map((_, i) => i % DEMO.digits);
    const velocity = new Float32Array(m.params.length);
    const ours = await timeRun(
      ctx,
      c,
      { impl: ctx.mainImpl, device: ctx.mainDevice, mode: 'round-trip' },
      () => step(main, m, x, y, velocity),
      { timer: ctx.timer },
    );
    const ref = ours.status === 'ok' ? await step(main, m, x, y, velocity) : null;
    if (twin) {
      await timeRun(
        ctx,
        c,
        { impl: 'ftcal-cpu', device: ctx.machine.cpu, mode: 'in-process' },
        () => step(twin, m, x, y, velocity),
        {
          check: (out) =>
            ref
              ? `loss ${out.loss.toFixed(6)} vs ftcal ${ref.loss.toFixed(6)}; new parameters ${normDiff(out.params, ref.params)}`
              : undefined,
        },
      );
    }
    cases.push(c);
  }
  return cases;
}
