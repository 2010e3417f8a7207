import { InputError } from '../../errors.ts';
import { type HeadWeights, weightNorms } from '../diagnostics.ts';
import { type ClassGroups, SEEN } from '../groups.ts';
import type { LinearMap } from './map.ts';

export interface WaDetails {
  /** r = mean_{c∈U} ‖w_c‖₂ / mean_{c∈S} ‖w_c‖₂. */
  ratio: number;
  seenNorm: number;
  absentNorm: number;
  /** Whether the head's bias was given (else b = 0). */
  bias: boolean;
}

/**
 * `wa`, weight aligning (Zhao et al., CVPR 2020; DESIGN.md §1.1), in closed form from the head alone:
 * s_c = r·(z_c − b_c) + b_c on S, z_c elsewhere, i.e. the seen classes' weight rows scaled to the absent
 * classes' mean norm. `weights` is C×D in nn.Linear layout; `bias` C values, or null for a head without one.
 */
export function weightAligning(
  weights: HeadWeights,
  bias: Float32Array | null,
  groups: ClassGroups,
): { map: LinearMap; details: WaDetails } {
  const cols = groups.numClasses;
  if (bias && bias.length !== cols) {
    throw new InputError({
      code: 'shape',
      file: 'head bias',
      problem: `${bias.length} values for ${cols} classes`,
      fix: 'pass the bias of the same head, one value per class',
    });
  }
  // weightNorms checks the weights' shape against the groups.
  const norms = weightNorms(weights, groups);
  const seenNorm = norms.seen.mean;
  const absentNorm = norms.absent.mean;
  const ratio = absentNorm / seenNorm;
  if (!(Number.isFinite(ratio) && ratio > 0)) {
    throw new InputError({
      code: 'input',
      file: weights.name ?? 'head weights',
      problem: `the weight-norm ratio mean_U ‖w‖ / mean_S ‖w‖ = ${absentNorm} / ${seenNorm} is not a finite number > 0`,
      fix: 'pass the head the logits came from: its seen and absent rows must be non-zero and finite',
    });
  }
  const scale = Float64Array.from(groups.codes, (g) => (g === SEEN ? ratio : 1));
  const shift = Float64Array.from(groups.codes, (g, c) => (g === SEEN && bias ? (1 - ratio) * bias[c]! : 0));
  return {
    map: { input: 'logits', form: 'diagonal', cols, weights: scale, bias: shift, masked: [] },
    details: { ratio, seenNorm, absentNorm, bias: bias !== null },
  };
}
