import { basename } from 'node:path';
import {
  type CalibratedOutput,
  Calibrator,
  createNpyWriter,
  fingerprint,
  INPUT_KINDS,
  InputError,
  type InputKind,
  type RowSource,
  withInputKind,
} from '@ftcal/core';
import type { Command } from 'commander';
import { Option } from 'commander';
import { openLogitsFor, readTextFile, withOpenFiles } from '../datasets.ts';
import { deviceOption, jsonOption, nanPolicyOf, nanPolicyOption, withBackend } from '../inputs.ts';
import { cleanupOnSignal } from '../interrupt.ts';
import { choiceOption, chunkRowsOption } from '../options.ts';
import { info, print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';
import { calibratorText } from '../tables.ts';

interface ApplyOptions {
  calibrator: string;
  logits: string;
  out: string;
  probs?: boolean;
  logProbs?: boolean;
  inputKind: string;
  nanPolicy?: string;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

/** How the logits relate to the data the calibrator was fitted on, by its fingerprints. */
type Provenance = 'fitting data' | 'changed since fitting' | 'new data';

/**
 * Applying a calibrator to new rows of the same head is its purpose, so new data is fine. The hazard is a
 * file the calibrator was fitted on that has changed since (a retrained model, regenerated logits): same
 * name, different content. That gets a warning; it is not an error because the user may mean it.
 */
async function provenance(
  calibrator: Calibrator,
  source: RowSource,
): Promise<{ kind: Provenance; warning?: string }> {
  const sameName = calibrator.fingerprints.filter((f) => basename(f.source) === basename(source.name));
  if (sameName.length === 0) return { kind: 'new data' };
  for (const f of sameName) {
    const now = await fingerprint(source, f.edgeRows ? { edgeRows: f.edgeRows } : {});
    if (now.sha256 === f.sha256 && now.rows === f.rows && now.cols === f.cols)
      return { kind: 'fitting data' };
  }
  const f = sameName[0]!;
  return {
    kind: 'changed since fitting',
    warning: `${source.name} differs from the ${f.rows}×${f.cols} file of that name the calibrator was fitted on (sha256 ${f.sha256.slice(0, 12)}…); if the model or its data changed since, calibrate again`,
  };
}

/** Rows holding NaN or +Infinity (-Infinity is a legal, masked logit), recorded per chunk as they are read. */
function guardNonFinite(source: RowSource) {
  const badByChunk = new Map<number, number[]>();
  let count = 0;
  let first = -1;
  const guarded: RowSource = {
    name: source.name,
    rows: source.rows,
    cols: source.cols,
    close: () => source.close(),
    async readRows(start, n) {
      const data = await source.readRows(start, n);
      const bad: number[] = [];
      const cols = source.cols;
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < cols; c++) {
          const v = data[r * cols + c]!;
          if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
            bad.push(r);
            break;
          }
        }
      }
      if (bad.length) {
        badByChunk.set(start, bad);
        count += bad.length;
        if (first < 0 || start + bad[0]! < first) first = start + bad[0]!;
      }
      return data;
    },
  };
  return {
    source: guarded,
    badRowsOf: (start: number) => badByChunk.get(start) ?? [],
    get count() {
      return count;
    },
    get first() {
      return first;
    },
  };
}

const OUTPUT_NAMES: Record<CalibratedOutput, string> = {
  logits: 'calibrated logits',
  probabilities: 'probabilities',
  'log-probabilities': 'log-probabilities',
};

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description(
      'apply a calibrator to logits: calibrated logits ((z + γ·[c∈U]) / T, or W·x + b for the linear family), or their softmax, streamed to an .npy written atomically',
    )
    .requiredOption('--calibrator <file>', 'calibrator JSON written by ftcal calibrate')
    .requiredOption('--logits <file>', 'logits of the same model head (rows × classes)')
    .requiredOption('--out <file>', 'output .npy (float32, rows × classes)')
    .addOption(
      new Option('--probs', 'write probabilities (softmax of the calibrated logits)').conflicts('logProbs'),
    )
    .addOption(new Option('--log-probs', 'write log-probabilities'))
    .addOption(
      choiceOption(
        '--input-kind <kind>',
        'what --logits holds: logits (probabilities are refused) or probs (log p is used)',
        INPUT_KINDS,
      ).default('logits'),
    )
    .addOption(nanPolicyOption('rows with NaN/+Inf logits: error, or skip them (written as NaN rows)'))
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: ApplyOptions) => {
      await checkOutputPaths(opts, { out: '--out' });
      const calibrator = Calibrator.fromJSON(await readTextFile(opts.calibrator), opts.calibrator);
      const output: CalibratedOutput = opts.probs
        ? 'probabilities'
        : opts.logProbs
          ? 'log-probabilities'
          : 'logits';
      const skip = nanPolicyOf(opts.nanPolicy) === 'skip';
      const result = await withOpenFiles(async (files) => {
        const logits = await openLogitsFor(files, opts.logits, calibrator.groups, opts.calibrator);
        const origin = await provenance(calibrator, logits);
        if (origin.warning) info(`ftcal: warning: ${origin.warning}`);
        // DESIGN.md §1.2: probabilities passed as logits are refused here too, or taken as log p.
        const guard = guardNonFinite(withInputKind(logits, opts.inputKind as InputKind));
        return withBackend(opts.device, async (backend) => {
          const writer = await createNpyWriter(opts.out, 'float32', [logits.rows, logits.cols]);
          return cleanupOnSignal(
            () => writer.abort(),
            async () => {
              try {
                const bar = progress(`applying to ${basename(logits.name)}`);
                const chunks = calibrator.apply(backend, guard.source, {
                  output,
                  ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}),
                });
                for await (const { start, count, data } of chunks) {
                  if (guard.count > 0 && !skip) continue;
                  for (const r of guard.badRowsOf(start))
                    data.fill(Number.NaN, r * logits.cols, (r + 1) * logits.cols);
                  await writer.writeRows(data);
                  bar.update(start + count, logits.rows);
                }
                bar.done();
                if (guard.count > 0 && !skip) {
                  throw new InputError(
                    `${logits.name}: ${guard.count} rows hold NaN or +Infinity logits, first at row ${guard.first}; fix the model output or pass --nan-policy skip to write NaN rows for them`,
                  );
                }
                await writer.commit();
              } catch (e) {
                await writer.abort();
                throw e;
              }
              return { rows: logits.rows, cols: logits.cols, origin: origin.kind, nonFinite: guard.count };
            },
          );
        });
      });
      if (result.nonFinite > 0) {
        info(`ftcal: ${opts.logits}: ${result.nonFinite} rows with NaN/+Inf logits were written as NaN rows`);
      }
      if (opts.json) {
        printJson({
          schemaVersion: 1,
          command: 'apply',
          calibrator: opts.calibrator,
          logits: opts.logits,
          out: opts.out,
          output,
          rows: result.rows,
          cols: result.cols,
          method: calibrator.method,
          gamma: calibrator.gamma,
          temperature: calibrator.temperature,
          ...(calibrator.linear
            ? { linear: { input: calibrator.linear.input, form: calibrator.linear.form } }
            : {}),
          logitsAre: result.origin,
          nonFiniteRows: result.nonFinite,
        });
        return;
      }
      print(
        `wrote ${opts.out}: ${result.rows}×${result.cols} float32 ${OUTPUT_NAMES[output]} (${calibratorText(calibrator)}; input: ${result.origin})`,
      );
    });
}
