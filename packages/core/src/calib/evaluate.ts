import type { AccumulatorJob, Backend } from '../backend/backend.ts';
import { ResidentLogits } from '../backend/resident-logits.ts';
import { InputError } from '../errors.ts';
import type { RowSource } from '../io/row-source.ts';
import { type AccuracyTable, accuracyAt, missingLabels, thresholds } from './accuracy.ts';
import { Calibrator, type CalibratorJson, type Fingerprint, fingerprint } from './calibrator.ts';
import { type GammaCurve, gammaCurve, requireBothGroups } from './curve.ts';
import { type Diagnostics, diagnostics, type HeadWeights } from './diagnostics.ts';
import { ABSENT, type ClassGroups, SEEN } from './groups.ts';
import { countAbsent } from './linear/data.ts';
import { isFittedLinear, type Odir } from './linear/family.ts';
import { type LinearFitOptions, refuseUnfittable } from './linear/fit.ts';
import { type LinearMap, linearScores } from './linear/map.ts';
import { defaultSkip, linearMethod } from './linear/method.ts';
import { algMethod } from './methods/alg.ts';
import { constrainedMethod, hmeanMethod, oracleMethod } from './methods/curve-picks.ts';
import type { NewtonOptions } from './methods/newton.ts';
import { nllMethod, temperatureMethod } from './methods/nll.ts';
import { type PcvFold, pcvMethod } from './methods/pcv.ts';
import {
  isLinearMethod,
  LINEAR_METHOD_NAMES,
  type LinearMethodName,
  METHOD_NAMES,
  type MethodName,
  type MethodResult,
  methodNeeds,
} from './methods/result.ts';
import type { BootstrapIntervals } from './metrics/bootstrap.ts';
import type { ClasswiseEce } from './metrics/classwise.ts';
import {
  accumulateOver,
  bootstrapAt,
  extraJobs,
  extrasOf,
  heldStates,
  type MetricOptions,
  type PointExtras,
  statesOf,
} from './metrics/extras.ts';
import { withInputKind } from './metrics/input-kind.ts';
import type { TopKTable } from './metrics/topk.ts';
import { type ConfidenceMetrics, confidenceMetrics } from './metrics.ts';
import { checkGamma, checkTemperature } from './option-checks.ts';
import { accumulateStats, type DataStats, type NanPolicy } from './stats.ts';
import { statsAtTemperature } from './tempered.ts';

export const EVALUATION_SCHEMA_VERSION = 1;

/**
 * The headline numbers under DESIGN.md §3's names: accuracies in percent, "ausuc" on 0–1, "nll" (mean,
 * natural log), "ece" (top-label, 15 equal-width bins unless configured), "brier" (multi-class, mean).
 * NaN (an empty label group) becomes null in JSON.
 */
export interface MetricTable extends AccuracyTable, TopKTable {
  ausuc: number;
  gamma: number;
  temperature: number;
  nll: number;
  ece: number;
  /** MCE and RMSCE over the same bins as ECE (DESIGN.md §1.2). */
  mce: number;
  rmsce: number;
  brier: number;
  /** Classwise ECE over S ∪ U, where asked for (`classwise: true`). */
  classwiseEce?: number;
}

/** Options shared by `evaluate` and `calibrate` (with DESIGN.md §1.2's top-k, classwise, bootstrap, input kind). */
export interface EngineOptions extends MetricOptions {
  /** Rows per chunk sent to the backend. */
  chunkRows?: number;
  nanPolicy?: NanPolicy;
  allowOtherLabels?: boolean;
  /** ECE bins (default 15) and whether to add equal-mass bins. */
  bins?: number;
  equalMass?: boolean;
  /** Logits up to this many bytes stay in memory between passes (default 1 GiB). */
  residentBytes?: number;
  /** Progress of the streamed statistics pass (rows done of total), then of the bootstrap (replicates). */
  onProgress?: (stage: 'stats' | 'bootstrap', done: number, total: number) => void;
  /**
   * Chunk accumulators (calib/accumulators.ts) to run in the one pass over the logits, for metrics at the
   * operating point that need every logit; their states are in the prepared statistics' `accumulated`.
   */
  accumulators?: readonly AccumulatorJob[];
}

/** A labelled set: logits, labels and the head's class groups. */
export interface LabelledSet {
  logits: RowSource;
  labels: Int32Array;
  groups: ClassGroups;
}

export interface EvaluateInput extends LabelledSet, EngineOptions {
  /** Operating point. Default γ = 0, T = 1. */
  gamma?: number;
  temperature?: number;
  /** Head weights (C×D, nn.Linear layout) for the weight-norm diagnostics. */
  weights?: HeadWeights;
}

/** The γ curve without its count arrays: what goes into JSON. */
export type CurveSummary = Omit<GammaCurve, 'seenCorrect' | 'absentCorrect'>;

export interface DataSummary {
  source: string;
  sourceRows: number;
  rows: number;
  cols: number;
  dropped: { nonFinite: number; otherLabel: number };
  /** Rows kept, by label group. */
  seenRows: number;
  absentRows: number;
}

export interface Evaluation {
  schemaVersion: 1;
  backend: string;
  data: DataSummary;
  groups: { numClasses: number; seen: number[]; absent: number[]; other: number[] };
  gamma: number;
  temperature: number;
  /** Accuracy table, AUSUC and confidence metrics together (DESIGN.md §3 names). */
  table: MetricTable;
  curve: CurveSummary;
  confidence: ConfidenceMetrics;
  /** Classwise ECE by group and class, with `classwise: true`. */
  classwise: ClasswiseEce | null;
  /** Bootstrap intervals at (γ, T), with `bootstrap`. */
  ci: BootstrapIntervals | null;
  diagnostics: Diagnostics;
}

/**
 * What the tables are computed from: the statistics of a labelled set (at one T), its curve, and, for
 * what needs the logits again (methods that iterate, tables at another T), passes opened on first use.
 */
interface Prepared {
  backend: Backend;
  data: DataStats;
  curve: GammaCurve;
  options: EngineOptions;
  passes(): Promise<ResidentLogits>;
  /** Frees what the passes keep (host chunks, a GPU device's copy), if they were opened. */
  release(): void;
  /** Statistics at other temperatures, computed once each. */
  tempered: Map<number, DataStats>;
}

function checkOperatingPoint(gamma: number, temperature: number): void {
  checkGamma(gamma);
  checkTemperature(temperature);
}

/**
 * The one streamed pass over a labelled set at temperature T: statistics, moments, curve, and the
 * metrics jobs at the operating point (`jobs`). Probabilities passed as logits are refused here.
 */
async function prepare(
  backend: Backend,
  set: LabelledSet,
  options: EngineOptions & { temperature?: number; jobs?: AccumulatorJob[]; scores?: boolean } = {},
): Promise<Prepared> {
  // Calibrated scores (`scores`) come from logits the guard has seen already.
  const logits = options.scores ? set.logits : withInputKind(set.logits, options.inputKind);
  const data = await accumulateStats(backend, logits, {
    groups: set.groups,
    labels: set.labels,
    temperature: options.temperature,
    // The caller's accumulators and the metrics' own run in the same pass (statesOf finds each by job).
    accumulators: [...(options.accumulators ?? []), ...(options.jobs ?? [])],
    chunkRows: options.chunkRows,
    nanPolicy: options.nanPolicy,
    allowOtherLabels: options.allowOtherLabels,
    onProgress: options.onProgress && ((d, t) => options.onProgress!('stats', d, t)),
  });
  let passes: Promise<ResidentLogits> | null = null;
  const open = async () =>
    ResidentLogits.of(logits, {
      labels: set.labels,
      keep: data.keep,
      residentBytes: options.residentBytes ?? 2 ** 30,
      chunkRows: options.chunkRows,
    });
  const p = await fromStats(backend, data, options, () => {
    passes ??= open();
    return passes;
  });
  p.release = () => void passes?.then((opened) => opened.release());
  return p;
}

/** Prepared statistics without logits behind them (a statistics file): nothing may read the logits. */
async function fromStats(
  backend: Backend,
  data: DataStats,
  options: EngineOptions,
  passes: () => Promise<ResidentLogits>,
): Promise<Prepared> {
  const curve = await gammaCurve(backend, data);
  const tempered = new Map([[data.temperature, data]]);
  return { backend, data, curve, options, passes, release: () => {}, tempered };
}

/** The metric table at (γ, T): from the statistics at T (the prepared ones, or one more pass for another T). */
async function tableAt(
  p: Prepared,
  gamma: number,
  temperature: number,
): Promise<{ table: MetricTable; confidence: ConfidenceMetrics }> {
  checkOperatingPoint(gamma, temperature);
  let data = p.tempered.get(temperature);
  if (!data) {
    data = await statsAtTemperature(p.backend, p.data, await p.passes(), temperature);
    p.tempered.set(temperature, data);
  }
  const confidence = await confidenceMetrics(p.backend, data, {
    gamma,
    bins: p.options.bins,
    equalMass: p.options.equalMass,
  });
  const table: MetricTable = {
    ...accuracyAt(p.data, gamma),
    ausuc: p.curve.ausuc,
    gamma,
    temperature,
    nll: confidence.nll,
    ece: confidence.ece,
    mce: confidence.mce,
    rmsce: confidence.rmsce,
    brier: confidence.brier,
  };
  return { table, confidence };
}

/** A table with the top-k and classwise entries of its operating point. */
function withExtras(table: MetricTable, extras: PointExtras): MetricTable {
  return {
    ...table,
    ...extras.topK,
    ...(extras.classwise && { classwiseEce: extras.classwise.classwiseEce }),
  };
}

const NO_EXTRAS: PointExtras = { topK: {}, classwise: null };

/**
 * Top-k and classwise ECE after a calibration read every logit at a γ chosen after the pass: statistics
 * files hold them only at the point they were taken at.
 */
function refuseAtPointFromStats(options: MetricOptions, source: string): void {
  if (options.topK !== undefined || options.classwise) {
    throw needsLogits('top-k accuracy and classwise ECE at the calibrated point', source);
  }
}

function curveSummary(curve: GammaCurve): CurveSummary {
  const { seenCorrect: _s, absentCorrect: _a, ...rest } = curve;
  return rest;
}

function dataSummary(data: DataStats, curve: GammaCurve): DataSummary {
  return {
    source: data.source,
    sourceRows: data.sourceRows,
    rows: data.rows,
    cols: data.cols,
    dropped: { ...data.dropped },
    seenRows: curve.seenRows,
    absentRows: curve.absentRows,
  };
}

function groupsJson(g: ClassGroups) {
  return { numClasses: g.numClasses, seen: [...g.seen], absent: [...g.absent], other: [...g.other] };
}

/**
 * Options of an evaluation from statistics already taken (a statistics file): γ, bins, weights, the
 * bootstrap, and top-k and classwise ECE where the statistics pass accumulated them at this γ.
 */
export interface EvaluateStatsOptions
  extends Pick<EngineOptions, 'bins' | 'equalMass' | 'bootstrap' | 'onProgress' | 'topK' | 'classwise'> {
  /** Operating point γ. Default 0; T is the statistics' own. */
  gamma?: number;
  weights?: HeadWeights;
}

async function evaluation(
  p: Prepared,
  gamma: number,
  weights?: HeadWeights,
  extras: PointExtras = NO_EXTRAS,
): Promise<Evaluation> {
  const { table, confidence } = await tableAt(p, gamma, p.data.temperature);
  const b = p.options.bootstrap;
  const onProgress = p.options.onProgress;
  return {
    schemaVersion: EVALUATION_SCHEMA_VERSION,
    backend: p.backend.name,
    data: dataSummary(p.data, p.curve),
    groups: groupsJson(p.data.groups),
    gamma,
    temperature: p.data.temperature,
    table: withExtras(table, extras),
    curve: curveSummary(p.curve),
    confidence,
    classwise: extras.classwise,
    ci: b
      ? await bootstrapAt(p.backend, p.data, gamma, {
          ...b,
          bins: p.options.bins,
          ...(onProgress && { onProgress: (d: number, t: number) => onProgress('bootstrap', d, t) }),
        })
      : null,
    diagnostics: diagnostics(p.data, weights),
  };
}

/**
 * The full evaluation of one labelled set at (γ, T): accuracy table, exact γ curve and AUSUC, NLL / ECE /
 * Brier with the reliability table, and diagnostics, all from one pass over the logits at T.
 */
export async function evaluate(backend: Backend, input: EvaluateInput): Promise<Evaluation> {
  const gamma = input.gamma ?? 0;
  const temperature = input.temperature ?? 1;
  checkOperatingPoint(gamma, temperature);
  const jobs = extraJobs(input, gamma, input.bins);
  const p = await prepare(backend, input, { ...input, jobs });
  const extras = extrasOf(statesOf(p.data.accumulated, jobs), input, input.groups, input.bins);
  return evaluation(p, gamma, input.weights, extras);
}

/** The same evaluation from statistics taken before (`ftcal stats`, merged shards) at their T. */
export async function evaluateStats(
  backend: Backend,
  data: DataStats,
  options: EvaluateStatsOptions = {},
): Promise<Evaluation> {
  const gamma = options.gamma ?? 0;
  checkGamma(gamma);
  const p = await fromStats(backend, data, options, () =>
    Promise.reject(needsLogits('a table at another T', data.source)),
  );
  const jobs = extraJobs(options, gamma, options.bins);
  const extras = extrasOf(heldStates(data, jobs), options, data.groups, options.bins);
  return evaluation(p, gamma, options.weights, extras);
}

/** What statistics alone cannot give: it iterates over the logits (DESIGN.md §1.3). */
export function needsLogits(what: string, file?: string): InputError {
  return new InputError({
    code: 'unsupported',
    ...(file !== undefined && { file }),
    problem: `${what} needs the logits, and only statistics were given`,
    fix: 'pass the logits instead of statistics files for it',
  });
}

/** Thresholds t_i = maxSO_i − maxU_i split by the label group of the row (for a logit-gap histogram). */
export function thresholdsByLabelGroup(data: DataStats): { seen: Float64Array; unseen: Float64Array } {
  const t = thresholds(data.stats);
  const labels = data.labels;
  if (!labels) throw missingLabels('splitting thresholds by label group', data.source);
  const codes = data.groups.codes;
  return {
    seen: t.filter((_, r) => codes[labels[r]!] === SEEN),
    unseen: t.filter((_, r) => codes[labels[r]!] === ABSENT),
  };
}

/** The fitting set of `alg`: the fine-tuning training logits and labels, or their statistics. */
export type TrainingSet =
  | { logits: RowSource; labels: Int32Array }
  | { stats: DataStats; fingerprints?: Fingerprint[] };

export interface CalibrateInput extends LabelledSet, EngineOptions {
  /**
   * The fine-tuning training data: the fitting set of `alg`, and (as logits) of vector, matrix, dirichlet
   * and affine, which otherwise fit on the labelled set.
   */
  train?: TrainingSet;
  /** Fold models for `pcv`. */
  folds?: readonly PcvFold[];
  /**
   * Methods to run. Default: every method whose inputs were given (alg: train; pcv: folds; wa: weights;
   * vector, matrix, dirichlet, affine: fitting logits with rows labelled in U, at least as many rows as
   * parameters, and for matrix and dirichlet at most C = 100 classes; see defaultSkip).
   */
  methods?: readonly MethodName[];
  /**
   * The method whose (γ, T) becomes the calibration. Default: the first of alg, pcv, nll that ran, in
   * that order: the ones that need no absent-class labels come first.
   */
  select?: MethodName;
  /** δ of `constrained`, in accuracy points. Default 1. */
  maxSeenDrop?: number;
  /** The fixed γ of `temperature`. Default 0. */
  temperatureGamma?: number;
  newton?: NewtonOptions;
  /** The head's weights (C×D, nn.Linear layout): the weight-norm diagnostics and `wa`. */
  weights?: HeadWeights;
  /** The head's bias, C values (`wa`); default none. */
  bias?: Float32Array;
  /** ODIR weights of matrix and dirichlet (DESIGN.md §1.1). Default λ = μ = 1e-3. */
  odir?: Odir;
  /** Stopping rule and Hessian choice of the linear family's Newton fits. */
  linear?: LinearFitOptions;
  /** Progress over the methods, after the statistics pass: called as each starts, and once at the end. */
  onMethod?: (method: MethodName | null, done: number, total: number) => void;
}

/**
 * One row of the methods table: the method's (γ, T), its metric table on the labelled set, its details. A
 * method of the linear family has no (γ, T) (NaN, null in JSON): its table is that of its calibrated scores.
 */
export interface MethodRow {
  method: MethodName;
  gamma: number;
  temperature: number;
  table: MetricTable;
  details: unknown;
}

export interface Calibration {
  schemaVersion: 1;
  backend: string;
  method: MethodName;
  gamma: number;
  temperature: number;
  /** The labelled set at γ = 0, T = 1, and at the chosen (γ, T). */
  before: MetricTable;
  after: MetricTable;
  methods: MethodRow[];
  calibrator: CalibratorJson;
  data: DataSummary;
  curve: CurveSummary;
  /** Reliability tables before and after, for diagrams. */
  confidenceBefore: ConfidenceMetrics;
  confidenceAfter: ConfidenceMetrics;
  /** Classwise ECE before and after, with `classwise: true`. */
  classwise: { before: ClasswiseEce; after: ClasswiseEce } | null;
  /** Bootstrap intervals at the chosen (γ, T), with `bootstrap`. */
  ci: BootstrapIntervals | null;
  diagnostics: Diagnostics;
}

const SELECT_ORDER: readonly MethodName[] = ['alg', 'pcv', 'nll'];

async function runMethod(
  name: Exclude<MethodName, LinearMethodName>,
  backend: Backend,
  p: Prepared,
  input: CalibrateOptions & { groups: ClassGroups },
  trainStats: () => Promise<DataStats>,
): Promise<MethodResult<unknown>> {
  const groups = input.groups;
  switch (name) {
    case 'alg':
      return algMethod(await trainStats());
    case 'oracle':
      return oracleMethod(p.curve);
    case 'hmean':
      return hmeanMethod(p.curve);
    case 'constrained':
      return constrainedMethod(p.curve, accuracyAt(p.data, 0)['S/Y'], input.maxSeenDrop ?? 1);
    case 'pcv':
      if (!input.folds?.length) throw methodNeeds('pcv', 'fold models’ logits', 'folds');
      return pcvMethod(
        backend,
        groups,
        input.folds.map((f) => ({
          ...f,
          logits: withInputKind(f.logits, input.inputKind),
          pretrained: withInputKind(f.pretrained, input.inputKind),
        })),
        {
          chunkRows: input.chunkRows,
          nanPolicy: input.nanPolicy,
        },
      );
    case 'nll':
      return nllMethod(backend, await p.passes(), groups, input.newton ?? {});
    case 'temperature':
      return temperatureMethod(backend, await p.passes(), groups, {
        ...input.newton,
        gamma: input.temperatureGamma ?? 0,
      });
  }
}

/**
 * The metric table of a linear-family calibration on the labelled set: the table of its calibrated scores
 * (at γ = 0, T = 1 of those scores, by DESIGN.md §1's rules), from one pass over the logits mapped chunk
 * by chunk.
 */
async function linearTable(
  backend: Backend,
  set: LabelledSet,
  options: EngineOptions,
  map: LinearMap,
  jobs: AccumulatorJob[] = [],
): Promise<{ table: MetricTable; confidence: ConfidenceMetrics; data: DataStats; states: Float64Array[] }> {
  const source = withInputKind(set.logits, options.inputKind);
  const calibrated: RowSource = {
    name: source.name,
    rows: source.rows,
    cols: source.cols,
    readRows: async (start, count) => linearScores(backend, map, await source.readRows(start, count), count),
    close: () => source.close(),
  };
  const p = await prepare(
    backend,
    { ...set, logits: calibrated },
    { ...options, onProgress: undefined, jobs, scores: true },
  );
  const { table, confidence } = await tableAt(p, 0, 1);
  p.release();
  const states = statesOf(p.data.accumulated, jobs);
  return {
    table: { ...table, gamma: Number.NaN, temperature: Number.NaN },
    confidence,
    data: p.data,
    states,
  };
}

/** The logits the fitted linear methods fit on: the fine-tuning set's when given as logits, else the labelled set's. */
function linearFitSet(input: CalibrateInput): { logits: RowSource; labels: Int32Array } | null {
  if (!input.train) return input;
  return 'stats' in input.train ? null : input.train;
}

/** Whether a method of the linear family runs by default (see CalibrateInput.methods). */
function linearByDefault(m: MethodName, input: CalibrateInput): boolean {
  if (m === 'wa') return input.weights !== undefined;
  if (!isFittedLinear(m)) return true;
  const fit = linearFitSet(input);
  return (
    fit !== null &&
    countAbsent(fit.labels, input.groups) > 0 &&
    defaultSkip(m, input.groups, fit.labels) === null
  );
}

/** The methods to run and the one selected, checked before any work. */
function methodPlan(input: CalibrateOptions, available: (m: MethodName) => boolean) {
  const methods = input.methods ?? METHOD_NAMES.filter(available);
  const badMethods = (problem: string, fix: string) =>
    new InputError({ code: 'option', problem: `calibrate: ${problem}`, fix, option: { name: 'methods' } });
  if (methods.length === 0) throw badMethods('no methods to run', 'name at least one in {option}');
  for (const m of methods) {
    if (!METHOD_NAMES.includes(m)) {
      throw badMethods(`unknown method "${m}"`, `use some of ${METHOD_NAMES.join(', ')} in {option}`);
    }
  }
  if (methods.includes('alg') && !input.train) {
    throw methodNeeds('alg', 'the fine-tuning training logits and labels', 'train');
  }
  const select = input.select ?? SELECT_ORDER.find((m) => methods.includes(m)) ?? methods[0]!;
  if (!methods.includes(select)) {
    throw badMethods(`the selected method "${select}" is not among the methods run`, 'add it to {option}');
  }
  return { methods, select };
}

/** Everything of a calibration but the labelled set itself. */
export type CalibrateOptions = Omit<CalibrateInput, keyof LabelledSet>;

/**
 * Fits the calibration: runs the chosen methods on the labelled set (alg on `train`, pcv on `folds`),
 * reports every method's table in one list, and returns the selected (γ, T) with its tables before and
 * after and a Calibrator to save or apply.
 */
export async function calibrate(backend: Backend, input: CalibrateInput): Promise<Calibration> {
  const plan = methodPlan(
    input,
    (m) =>
      m === input.select ||
      ((m !== 'alg' || !!input.train) && (m !== 'pcv' || !!input.folds?.length) && linearByDefault(m, input)),
  );
  if (plan.methods.includes('wa') && !input.weights) throw methodNeeds('wa', "the head's weights", 'weights');
  const fit = linearFitSet(input);
  const fitted = plan.methods.find(isFittedLinear);
  if (fitted && !fit)
    throw needsLogits(`calibrate's ${fitted} (fitting on the training set)`, input.logits.name);
  if (fit) refuseUnfittable(plan.methods, fit, input.groups);
  // The one pass also runs the top-k and classwise jobs at the point before calibration (γ = 0, T = 1).
  const beforeJobs = extraJobs(input, 0, input.bins);
  const p = await prepare(backend, input, { ...input, jobs: beforeJobs });
  return fitCalibration(p, input, plan, [await fingerprint(input.logits)], beforeJobs, input);
}

/** Methods that iterate over the logits: statistics alone cannot run them (DESIGN.md §1.3). */
const NEEDS_LOGITS: readonly MethodName[] = ['nll', 'temperature', ...LINEAR_METHOD_NAMES];

/**
 * The calibration from statistics taken before (`ftcal stats`, merged shards), at T = 1: every method but
 * those that iterate over the logits (nll, temperature), which are refused. `fingerprints` are those of
 * the data behind the statistics, for the calibrator.
 */
export async function calibrateStats(
  backend: Backend,
  data: DataStats,
  options: CalibrateOptions & { fingerprints?: Fingerprint[] },
): Promise<Calibration> {
  for (const m of options.methods ?? [])
    if (NEEDS_LOGITS.includes(m)) throw needsLogits(`calibrate's ${m}`, data.source);
  refuseAtPointFromStats(options, data.source);
  if (data.temperature !== 1) {
    throw new InputError({
      code: 'option',
      file: data.source,
      problem: `statistics taken at T = ${data.temperature}; the methods that choose γ keep T = 1`,
      fix: 'take the statistics at T = 1 for calibrate',
      option: { name: 'temperature', value: 1 },
    });
  }
  const plan = methodPlan(
    options,
    (m) =>
      !NEEDS_LOGITS.includes(m) &&
      (m !== 'alg' || !!options.train) &&
      (m !== 'pcv' || !!options.folds?.length),
  );
  const p = await fromStats(backend, data, options, () =>
    Promise.reject(needsLogits('a table at another T', data.source)),
  );
  return fitCalibration(p, { ...options, groups: data.groups }, plan, options.fingerprints ?? [], []);
}

async function fitCalibration(
  p: Prepared,
  input: CalibrateOptions & { groups: ClassGroups },
  plan: { methods: readonly MethodName[]; select: MethodName },
  fingerprints: Fingerprint[],
  beforeJobs: AccumulatorJob[],
  set: LabelledSet | null = null,
): Promise<Calibration> {
  const { backend } = p;
  const { methods, select } = plan;
  requireBothGroups(p.data.source, p.curve.seenRows, p.curve.absentRows);
  let train: DataStats | null = null;
  const trainStats = async () => {
    const set = input.train!;
    train ??=
      'stats' in set
        ? set.stats
        : await accumulateStats(backend, withInputKind(set.logits, input.inputKind), {
            groups: input.groups,
            labels: set.labels,
            chunkRows: input.chunkRows,
            nanPolicy: input.nanPolicy,
            allowOtherLabels: input.allowOtherLabels,
          });
    return train;
  };
  // The linear family's fitting rows: the fine-tuning logits when given, else the labelled set's passes.
  let trainLogits: ResidentLogits | null = null;
  const linearLogits = async () => {
    const train = input.train;
    if (!train || 'stats' in train) return p.passes();
    trainLogits ??= ResidentLogits.of(withInputKind(train.logits, input.inputKind), {
      labels: train.labels,
      keep: (await trainStats()).keep,
      residentBytes: input.residentBytes ?? 2 ** 30,
      chunkRows: input.chunkRows,
    });
    return trainLogits;
  };
  const rows: MethodRow[] = [];
  let chosenConfidence: ConfidenceMetrics | null = null;
  let chosenMap: LinearMap | null = null;
  // A linear calibration's point is γ = 0, T = 1 of its calibrated scores: their pass runs the metrics.
  let chosenLinear: { data: DataStats; extras: PointExtras } | null = null;
  for (const [i, m] of methods.entries()) {
    input.onMethod?.(m, i, methods.length);
    if (isLinearMethod(m)) {
      const r = await linearMethod(backend, m, { ...input, logits: linearLogits, fit: input.linear });
      const jobs = m === select ? extraJobs(input, 0, input.bins) : [];
      const t = await linearTable(backend, set!, input, r.map, jobs);
      if (m === select) {
        [chosenConfidence, chosenMap] = [t.confidence, r.map];
        chosenLinear = { data: t.data, extras: extrasOf(t.states, input, input.groups, input.bins) };
      }
      const row = { method: m, gamma: Number.NaN, temperature: Number.NaN, table: t.table };
      rows.push({ ...row, details: r.details });
      continue;
    }
    const r = await runMethod(m, backend, p, input, trainStats);
    const { table, confidence } = await tableAt(p, r.gamma, r.temperature);
    if (m === select) chosenConfidence = confidence;
    rows.push({ method: m, gamma: r.gamma, temperature: r.temperature, table, details: r.details });
  }
  input.onMethod?.(null, methods.length, methods.length);
  const chosen = rows.find((r) => r.method === select)!;
  const before = await tableAt(p, 0, 1);
  const extrasBefore = extrasOf(statesOf(p.data.accumulated, beforeJobs), input, input.groups, input.bins);
  // At a chosen (γ, T) they need one more read of the logits, and only when asked for.
  const afterJobs = chosenLinear ? [] : extraJobs(input, chosen.gamma, input.bins);
  const extrasAfter =
    chosenLinear?.extras ??
    (afterJobs.length
      ? extrasOf(
          await accumulateOver(backend, await p.passes(), input.groups, chosen.temperature, afterJobs),
          input,
          input.groups,
          input.bins,
        )
      : extrasBefore);
  // The methods and tables are done with the logits: free what the passes kept.
  p.release();
  const onProgress = input.onProgress;
  const [pointStats, pointGamma] = chosenLinear
    ? [chosenLinear.data, 0]
    : [p.tempered.get(chosen.temperature)!, chosen.gamma];
  const ci = input.bootstrap
    ? await bootstrapAt(backend, pointStats, pointGamma, {
        ...input.bootstrap,
        bins: input.bins,
        maxSeenDrop: input.maxSeenDrop ?? 1,
        train: input.train ? await trainStats() : null,
        ...(onProgress && { onProgress: (d: number, t: number) => onProgress('bootstrap', d, t) }),
      })
    : null;
  (trainLogits as ResidentLogits | null)?.release();
  if (input.train && methods.some((m) => m === 'alg' || isFittedLinear(m))) {
    const set = input.train;
    fingerprints.push(...('stats' in set ? (set.fingerprints ?? []) : [await fingerprint(set.logits)]));
  }
  const calibrator = new Calibrator({
    groups: input.groups,
    ...(chosenMap ? { linear: chosenMap } : { gamma: chosen.gamma, temperature: chosen.temperature }),
    method: select,
    fingerprints,
  });
  return {
    schemaVersion: EVALUATION_SCHEMA_VERSION,
    backend: backend.name,
    method: select,
    gamma: chosen.gamma,
    temperature: chosen.temperature,
    before: withExtras(before.table, extrasBefore),
    after: withExtras(chosen.table, extrasAfter),
    methods: rows,
    calibrator: calibrator.toJSON(),
    data: dataSummary(p.data, p.curve),
    curve: curveSummary(p.curve),
    confidenceBefore: before.confidence,
    confidenceAfter: chosenConfidence!,
    classwise:
      extrasBefore.classwise && extrasAfter.classwise
        ? { before: extrasBefore.classwise, after: extrasAfter.classwise }
        : null,
    ci,
    diagnostics: diagnostics(p.data, input.weights),
  };
}
