import { GROUP_ABSENT } from '@ftcal/kernels';
import type { LabelRankOptions, LabelRanks } from '../backend/backend.ts';

/**
 * [zU + γ > zSO] in float64: whether a U class with logit zU goes before an S∪O class with logit zSO.
 * The same rule and -Infinity conventions as the top-1 thresholds (accuracy.ts thresholdOf): a U logit
 * of -∞ never goes first, a finite U logit always goes before an S∪O logit of -∞.
 */
export function absentFirst(zU: number, zSO: number, gamma: number): boolean {
  if (zU === Number.NEGATIVE_INFINITY) return false;
  if (zSO === Number.NEGATIVE_INFINITY) return true;
  return gamma > zSO - zU;
}

/**
 * CPU twin of the label-rank kernel for row `r` (its logits at z[base…base+cols)), in float64: how many
 * classes go before the label y among all classes (rankY) and within y's own group (rankOwn), by
 * score z + γ·[c∈U], ties S∪O before U then lower index. The GPU driver calls it for the rows its f32
 * comparisons could not decide.
 */
export function labelRankRow(
  z: Float32Array,
  base: number,
  cols: number,
  groups: Uint32Array,
  y: number,
  gamma: number,
): { rankY: number; rankOwn: number } {
  const zy = z[base + y]!;
  const gy = groups[y]!;
  const yAbsent = gy === GROUP_ABSENT;
  let rankY = 0;
  let rankOwn = 0;
  for (let c = 0; c < cols; c++) {
    if (c === y) continue;
    const v = z[base + c]!;
    const g = groups[c]!;
    const wins = v > zy || (v === zy && c < y);
    if (g === gy && wins) rankOwn++;
    if ((g === GROUP_ABSENT) === yAbsent) {
      if (wins) rankY++;
    } else if (yAbsent ? !absentFirst(zy, v, gamma) : absentFirst(v, zy, gamma)) {
      rankY++;
    }
  }
  return { rankY, rankOwn };
}

/** CPU twin of the label-rank kernel (webgpu/label-rank.ts): every row in float64. */
export function labelRanksCpu(
  z: Float32Array,
  rows: number,
  cols: number,
  options: LabelRankOptions,
): LabelRanks {
  const { groups, labels } = options;
  const gamma = options.gamma ?? 0;
  const rankY = new Int32Array(rows);
  const rankOwn = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const ranks = labelRankRow(z, r * cols, cols, groups, labels[r]!, gamma);
    rankY[r] = ranks.rankY;
    rankOwn[r] = ranks.rankOwn;
  }
  return { rankY, rankOwn };
}
