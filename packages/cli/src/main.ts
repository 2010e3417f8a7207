import { FtcalError, fsError, renderError } from '@ftcal/core';
import { CommanderError } from 'commander';
import { registerApply } from './commands/apply.ts';
import { registerCalibrate } from './commands/calibrate.ts';
import { registerCurve } from './commands/curve.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerLogits } from './commands/logits.ts';
import { registerNcm } from './commands/ncm.ts';
import { registerReport } from './commands/report.ts';
import { registerStats } from './commands/stats.ts';
import { registerWeb } from './commands/web.ts';
import { runWithoutNativeNoise } from './native-stderr.ts';
import { FtcalCommand } from './usage.ts';
import { cliWording } from './wording.ts';

const program = new FtcalCommand();
program
  .name('ftcal')
  .description(
    'Calibrate fine-tuned classifiers: restore absent-class accuracy with one logit bias (γ) and a temperature.',
  )
  .version('0.1.0')
  .exitOverride();

registerDoctor(program);
registerDemo(program);
registerEvaluate(program);
registerCalibrate(program);
registerApply(program);
registerCurve(program);
registerStats(program);
registerLogits(program);
registerNcm(program);
registerReport(program);
registerWeb(program);

// A reader that stops early (`ftcal … | head`) closes stdout. Like any Unix filter, ftcal then ends
// quietly rather than with an unhandled EPIPE and a stack trace; results go to stdout last, after every
// output file is committed, so nothing is left half-written. A closed stderr only loses the message: the
// exit code still says what happened.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});
process.stderr.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

/** One line, whatever a file name or a value holds: control characters are written as escapes. */
const oneLine = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must not reach the terminal
  text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** User mistakes end in one line on stderr and exit 2; runtime failures in one line and exit 1. */
async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (caught) {
    if (caught instanceof CommanderError) return caught.exitCode === 0 ? 0 : 2;
    // A system error no reader or writer mapped still names its path in one line.
    const path = (caught as NodeJS.ErrnoException | null)?.path;
    const e = typeof path === 'string' ? fsError(path, caught) : caught;
    if (e instanceof FtcalError) {
      process.stderr.write(`ftcal: ${oneLine(renderError(e, cliWording))}\n`);
      return e.exitCode;
    }
    process.stderr.write(`ftcal: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = (await runWithoutNativeNoise(program)) ?? (await main());
