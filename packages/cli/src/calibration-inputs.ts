import { basename } from 'node:path';
import {
  type CalibrateInput,
  type CalibrateOptions,
  type ClassGroups,
  countAbsent,
  defaultSkip,
  InputError,
  isFittedLinear,
  LINEAR_METHOD_NAMES,
  METHOD_NAMES,
  type MethodName,
  type Odir,
  type PcvFold,
  refuseUnfittable,
  requireBothGroups,
  type TensorSource,
  type TrainingSet,
} from '@ftcal/core';
import { type Command, Option } from 'commander';
import { labelsFor, loadHeadBias, loadHeadWeights, type OpenFiles, openLogitsFor } from './datasets.ts';
import { type GroupArgs, loadGroups, nanPolicyOf } from './inputs.ts';
import {
  choiceOption,
  indexListOption,
  listOption,
  numberOption,
  odirOption,
  parseIndexList,
  quoted,
  usageError,
} from './options.ts';
import { loadStats } from './stats-inputs.ts';

/** The options `calibrate` and `report` share: the labelled set, the fitting set, pcv folds, the method. */
export interface CalibrationArgs extends GroupArgs {
  logits: string;
  labels: string;
  method?: MethodName;
  methods?: MethodName[];
  fitLogits?: string;
  fitLabels?: string;
  /** Statistics files of the fitting set (calibrate only). */
  fitStats?: string[];
  maxSeenDrop: number;
  foldLogits?: string[];
  foldSeen?: string[];
  foldLabels?: string[];
  pretrainedLogits?: string[];
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
  odir?: Odir;
  weights?: string;
  bias?: string;
}

export function addCalibrationOptions(cmd: Command): Command {
  return cmd
    .addOption(
      choiceOption(
        '--method <name>',
        'the method whose (γ, T) is chosen (default: alg, else pcv, else nll)',
        METHOD_NAMES,
      ),
    )
    .addOption(
      new Option(
        '--methods <list>',
        'methods to run, e.g. alg,oracle (default: every method whose inputs are given; nll and temperature take several passes over the logits)',
      ).argParser(methodList),
    )
    .option('--fit-logits <file>', 'logits of the fine-tuning training data: the fitting set of alg')
    .option('--fit-labels <file>', 'labels of --fit-logits')
    .addOption(
      numberOption(
        '--max-seen-drop <points>',
        'δ of constrained: the most seen accuracy (points) it may give up',
        'points',
      ).default(1),
    )
    .addOption(
      listOption(
        '--fold-logits <file>',
        'pcv: logits of a fold model (fine-tuned on part of S); repeat per fold',
      ),
    )
    .addOption(
      indexListOption(
        '--fold-seen <list>',
        'pcv: the classes that fold model was fine-tuned on, e.g. 0-2; one per --fold-logits',
        true,
      ),
    )
    .addOption(
      listOption(
        '--fold-labels <file>',
        'pcv: labels of the fold rows; once for all folds or once per fold (default --fit-labels)',
      ),
    )
    .addOption(
      listOption(
        '--pretrained-logits <file>',
        'pcv: the pre-trained model on the fold rows; once, or once per fold',
      ),
    )
    .addOption(
      odirOption(
        '--odir <λ,μ>',
        'matrix, dirichlet: ODIR weights on the off-diagonal of W and on b (default 1e-3,1e-3)',
      ),
    )
    .option(
      '--weights <file>',
      'head weights (classes × features, nn.Linear layout): wa, and the weight-norm diagnostics',
    )
    .option('--bias <file>', 'head bias, one value per class (wa; needs --weights)');
}

function methodList(text: string): MethodName[] {
  const names = text.split(/[,\s]+/).filter(Boolean);
  for (const n of names) {
    if (!METHOD_NAMES.includes(n as MethodName)) {
      throw usageError('--methods', `${quoted(n)} is not a method`, `use some of ${METHOD_NAMES.join(', ')}`);
    }
  }
  if (names.length === 0)
    throw usageError('--methods', 'the list is empty', 'name at least one method, e.g. --methods alg,oracle');
  return [...new Set(names)] as MethodName[];
}

/** Methods that iterate over the logits (or score them anew): statistics files cannot run them. */
const NEEDS_LOGITS: readonly MethodName[] = ['nll', 'temperature', ...LINEAR_METHOD_NAMES];

/** Why a method cannot run with the inputs given (null: it can). */
function missingInput(method: MethodName, args: CalibrationArgs, statsOnly: boolean): string | null {
  if (method === 'alg' && !args.fitLogits && !args.fitStats?.length)
    return 'needs the fine-tuning training logits: --fit-logits F --fit-labels FY (or --fit-stats)';
  if (statsOnly && NEEDS_LOGITS.includes(method)) {
    return 'needs the logits (it iterates over them), and only --stats files were given';
  }
  if (method === 'pcv' && !args.foldLogits?.length) {
    return 'needs fold models: --fold-logits F --fold-seen LIST (per fold) and --pretrained-logits P';
  }
  if (method === 'wa' && !args.weights) return "needs the head's weights: --weights W [--bias b]";
  if (isFittedLinear(method) && args.fitStats?.length) {
    return 'fits on the fitting set’s logits, and --fit-stats gives its statistics: pass --fit-logits F --fit-labels FY';
  }
  return null;
}

/**
 * Why vector, matrix, dirichlet or affine is left out of the default methods for this fitting set (null:
 * it runs): no rows labelled in U, a full map over 100 classes, or fewer rows than parameters.
 */
function linearDefaultSkip(
  method: MethodName,
  fit: { logits: { name: string }; labels: Int32Array } | null,
  groups: ClassGroups,
): string | null {
  if (!isFittedLinear(method) || !fit) return null;
  const name = basename(fit.logits.name);
  if (countAbsent(fit.labels, groups) === 0) {
    return `its fitting set ${name} has no rows labelled in U (fitting would push the absent classes down)`;
  }
  const skip = defaultSkip(method, groups, fit.labels);
  if (skip?.reason === 'too-large') {
    return `a full C×C map of ${skip.parameters.toLocaleString('en-US')} parameters is fitted only when named: --methods ${method} or --method ${method}`;
  }
  if (skip) {
    return `its fitting set ${name} has ${skip.rows} rows for ${skip.parameters} parameters (too few: the likelihood may have no optimum); name it to fit anyway: --methods ${method}`;
  }
  return null;
}

/** One value per fold, or one for all folds. */
function perFold(flag: string, values: string[] | undefined, folds: number, fallback?: string): string[] {
  const list = values?.length ? values : fallback ? [fallback] : [];
  if (list.length === 1) return Array(folds).fill(list[0]);
  if (list.length === folds) return list;
  throw new InputError(
    `${flag}: given ${list.length} times for ${folds} --fold-logits; give it once for all folds or once per fold`,
  );
}

async function openFolds(
  files: OpenFiles,
  args: CalibrationArgs,
  groups: ClassGroups,
  allowOther: boolean,
): Promise<PcvFold[]> {
  const logits = args.foldLogits ?? [];
  if (logits.length === 0) {
    if (args.foldSeen?.length || args.pretrainedLogits?.length || args.foldLabels?.length) {
      throw new InputError(
        'pcv fold options given without --fold-logits; pass each fold model’s logits with --fold-logits',
      );
    }
    return [];
  }
  const seen = args.foldSeen ?? [];
  if (seen.length !== logits.length) {
    throw new InputError(
      `--fold-seen: given ${seen.length} times for ${logits.length} --fold-logits; give the fine-tuned classes of each fold model`,
    );
  }
  if (!args.pretrainedLogits?.length) {
    throw new InputError(
      'pcv needs the pre-trained model’s logits on the fold rows; pass --pretrained-logits P',
    );
  }
  const labels = perFold('--fold-labels', args.foldLabels, logits.length, args.fitLabels);
  const pretrained = perFold('--pretrained-logits', args.pretrainedLogits, logits.length);
  const folds: PcvFold[] = [];
  for (let f = 0; f < logits.length; f++) {
    const foldLogits = await openLogitsFor(files, logits[f]!, groups, args.logits);
    const pre = await openLogitsFor(files, pretrained[f]!, groups, args.logits);
    if (pre.rows !== foldLogits.rows) {
      throw new InputError(
        `${pre.name}: ${pre.rows} rows but ${foldLogits.name} has ${foldLogits.rows}; the pre-trained logits must score the same rows as the fold model`,
      );
    }
    folds.push({
      seen: parseIndexList('--fold-seen', seen[f]!, groups.numClasses),
      logits: foldLogits,
      labels: await labelsFor(labels[f]!, foldLogits, groups, allowOther),
      pretrained: pre,
    });
  }
  return folds;
}

export interface OpenedCalibration {
  input: CalibrateInput;
  /** Methods left out for lack of inputs, with the options that would enable them. */
  skipped: { method: MethodName; reason: string }[];
  logits: TensorSource;
}

/** The fitting set of alg: its logits and labels, or its statistics files (merged). */
async function openTraining(
  files: OpenFiles,
  args: CalibrationArgs,
  groups: ClassGroups,
  against: string,
): Promise<TrainingSet | undefined> {
  if (args.fitStats?.length) {
    if (args.fitLogits || args.fitLabels) {
      throw new InputError(
        '--fit-stats was given with --fit-logits/--fit-labels; pass the fitting set one way, its logits or its statistics',
      );
    }
    const { data, fingerprints } = await loadStats(args.fitStats, {});
    if (data.groups.codes.join() !== groups.codes.join()) {
      throw new InputError(
        `${data.source}: the fitting set's statistics were taken with other class groups than the labelled set's; take them with the same groups`,
      );
    }
    return { stats: data, fingerprints };
  }
  if (Boolean(args.fitLogits) !== Boolean(args.fitLabels)) {
    throw new InputError(
      `${args.fitLogits ? '--fit-logits' : '--fit-labels'} without ${args.fitLogits ? '--fit-labels' : '--fit-logits'}; pass the fitting set's logits and labels together`,
    );
  }
  if (!args.fitLogits || !args.fitLabels) return undefined;
  const fit = await openLogitsFor(files, args.fitLogits, groups, against);
  return {
    logits: fit,
    labels: await labelsFor(args.fitLabels, fit, groups, args.allowOtherLabels === true),
  };
}

/**
 * The methods to run, checked against the inputs given: named ones must be runnable, others are skipped.
 * `fit` is the linear family's fitting set (the fine-tuning logits, else the labelled set's; null with
 * statistics only).
 */
function planMethods(
  args: CalibrationArgs,
  statsOnly: boolean,
  groups: ClassGroups,
  fit: { logits: { name: string }; labels: Int32Array } | null,
) {
  if (args.method) {
    const missing = missingInput(args.method, args, statsOnly);
    if (missing)
      throw new InputError(`--method ${args.method} ${missing}; pass them or choose another method`);
    if (args.methods && !args.methods.includes(args.method)) {
      throw new InputError(
        `--method ${args.method} is not among --methods ${args.methods.join(',')}; add it there or choose one of those`,
      );
    }
  }
  for (const m of args.methods ?? []) {
    const missing = missingInput(m, args, statsOnly);
    if (missing) throw new InputError(`--methods names ${m}, which ${missing}; pass them or drop ${m}`);
  }
  // Named, a fitted linear method refuses a fitting set without absent-labelled rows (core's one line).
  if (fit) for (const m of [args.method, ...(args.methods ?? [])]) if (m) refuseUnfittable([m], fit, groups);
  const skipped: OpenedCalibration['skipped'] = [];
  const methods: MethodName[] = [];
  for (const m of args.methods ? METHOD_NAMES.filter((n) => args.methods!.includes(n)) : METHOD_NAMES) {
    const named = args.methods !== undefined || args.method === m;
    const missing = missingInput(m, args, statsOnly) ?? (named ? null : linearDefaultSkip(m, fit, groups));
    if (missing) skipped.push({ method: m, reason: missing });
    else methods.push(m);
  }
  return { methods, skipped };
}

/** Everything of a calibration but its labelled set, from the options. */
async function calibrationOptions(
  files: OpenFiles,
  args: CalibrationArgs,
  groups: ClassGroups,
  against: string,
  labelled: { logits: TensorSource; labels: Int32Array } | null,
) {
  if (args.bias && !args.weights) {
    throw usageError('--bias', 'a head bias without its weights', 'pass the head as --weights W --bias b');
  }
  const allowOther = args.allowOtherLabels === true;
  const train = await openTraining(files, args, groups, against);
  const folds = await openFolds(files, args, groups, allowOther);
  const weights = args.weights ? await loadHeadWeights(args.weights, groups.numClasses) : undefined;
  const bias =
    args.bias && args.weights ? await loadHeadBias(args.bias, args.weights, groups.numClasses) : undefined;
  const fit = train ? ('stats' in train ? null : train) : labelled;
  const { methods, skipped } = planMethods(args, labelled === null, groups, fit);
  const options: CalibrateOptions = {
    methods,
    maxSeenDrop: args.maxSeenDrop,
    nanPolicy: nanPolicyOf(args.nanPolicy),
    select: args.method,
    train,
    folds: folds.length ? folds : undefined,
    allowOtherLabels: allowOther,
    chunkRows: args.chunkRows,
    weights,
    bias,
    odir: args.odir,
  };
  return { options, skipped };
}

/**
 * Opens and checks every input of a calibration before any device work: shapes, labels, groups, folds.
 * Methods whose inputs are missing are skipped (and reported), unless --method names one of them.
 */
export async function openCalibration(files: OpenFiles, args: CalibrationArgs): Promise<OpenedCalibration> {
  const logits = await openLogitsFor(files, args.logits, null);
  const groups = await loadGroups(args, logits.cols);
  const labels = await labelsFor(args.labels, logits, groups, args.allowOtherLabels === true);
  // Labels all in one group cannot fit γ: say so about the labels file now, not after the first pass.
  const counts = [0, 0, 0];
  for (const y of labels) counts[groups.codes[y]!]!++;
  requireBothGroups(args.labels, counts[0]!, counts[1]!);
  const { options, skipped } = await calibrationOptions(files, args, groups, args.logits, { logits, labels });
  return { input: { logits, labels, groups, ...options }, skipped, logits };
}

/** The same from merged statistics files (--stats): nll and temperature cannot run on them. */
export async function openStatsCalibration(files: OpenFiles, args: CalibrationArgs & { stats: string[] }) {
  const { data, fingerprints } = await loadStats(args.stats, args);
  const { options, skipped } = await calibrationOptions(files, args, data.groups, data.source, null);
  return { data, fingerprints, options, skipped };
}
