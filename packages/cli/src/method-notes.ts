import type {
  AlgDetails,
  ConstrainedDetails,
  MethodRow,
  NewtonDetails,
  PcvDetails,
  PickDetails,
} from '@ftcal/core';

/** One short line on how each method reached its (γ, T): what it used and whether it converged. */
export function methodNote(row: MethodRow): string {
  switch (row.method) {
    case 'alg': {
      const d = row.details as AlgDetails;
      return `${d.fitRows} seen-labelled fitting rows, no absent-class data`;
    }
    case 'oracle':
    case 'hmean': {
      const d = row.details as PickDetails;
      return `curve point ${d.index + 1} of ${d.curvePoints}; uses absent-class labels`;
    }
    case 'constrained': {
      const d = row.details as ConstrainedDetails;
      return `seen ≥ ${d.seenFloor.toFixed(2)} (δ = ${d.maxSeenDrop}); uses absent-class labels`;
    }
    case 'pcv': {
      const d = row.details as PcvDetails;
      const unmet = d.folds.filter((f) => !f.satisfied).length;
      const gammas = d.folds.map((f) => f.gamma.toFixed(3)).join(', ');
      return `${d.folds.length} folds, γ ${gammas}${unmet ? `; ${unmet} fold(s) never reached the pre-trained accuracy` : ''}`;
    }
    case 'nll':
    case 'temperature': {
      const d = row.details as NewtonDetails;
      const stop = d.converged ? 'converged' : `stopped: ${d.stopReason}`;
      return `${d.iterations} Newton steps, |grad| ${d.gradNorm.toExponential(1)}, ${stop}; uses absent-class labels`;
    }
  }
}
