import { type Command, InvalidArgumentError, Option } from 'commander';

/** Repeatable options (--logits a --logits b) keep every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function numberArg(flag: string, ok: (x: number) => boolean, what: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !ok(x)) {
      throw new InvalidArgumentError(`${flag} takes ${what}, got '${value}'`);
    }
    return x;
  };
}

export const finiteArg = (flag: string) => numberArg(flag, Number.isFinite, 'a finite number');
export const positiveArg = (flag: string) =>
  numberArg(flag, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
export const countArg = (flag: string) =>
  numberArg(flag, (x) => Number.isSafeInteger(x) && x > 0, 'a whole number > 0');
export const portArg = (flag: string) =>
  numberArg(flag, (x) => Number.isInteger(x) && x >= 0 && x <= 65535, 'a port number from 0 to 65535');

/** --groups FILE [--class-names FILE] or inline --seen/--absent lists, on every command that needs groups. */
export function addGroupOptions(cmd: Command): Command {
  return cmd
    .option(
      '--groups <file>',
      'class groups: JSON {"seen": [...], "absent": [...]} or a text list of seen classes',
    )
    .option('--class-names <file>', 'one class name per line (index order), to name classes in --groups')
    .option('--seen <list>', 'seen (fine-tuning) classes inline, e.g. 0-4,7 (instead of --groups)')
    .option('--absent <list>', 'absent classes inline (default: every class not seen)');
}

export const allowOtherLabelsOption = () =>
  new Option('--allow-other-labels', 'drop rows labelled in O (neither seen nor absent) instead of failing');

export const chunkRowsOption = () =>
  new Option('--chunk-rows <n>', 'rows per chunk sent to the device (default: about 16 Mi values)').argParser(
    countArg('--chunk-rows'),
  );

export const binsOption = () =>
  new Option('--bins <n>', 'ECE bins').argParser(countArg('--bins')).default(15);

export const equalMassOption = () => new Option('--equal-mass', 'also report ECE over equal-mass bins');
