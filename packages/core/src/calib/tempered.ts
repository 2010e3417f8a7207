import type { Backend } from '../backend/backend.ts';
import type { ResidentLogits } from '../backend/resident-logits.ts';
import { copyColumns } from '../cpu/columns.ts';
import { emptyRowStats } from '../cpu/row-stats.ts';
import type { DataStats } from './stats.ts';

/**
 * The statistics of the same kept rows at another temperature: one more pass over the logits, for the
 * tables of methods that choose T (nll, temperature). Maxima, labels and moments do not depend on T; the
 * log-sum-exps do.
 */
export async function statsAtTemperature(
  backend: Backend,
  data: DataStats,
  passes: ResidentLogits,
  temperature: number,
): Promise<DataStats> {
  const stats = emptyRowStats(passes.rows);
  let at = 0;
  await passes.forEach(async ({ z, rows, labels }) => {
    const s = await backend.rowStats(z, rows, passes.cols, {
      groups: data.groups.codes,
      temperature,
      ...(labels && { labels }),
    });
    copyColumns(stats, s, at);
    at += rows;
  });
  return { ...data, temperature, stats };
}
