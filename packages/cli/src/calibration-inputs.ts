import {
  type CalibrateInput,
  type ClassGroups,
  InputError,
  METHOD_NAMES,
  type MethodName,
  type PcvFold,
  type TensorSource,
} from '@ftcal/core';
import { type Command, Option } from 'commander';
import { labelsFor, type OpenFiles, openLogitsFor } from './datasets.ts';
import { type GroupArgs, loadGroups, nanPolicyOf } from './inputs.ts';
import {
  choiceOption,
  indexListOption,
  listOption,
  numberOption,
  parseIndexList,
  quoted,
  usageError,
} from './options.ts';

/** The options `calibrate` and `report` share: the labelled set, the fitting set, pcv folds, the method. */
export interface CalibrationArgs extends GroupArgs {
  logits: string;
  labels: string;
  method?: MethodName;
  methods?: MethodName[];
  fitLogits?: string;
  fitLabels?: string;
  maxSeenDrop: number;
  foldLogits?: string[];
  foldSeen?: string[];
  foldLabels?: string[];
  pretrainedLogits?: string[];
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
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
    );
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

/** Why a method cannot run with the inputs given (null: it can). */
function missingInput(method: MethodName, args: CalibrationArgs): string | null {
  if (method === 'alg' && !args.fitLogits)
    return 'needs the fine-tuning training logits: --fit-logits F --fit-labels FY';
  if (method === 'pcv' && !args.foldLogits?.length) {
    return 'needs fold models: --fold-logits F --fold-seen LIST (per fold) and --pretrained-logits P';
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

/**
 * Opens and checks every input of a calibration before any device work: shapes, labels, groups, folds.
 * Methods whose inputs are missing are skipped (and reported), unless --method names one of them.
 */
export async function openCalibration(files: OpenFiles, args: CalibrationArgs): Promise<OpenedCalibration> {
  const logits = await openLogitsFor(files, args.logits, null);
  const groups = await loadGroups(args, logits.cols);
  const allowOther = args.allowOtherLabels === true;
  const labels = await labelsFor(args.labels, logits, groups, allowOther);
  if (Boolean(args.fitLogits) !== Boolean(args.fitLabels)) {
    throw new InputError(
      `${args.fitLogits ? '--fit-logits' : '--fit-labels'} without ${args.fitLogits ? '--fit-labels' : '--fit-logits'}; pass the fitting set's logits and labels together`,
    );
  }
  let train: CalibrateInput['train'];
  if (args.fitLogits && args.fitLabels) {
    const fit = await openLogitsFor(files, args.fitLogits, groups, args.logits);
    train = { logits: fit, labels: await labelsFor(args.fitLabels, fit, groups, allowOther) };
  }
  const folds = await openFolds(files, args, groups, allowOther);
  if (args.method) {
    const missing = missingInput(args.method, args);
    if (missing)
      throw new InputError(`--method ${args.method} ${missing}; pass them or choose another method`);
    if (args.methods && !args.methods.includes(args.method)) {
      throw new InputError(
        `--method ${args.method} is not among --methods ${args.methods.join(',')}; add it there or choose one of those`,
      );
    }
  }
  for (const m of args.methods ?? []) {
    const missing = missingInput(m, args);
    if (missing) throw new InputError(`--methods names ${m}, which ${missing}; pass them or drop ${m}`);
  }
  const skipped: OpenedCalibration['skipped'] = [];
  const methods: MethodName[] = [];
  for (const m of args.methods ? METHOD_NAMES.filter((n) => args.methods!.includes(n)) : METHOD_NAMES) {
    const missing = missingInput(m, args);
    if (missing) skipped.push({ method: m, reason: missing });
    else methods.push(m);
  }
  const input: CalibrateInput = {
    logits,
    labels,
    groups,
    methods,
    maxSeenDrop: args.maxSeenDrop,
    nanPolicy: nanPolicyOf(args.nanPolicy),
    select: args.method,
    train,
    folds: folds.length ? folds : undefined,
    allowOtherLabels: allowOther,
    chunkRows: args.chunkRows,
  };
  return { input, skipped, logits };
}
