import { FtcalError, renderError } from '@ftcal/core';
import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.ts';
import { registerCalibrate } from './commands/calibrate.ts';
import { registerCurve } from './commands/curve.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerLogits } from './commands/logits.ts';
import { registerNcm } from './commands/ncm.ts';
import { registerReport } from './commands/report.ts';
import { registerWeb } from './commands/web.ts';
import { cliWording } from './wording.ts';

const program = new Command();
program
  .name('ftcal')
  .description(
    'Calibrate fine-tuned classifiers: restore absent-class accuracy with one logit bias (γ) and a temperature.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerDoctor(program);
registerDemo(program);
registerEvaluate(program);
registerCalibrate(program);
registerApply(program);
registerCurve(program);
registerLogits(program);
registerNcm(program);
registerReport(program);
registerWeb(program);

// A reader that stops early (`ftcal … | head`) closes stdout. Like any Unix filter, ftcal then ends
// quietly rather than with an unhandled EPIPE and a stack trace; results go to stdout last, after every
// output file is committed, so nothing is left half-written.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

/** User mistakes end in one line on stderr and exit 2; runtime failures in one line and exit 1. */
async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof FtcalError) {
      process.stderr.write(`ftcal: ${renderError(e, cliWording)}\n`);
      return e.exitCode;
    }
    process.stderr.write(`ftcal: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main();
