import { harmonicMean } from '../accuracy.ts';
import { bestPoint, type CurvePoint, type GammaCurve, requireCurvePoints } from '../curve.ts';
import { checkOption } from '../option-checks.ts';
import type { MethodResult } from './result.ts';

/** The curve point a method picked; every pick takes the smallest γ among equally good points. */
export interface PickDetails {
  point: CurvePoint;
  /** Index of the point on the curve (ascending γ) and the number of points. */
  index: number;
  curvePoints: number;
}

function pick<D extends object>(
  method: 'oracle' | 'constrained' | 'hmean',
  curve: GammaCurve,
  index: number,
  extra: D,
): MethodResult<PickDetails & D> {
  const point = curve.points[index]!;
  return {
    method,
    gamma: point.gamma,
    temperature: 1,
    details: { point, index, curvePoints: curve.points.length, ...extra },
  };
}

/**
 * `oracle`: the point of highest overall accuracy (Acc Y/Y) on a labelled set. An upper bound, not a
 * deployable choice: it uses absent-class labels.
 */
export function oracleMethod(curve: GammaCurve): MethodResult<PickDetails> {
  requireCurvePoints(curve, 'oracle');
  return pick(
    'oracle',
    curve,
    bestPoint(curve.points, (p) => p.overall),
    {},
  );
}

/** `hmean`: the point of highest harmonic mean of seen (S/Y) and unseen (U/Y) accuracy. */
export function hmeanMethod(curve: GammaCurve): MethodResult<PickDetails> {
  requireCurvePoints(curve, 'hmean');
  return pick(
    'hmean',
    curve,
    bestPoint(curve.points, (p) => harmonicMean(p.seen, p.unseen)),
    {},
  );
}

export interface ConstrainedDetails extends PickDetails {
  /** δ in accuracy points, the seen accuracy at γ = 0, and the floor seen(0) − δ the pick respects. */
  maxSeenDrop: number;
  seenAtZero: number;
  seenFloor: number;
}

/**
 * `constrained`: the highest overall accuracy among points with seen ≥ seen(γ=0) − δ, δ in percentage
 * points. Some point always qualifies: the one whose interval holds γ = 0 (or, when 0 is a threshold, the
 * point just below it) has exactly the seen accuracy at γ = 0.
 */
export function constrainedMethod(
  curve: GammaCurve,
  seenAtZero: number,
  maxSeenDrop: number,
): MethodResult<ConstrainedDetails> {
  requireCurvePoints(curve, 'constrained');
  checkOption(maxSeenDrop, 'maxSeenDrop', 'δ of constrained (points)', 'points');
  const seenFloor = seenAtZero - maxSeenDrop;
  const index = bestPoint(
    curve.points,
    (p) => p.overall,
    (p) => p.seen >= seenFloor,
  );
  if (index < 0)
    throw new Error(`constrained: no curve point has seen ≥ ${seenFloor}; the curve is inconsistent`);
  return pick('constrained', curve, index, { maxSeenDrop, seenAtZero, seenFloor });
}
