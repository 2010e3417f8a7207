import { InputError, MAX_CLASSES, OPTION_KINDS, type OptionKind } from '@ftcal/core';
import { type Command, Option } from 'commander';

/**
 * The CLI's one option validator. Every option that takes a value is declared through it:
 *
 *   numberOption('--gamma <g>', 'bias added to absent-class logits', 'gamma').default(0)
 *   choiceOption('--device <device>', 'where kernels run', ['auto', 'gpu', 'cpu']).default('auto')
 *   indexListOption('--seen <list>', 'seen classes, e.g. 0-4,7')
 *   listOption('--logits <file>', 'logits; repeat for checkpoints')           (repeatable strings)
 *
 * A value is parsed and checked while the command line is read, so a mistake is ONE line,
 * `ftcal: --flag: <problem>; <fix>`, exit 2, before any file is opened or any device chosen. Numeric
 * kinds (and their ranges, float32 where the value is used) come from core's OPTION_KINDS, the table the
 * library checks its own options against; add a kind there rather than a check here.
 */

/** A mistake in one flag's value: `--flag: problem; fix`. */
export function usageError(flag: string, problem: string, fix: string): InputError {
  return new InputError({ code: 'option', problem: `${flag}: ${problem}`, fix });
}

/** A value as messages quote it: short, and never more than one line (main escapes what is left). */
export function quoted(value: string): string {
  return `'${value.length > 60 ? `${value.slice(0, 57)}…` : value}'`;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHOLE = /^\+?\d+$/;

/** Parses `text` as the number `kind` allows (plain decimal syntax: no hex, no `_`, no `Infinity`). */
export function parseNumber(flag: string, text: string, kind: OptionKind): number {
  const { ok, want, example, integer } = OPTION_KINDS[kind];
  const t = text.trim();
  const x = (integer ? WHOLE : DECIMAL).test(t) ? Number(t) : Number.NaN;
  if (!ok(x)) throw usageError(flag, `${quoted(text)} is not ${want}`, `pass one, e.g. ${flag} ${example}`);
  return x;
}

/** The long flag of an option's `flags` ('--gamma <g>' → '--gamma'). */
function longFlag(option: Option): string {
  return option.long ?? option.short ?? option.flags;
}

export function numberOption(flags: string, description: string, kind: OptionKind): Option {
  const option = new Option(flags, description);
  return option.argParser((value) => parseNumber(longFlag(option), value, kind));
}

export function choiceOption(flags: string, description: string, choices: readonly string[]): Option {
  const option = new Option(flags, description).choices(choices);
  // Commander's own check words its error in two lines; this one is the validator's, and choices()
  // above still lists the choices in --help.
  return option.argParser((value) => {
    if (choices.includes(value)) return value;
    throw usageError(
      longFlag(option),
      `${quoted(value)} is not one of ${choices.join(', ')}`,
      `pass one of them, e.g. ${longFlag(option)} ${choices[0]}`,
    );
  });
}

/** --odir λ,μ: the two ODIR weights of matrix and dirichlet, each a number ≥ 0. */
export function odirOption(flags: string, description: string): Option {
  const option = new Option(flags, description);
  return option.argParser((value) => {
    const flag = longFlag(option);
    const parts = value.split(',');
    if (parts.length !== 2) {
      throw usageError(
        flag,
        `${quoted(value)} is not λ,μ (two numbers ≥ 0)`,
        `pass both, e.g. ${flag} 1e-3,1e-3`,
      );
    }
    const [lambda, mu] = parts.map((p) => parseNumber(flag, p, 'nonNegative'));
    return { lambda: lambda!, mu: mu! };
  });
}

/** Repeatable options (--logits a --logits b) keep every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function listOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser(collect);
}

/** A class index list as written: `0-4,7` is [[0, 4], [7, 7]], checked for syntax, not yet for C. */
export function indexRanges(flag: string, text: string): [number, number][] {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length === 0)
    throw usageError(flag, 'the class list is empty', `list classes, e.g. ${flag} 0-4,7`);
  return parts.map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m)
      throw usageError(flag, `${quoted(part)} is not a class index or range`, `write e.g. ${flag} 0-4,7`);
    const huge = [m[1], m[2]].find((d) => d !== undefined && Number(d) >= MAX_CLASSES);
    if (huge !== undefined) {
      throw usageError(
        flag,
        `class ${quoted(huge)} is beyond any head (at most ${MAX_CLASSES} classes)`,
        'list class indices of the logits',
      );
    }
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo) throw usageError(flag, `range ${part} runs backwards`, 'write low-high');
    return [lo, hi];
  });
}

export function indexListOption(flags: string, description: string, repeatable = false): Option {
  const option = new Option(flags, description);
  return option.argParser<unknown>((value, previous) => {
    indexRanges(longFlag(option), value);
    return repeatable ? collect(value, previous as string[] | undefined) : value;
  });
}

/**
 * The indices of an inline list for a head of `numClasses` classes, checked against C before a range is
 * expanded (so `0-99999999999` is one line, not an array of a hundred billion numbers).
 */
export function parseIndexList(flag: string, text: string, numClasses: number): number[] {
  const ranges = indexRanges(flag, text);
  for (const [, hi] of ranges) {
    if (hi >= numClasses) {
      throw usageError(
        flag,
        `class ${hi} is outside the ${numClasses} classes of the logits (0-${numClasses - 1})`,
        `list indices below ${numClasses}`,
      );
    }
  }
  return ranges.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k));
}

/** The largest index of an inline list, without expanding it (ncm infers C from it). */
export function maxIndexOf(flag: string, text: string): number {
  return Math.max(...indexRanges(flag, text).map(([, hi]) => hi));
}

/** --groups FILE [--class-names FILE] or inline --seen/--absent lists, on every command that needs groups. */
export function addGroupOptions(cmd: Command): Command {
  return cmd
    .option(
      '--groups <file>',
      'class groups: JSON {"seen": [...], "absent": [...]} or a text list of seen classes',
    )
    .option('--class-names <file>', 'one class name per line (index order), to name classes in --groups')
    .addOption(
      indexListOption('--seen <list>', 'seen (fine-tuning) classes inline, e.g. 0-4,7 (instead of --groups)'),
    )
    .addOption(indexListOption('--absent <list>', 'absent classes inline (default: every class not seen)'));
}

export const allowOtherLabelsOption = () =>
  new Option('--allow-other-labels', 'drop rows labelled in O (neither seen nor absent) instead of failing');

export const chunkRowsOption = () =>
  numberOption(
    '--chunk-rows <n>',
    'rows per chunk sent to the device (default: about 16 Mi values)',
    'chunkRows',
  );

export const binsOption = () => numberOption('--bins <n>', 'ECE bins', 'bins').default(15);

export const equalMassOption = () => new Option('--equal-mass', 'also report ECE over equal-mass bins');
