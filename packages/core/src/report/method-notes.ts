import type { AlgDetails } from '../calib/methods/alg.ts';
import type { ConstrainedDetails, PickDetails } from '../calib/methods/curve-picks.ts';
import type { NewtonDetails } from '../calib/methods/newton.ts';
import type { PcvDetails } from '../calib/methods/pcv.ts';
import type { MethodName } from '../calib/methods/result.ts';

/**
 * One short line on how each method reached its (γ, T): what it used and whether it converged. For the
 * methods tables of every front end (the CLI's, the report's, the web page's); `details` is the method's
 * own (MethodResult.details, MethodRow.details).
 */
export function methodNote(row: { method: MethodName; details: unknown }): string {
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
