import { InputError } from '../errors.ts';

/** Group codes shared with the kernels (RowStatsOptions.groups, SoftmaxOptions.groups). */
export const SEEN = 0;
export const ABSENT = 1;
export const OTHER = 2;

/**
 * The partition of a head's C outputs (DESIGN.md §1): S (seen, the fine-tuning classes), U (absent: in the
 * target label space but not fine-tuned) and O (other: in neither, often empty). Index lists are ascending.
 */
export interface ClassGroups {
  readonly numClasses: number;
  /** One code per class: 0 = S, 1 = U, 2 = O. The layout every kernel takes. */
  readonly codes: Uint32Array;
  readonly seen: readonly number[];
  readonly absent: readonly number[];
  readonly other: readonly number[];
}

function checkIndices(what: string, list: readonly number[], numClasses: number, file: string): void {
  const seen = new Set<number>();
  for (const c of list) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new InputError({
        code: 'groups',
        file,
        problem: `${what} class ${c} is outside [0, ${numClasses})`,
        fix: `use class indices of the ${numClasses} logits`,
      });
    }
    if (seen.has(c)) {
      throw new InputError({
        code: 'groups',
        file,
        problem: `${what} class ${c} is listed twice`,
        fix: 'list each class once',
      });
    }
    seen.add(c);
  }
}

/**
 * Builds the groups from the seen classes and, optionally, the absent ones (default: every non-seen class,
 * so O is empty). Duplicates, out-of-range indices, a class in both lists, or an empty S or U are
 * InputErrors (code 'groups') naming `source`, where the lists came from: every method needs at least one
 * class on each side of the bias.
 */
export function makeGroups(
  numClasses: number,
  seen: readonly number[],
  absent?: readonly number[],
  source = 'class groups',
): ClassGroups {
  const fail = (problem: string, fix: string): never => {
    throw new InputError({ code: 'groups', file: source, problem, fix });
  };
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    fail(`need at least 2 classes, got ${numClasses}`, "check the logits' shape");
  }
  checkIndices('seen', seen, numClasses, source);
  if (seen.length === 0) fail('the seen list is empty', 'name the fine-tuning classes');
  const seenSet = new Set(seen);
  const absentList = absent ?? Array.from({ length: numClasses }, (_, c) => c).filter((c) => !seenSet.has(c));
  checkIndices('absent', absentList, numClasses, source);
  for (const c of absentList) {
    if (seenSet.has(c)) fail(`class ${c} is both seen and absent`, 'a class belongs to one group');
  }
  if (absentList.length === 0) {
    fail(
      'the absent list is empty (every class is seen)',
      'leave at least one class absent: with none there is nothing to calibrate',
    );
  }
  const codes = new Uint32Array(numClasses).fill(OTHER);
  for (const c of seen) codes[c] = SEEN;
  for (const c of absentList) codes[c] = ABSENT;
  const byCode = (code: number) => Array.from(codes.keys()).filter((c) => codes[c] === code);
  return { numClasses, codes, seen: byCode(SEEN), absent: byCode(ABSENT), other: byCode(OTHER) };
}

/** Rebuilds groups from a code array (e.g. one read back from a calibrator file), validating it. */
export function groupsFromCodes(codes: ArrayLike<number>, source = 'class groups'): ClassGroups {
  const seen: number[] = [];
  const absent: number[] = [];
  for (let c = 0; c < codes.length; c++) {
    const g = codes[c];
    if (g === SEEN) seen.push(c);
    else if (g === ABSENT) absent.push(c);
    else if (g !== OTHER) {
      throw new InputError({
        code: 'groups',
        file: source,
        problem: `code ${g} for class ${c} is not 0 (seen), 1 (absent) or 2 (other)`,
        fix: 'write one group code per class',
      });
    }
  }
  return makeGroups(codes.length, seen, absent, source);
}

/** What happened to the labels of a data set: rows kept, and rows dropped for a label in O. */
export interface LabelCheck {
  /** 1 for a row that is kept. Null when every row is kept. */
  keep: Uint8Array | null;
  droppedOther: number;
}

/**
 * DESIGN.md §1: labels must lie in S ∪ U. A label outside [0, C) is always an InputError (labels and logits
 * do not match); a label in O is one too unless `allowOtherLabels`, in which case its row is dropped.
 */
export function checkLabels(
  labels: Int32Array,
  groups: ClassGroups,
  options: { allowOtherLabels?: boolean; what?: string; firstRow?: number } = {},
): LabelCheck {
  const what = options.what ?? 'labels';
  const offset = options.firstRow ?? 0;
  const { numClasses, codes } = groups;
  let keep: Uint8Array | null = null;
  let droppedOther = 0;
  let firstOther = -1;
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    if (y < 0 || y >= numClasses) {
      throw new InputError({
        code: 'labels',
        file: what,
        problem: `label ${y} at row ${r + offset} is outside [0, ${numClasses})`,
        fix: 'labels must be class indices of the logits',
      });
    }
    if (codes[y] !== OTHER) continue;
    if (firstOther < 0) firstOther = r;
    droppedOther++;
    if (options.allowOtherLabels) {
      keep ??= new Uint8Array(labels.length).fill(1);
      keep[r] = 0;
    }
  }
  if (droppedOther > 0 && !options.allowOtherLabels) {
    throw new InputError({
      code: 'labels',
      file: what,
      problem: `${droppedOther} labels are in O (neither seen nor absent), first at row ${firstOther + offset} (class ${labels[firstOther]})`,
      fix: 'add the class to the absent group or pass {option} to drop those rows',
      option: { name: 'allowOtherLabels', value: true },
    });
  }
  return { keep, droppedOther };
}
