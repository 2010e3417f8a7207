import type { LinearFitResult } from '../calib/linear/fit.ts';
import type { WaDetails } from '../calib/linear/wa.ts';
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
      const gammas = d.folds.map((f) => (f.gamma === null ? 'skipped' : f.gamma.toFixed(3))).join(', ');
      const skipped = d.folds.length - d.usedFolds;
      return `mean of ${d.usedFolds} of ${d.folds.length} folds, γ ${gammas}${skipped ? `; ${skipped} fold(s) skipped: no γ reached the pre-trained pseudo-absent accuracy (as the paper's code does)` : ''}`;
    }
    case 'nll':
    case 'temperature': {
      const d = row.details as NewtonDetails;
      const stop = d.converged ? 'converged' : `stopped: ${d.stopReason}`;
      return `${d.iterations} Newton steps, |grad| ${d.gradNorm.toExponential(1)}, ${stop}; uses absent-class labels`;
    }
    case 'vector':
    case 'matrix':
    case 'dirichlet':
    case 'affine': {
      const d = row.details as LinearFitResult['details'];
      const stop = d.converged ? 'converged' : `stopped: ${d.stopReason}`;
      const solver =
        d.hessian === 'exact' ? 'exact Hessian' : `truncated, ${d.hessianProducts} Hessian products`;
      const a = d.affine;
      const fitted = a
        ? `; scales S ${Math.exp(a.thetaS).toFixed(3)}, U ${Math.exp(a.thetaU).toFixed(3)}, β ${a.beta.toFixed(3)}`
        : '';
      const n = d.unlabelledClasses.length;
      const unlabelled = n ? `; ${n} class${n === 1 ? '' : 'es'} without fitting rows held at −∞` : '';
      return `${d.parameters} parameters, ${d.iterations} Newton steps (${solver}), max|grad| ${d.gradNorm.toExponential(1)}, ${stop}${fitted}${unlabelled}; uses absent-class labels`;
    }
    case 'wa': {
      const d = row.details as WaDetails;
      return `seen logits scaled by r = ${d.ratio.toFixed(4)} (mean head-weight norm U / S)${d.bias ? ' about the bias' : ''}; no labels`;
    }
  }
}
