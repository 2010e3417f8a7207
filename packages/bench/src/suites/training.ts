import type { BenchContext } from '../context.ts';
import type { Case } from '../results.ts';

/**
 * core/src/demo exposes the whole demo (runDemo) but no single training step (its MLP, gradients and
 * train loop stay inside core), so the step is listed as missing rather than timed some other way.
 */
export async function trainingStepCases(ctx: BenchContext): Promise<Case[]> {
  ctx.missing.add(
    'demo training step: core/src/demo exports runDemo() only, not its MLP step (initMlp, gradients, train)',
  );
  return [];
}
