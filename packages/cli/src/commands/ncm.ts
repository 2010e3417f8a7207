import {
  InputError,
  MAX_CLASSES,
  type NcmResult,
  ncm,
  openArray,
  readClassNames,
  readGroupsFile,
  type TensorSource,
} from '@ftcal/core';
import type { Command } from 'commander';
import { labelsFor, type OpenFiles, withOpenFiles } from '../datasets.ts';
import {
  deviceOption,
  type GroupArgs,
  jsonOption,
  loadGroups,
  loadLabels,
  nanPolicyOf,
  nanPolicyOption,
  withBackend,
} from '../inputs.ts';
import {
  addGroupOptions,
  allowOtherLabelsOption,
  chunkRowsOption,
  maxIndexOf,
  numberOption,
} from '../options.ts';
import { print, printJson, table } from '../output.ts';
import { accuracyCells, accuracyHeader } from '../tables.ts';

interface NcmOptions extends GroupArgs {
  features: string;
  labels: string;
  refFeatures: string;
  refLabels: string;
  numClasses?: number;
  nanPolicy?: string;
  allowOtherLabels?: boolean;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

async function openFeatures(files: OpenFiles, spec: string): Promise<TensorSource> {
  const source = files.track(await openArray(spec));
  if (source.shape.length !== 2) {
    throw new InputError(
      `${spec}: features must be a 2-D array (rows × features), got shape [${source.shape.join(', ')}]; save it as a matrix`,
    );
  }
  return source;
}

const maxOf = (values: Iterable<number>): number => {
  let m = -1;
  for (const v of values) if (v > m) m = v;
  return m;
};

/**
 * Features carry no class count, so C comes from --num-classes, else the class names, else the largest
 * class index among the labels and the groups.
 */
async function numClassesOf(opts: NcmOptions, labels: Int32Array, refLabels: Int32Array): Promise<number> {
  if (opts.numClasses) return opts.numClasses;
  if (opts.classNames) return (await readClassNames(opts.classNames)).length;
  let top = Math.max(maxOf(labels), maxOf(refLabels));
  if (opts.groups) {
    const g = await readGroupsFile(opts.groups);
    top = Math.max(top, maxOf(g.seen), maxOf(g.absent ?? []));
  } else {
    if (opts.seen) top = Math.max(top, maxIndexOf('--seen', opts.seen));
    if (opts.absent) top = Math.max(top, maxIndexOf('--absent', opts.absent));
  }
  if (top >= MAX_CLASSES) {
    throw new InputError(
      `the labels or groups name class ${top}, beyond any head (at most ${MAX_CLASSES} classes); pass --num-classes C`,
    );
  }
  return top + 1;
}

export function registerNcm(program: Command): void {
  const cmd = program
    .command('ncm')
    .description(
      'nearest class mean on features (cosine to L2-normalised class means of a reference set): the accuracy table, to tell damaged features from drifted logits',
    )
    .requiredOption('--features <file>', 'features of the evaluated rows (rows × D)')
    .requiredOption('--labels <file>', 'class index of each evaluated row')
    .requiredOption(
      '--ref-features <file>',
      'labelled reference features defining the class means (e.g. pre-training data)',
    )
    .requiredOption('--ref-labels <file>', 'class index of each reference row');
  addGroupOptions(cmd)
    .addOption(
      numberOption(
        '--num-classes <C>',
        'number of classes (default: from --class-names, else the largest index seen)',
        'classes',
      ),
    )
    .addOption(nanPolicyOption())
    .addOption(allowOtherLabelsOption())
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: NcmOptions) => {
      const { result, rows } = await withOpenFiles(async (files) => {
        const features = await openFeatures(files, opts.features);
        const reference = await openFeatures(files, opts.refFeatures);
        if (reference.cols !== features.cols) {
          throw new InputError(
            `${opts.refFeatures}: ${reference.cols} features per row but ${opts.features} has ${features.cols}; use features from the same layer`,
          );
        }
        const refLabels = await loadLabels(opts.refLabels, reference.rows, opts.refFeatures);
        const rawLabels = await loadLabels(opts.labels, features.rows, opts.features);
        const groups = await loadGroups(opts, await numClassesOf(opts, rawLabels, refLabels));
        const allowOther = opts.allowOtherLabels === true;
        const labels = await labelsFor(opts.labels, features, groups, allowOther);
        const top = maxOf(refLabels);
        if (top >= groups.numClasses) {
          throw new InputError(
            `${opts.refLabels}: label ${top} is outside [0, ${groups.numClasses}); labels must be class indices of the head (or pass --num-classes)`,
          );
        }
        const result: NcmResult = await withBackend(opts.device, (backend) =>
          ncm(backend, {
            reference,
            referenceLabels: refLabels,
            features,
            labels,
            groups,
            nanPolicy: nanPolicyOf(opts.nanPolicy),
            ...(allowOther ? { allowOtherLabels: true } : {}),
            ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
          }),
        );
        return { result, rows: features.rows };
      });
      const { table: acc, classesWithoutReference, featureDim, conventions, stats } = result;
      if (opts.json) {
        printJson({
          schemaVersion: 1,
          command: 'ncm',
          features: opts.features,
          referenceFeatures: opts.refFeatures,
          table: acc,
          rows: stats.rows,
          sourceRows: rows,
          dropped: stats.dropped,
          featureDim,
          numClasses: stats.groups.numClasses,
          classesWithoutReference,
          conventions,
        });
        return;
      }
      print(
        `NCM on ${opts.features} (${stats.rows} rows, ${featureDim} features; class means from ${opts.refFeatures}); accuracies in %`,
      );
      print(table([accuracyHeader(), accuracyCells(acc)]));
      if (classesWithoutReference.length) {
        print(`classes with no reference row (never predicted): ${classesWithoutReference.join(', ')}`);
      }
    });
}
