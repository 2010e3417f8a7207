import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError, writeFileAtomic, writeReport } from '@ftcal/core';
import { type DemoProgress, type DemoResult, type DemoRow, demoReportInput, runDemo } from '@ftcal/demo';
import { type Command, Option } from 'commander';
import { deviceOption, jsonOption, withBackend } from '../inputs.ts';
import { numberOption } from '../options.ts';
import { print, printJson, table } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { type Progress, progress } from '../progress.ts';

interface DemoArgs {
  seed: number;
  out: string;
  device: string;
  json?: boolean;
  quick?: boolean;
}

const STAGE_LABEL: Record<DemoProgress['stage'], string> = {
  load: 'loading digits',
  pretrain: 'pre-training on domain A (all ten digits)',
  finetune: 'fine-tuning on domain B (S only)',
  pcv: 'pcv fold models',
  evaluate: 'evaluating',
};

/** One progress reporter per stage (and pcv fold), so each bar or line names what is running. */
function stageProgress(): { onProgress: (p: DemoProgress) => void; finish: () => void } {
  let key = '';
  let current: Progress | null = null;
  return {
    onProgress(p) {
      const k = `${p.stage} ${p.detail ?? ''}`;
      if (k !== key) {
        current?.done();
        key = k;
        current = progress(`ftcal demo: ${STAGE_LABEL[p.stage]}${p.detail ? ` (${p.detail})` : ''}`);
      }
      current?.update(p.done, p.total);
    },
    finish() {
      current?.done();
    },
  };
}

const pct = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

function tableRows(rows: readonly DemoRow[]): string[][] {
  return [
    ['', 'γ', 'Y/Y', 'S/Y', 'U/Y', 'AUSUC', 'NCM U/Y'],
    ...rows.map((r) => [
      r.name,
      r.method ? r.gamma.toFixed(2) : '-',
      pct(r.accuracy['Y/Y']),
      pct(r.accuracy['S/Y']),
      pct(r.accuracy['U/Y']),
      Number.isFinite(r.ausuc) ? r.ausuc.toFixed(3) : '-',
      pct(r.ncm['U/Y']),
    ]),
  ];
}

function printReport(result: DemoResult, outputs: { results: string; report: string }): void {
  const d = result.data;
  print(
    `ftcal demo — MNIST, S = {${d.seen.join(',')}}, U = {${d.absent.join(',')}}, seed ${result.seed}${result.quick ? ' (quick)' : ''}`,
  );
  print(
    `pre-trained on ${d.pretrainRows} digits (domain A), fine-tuned on ${d.finetuneRows} digits of S (domain B: shifted ${d.domainB.shiftX} px right and ${d.domainB.shiftY} px down, noise σ ${d.domainB.noiseSigma}), tested on ${d.testRows} domain-B digits`,
  );
  print();
  print(table(tableRows(result.rows)));
  print();
  print('Accuracies in percent on the held-out test digits; AUSUC (0–1) and NCM do not depend on γ.');
  print('alg and pcv need no absent-class labels; hmean and oracle choose γ with the test labels.');
  print();
  for (const s of result.verdict.sentences) print(s);
  print();
  print(`results: ${outputs.results}`);
  print(`report:  ${outputs.report}`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      "the paper's effect on real digits: pre-train an MLP on MNIST, fine-tune it on five digits of a shifted domain, watch the other five collapse, and restore them with γ",
    )
    .addOption(
      numberOption('--seed <n>', 'seed of the data split, noise, weights and batch order', 'seed').default(0),
    )
    .addOption(new Option('--out <dir>', 'folder for results.json and report.html').default('ftcal-demo'))
    .addOption(deviceOption())
    .addOption(jsonOption())
    .option('--quick', 'a smaller, faster run (30% of the digits, fewer epochs)')
    .action(async (args: DemoArgs) => {
      const seed = args.seed;
      const out = resolve(args.out);
      try {
        await mkdir(out, { recursive: true });
      } catch (e) {
        throw new InputError(
          `--out ${args.out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable folder`,
        );
      }
      const outputs = { results: join(out, 'results.json'), report: join(out, 'report.html') };
      await checkOutputPaths(outputs, { results: '--out', report: '--out' });
      const shown = stageProgress();
      // selectBackend's WebGPU backend already continues on the CPU if the device is lost.
      const run = await withBackend(args.device, (backend) =>
        runDemo(backend, {
          seed,
          quick: args.quick === true,
          onProgress: shown.onProgress,
        }),
      );
      shown.finish();
      await writeFileAtomic(outputs.results, `${JSON.stringify(run.result, null, 2)}\n`);
      await writeReport(outputs.report, demoReportInput(run));
      if (args.json) printJson({ ...run.result, outputs });
      else printReport(run.result, outputs);
    });
}
