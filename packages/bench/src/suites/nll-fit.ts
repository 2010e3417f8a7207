import type { ClassGroups } from '@ftcal/core';
import { type BenchContext, unavailable } from '../context.ts';
import type { Case } from '../results.ts';

/** Until core exports the nll method and its logit passes, the fit is listed as not available. */
export async function nllFitRuns(
  ctx: BenchContext,
  c: Case,
  _files: { logits: string; labels: string },
  _groups: ClassGroups,
  _heavy: boolean,
): Promise<void> {
  const why = 'core does not export nllMethod / logitPasses in this build';
  ctx.missing.add(`nll fit: ${why}`);
  unavailable(c, ctx.mainImpl, ctx.mainDevice, 'round-trip', why);
}
