import { InputError } from '@ftcal/core';
import { Command, type HelpContext } from 'commander';
import { usageError } from './options.ts';

/** A usage mistake that is about no one flag. */
const usage = (problem: string, fix: string) => new InputError({ code: 'option', problem, fix });

/** The first quoted flag of a commander message ("option '--gamma <g>' argument missing" → --gamma). */
const flagIn = (message: string) => /'(-[^' ]+)/.exec(message)?.[1] ?? '';

/** Commander's "(Did you mean --gamma?)" as a fix. */
const didYouMean = (message: string) => /\(Did you mean (.+)\?\)/.exec(message)?.[1];

/**
 * Commander's usage errors in the CLI's one wording (DESIGN.md §4): ONE line, `--flag: problem; fix`,
 * exit 2, instead of `error: …` plus a second line. Commander reports every usage error through
 * `error()`, and a missing or unknown command through `help({ error: true })`; both are replaced here, for
 * the program and every subcommand (createCommand).
 */
export class FtcalCommand extends Command {
  override createCommand(name?: string): Command {
    return new FtcalCommand(name);
  }

  /** `ftcal evaluate`, or `ftcal` for the program itself. */
  private get path(): string {
    return this.parent ? `ftcal ${this.name()}` : 'ftcal';
  }

  override error(message: string, errorOptions?: { code?: string }): never {
    const flag = flagIn(message);
    const help = `${this.path} --help lists ${this.parent ? 'its options' : 'the commands'}`;
    switch (errorOptions?.code) {
      case 'commander.unknownOption': {
        const near = didYouMean(message);
        throw usageError(
          flag,
          `unknown option${this.parent ? ` of ${this.name()}` : ''}`,
          `${near ? `did you mean ${near}? ` : ''}${help}`,
        );
      }
      case 'commander.unknownCommand': {
        const near = didYouMean(message);
        throw usage(`unknown command '${this.args[0]}'`, `${near ? `did you mean ${near}? ` : ''}${help}`);
      }
      case 'commander.missingMandatoryOptionValue':
        throw usageError(
          flag,
          `required by ${this.name()}, not given`,
          `pass ${/'([^']+)'/.exec(message)?.[1]}`,
        );
      case 'commander.optionMissingArgument':
        throw usageError(flag, 'needs a value', `pass ${/'([^']+)'/.exec(message)?.[1]}`);
      case 'commander.conflictingOption': {
        const other = /cannot be used with option '(-[^' ]+)/.exec(message)?.[1] ?? 'another option';
        throw usageError(flag, `cannot be used with ${other}`, 'pass one of them');
      }
      case 'commander.excessArguments': {
        const extra = this.args[this.registeredArguments.length] ?? '';
        throw usage(
          `unexpected argument '${extra}': ${this.name()} takes only options`,
          'put the flag it belongs to before it (every value follows its --flag)',
        );
      }
      default:
        // An option parser that threw commander's InvalidArgumentError rather than usageError.
        throw usage(message.replace(/^error: /, '').replace(/\n/g, ' '), help);
    }
  }

  override help(context?: HelpContext | ((text: string) => string)): never {
    if (typeof context === 'function' || !context?.error) return super.help(context as HelpContext);
    const unknown = this.args.find((a) => a !== 'help' && !a.startsWith('-'));
    const names = this.commands.map((c) => c.name()).filter((n) => n !== 'help');
    if (unknown !== undefined) {
      throw usage(`unknown command '${unknown}'`, `use one of ${names.join(', ')}`);
    }
    throw usage('no command given', `use one of ${names.join(', ')} (ftcal --help says what each does)`);
  }
}
