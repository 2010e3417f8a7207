import { basename } from 'node:path';
import { createNpyWriter, InputError, openArray, rowChunks } from '@ftcal/core';
import type { Command } from 'commander';
import { readMatrix, readVector, withOpenFiles } from '../datasets.ts';
import { deviceOption, jsonOption, withBackend } from '../inputs.ts';
import { cleanupOnSignal } from '../interrupt.ts';
import { chunkRowsOption } from '../options.ts';
import { print, printJson } from '../output.ts';
import { checkOutputPaths } from '../output-paths.ts';
import { progress } from '../progress.ts';

interface LogitsOptions {
  features: string;
  weights: string;
  bias?: string;
  out: string;
  chunkRows?: number;
  device?: string;
  json?: boolean;
}

/** Values per chunk of features or of logits, whichever row is wider: bounds memory on any device. */
const VALUES_PER_CHUNK = 16 * 1024 * 1024;

export function registerLogits(program: Command): void {
  program
    .command('logits')
    .description('logits = features · Wᵀ + b for a linear head (nn.Linear layout), streamed to an .npy')
    .requiredOption('--features <file>', 'features (rows × D)')
    .requiredOption('--weights <file>', 'head weights (classes × D, nn.Linear layout)')
    .option('--bias <file>', 'head bias (one value per class)')
    .requiredOption('--out <file>', 'output .npy (float32, rows × classes)')
    .addOption(chunkRowsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: LogitsOptions) => {
      await checkOutputPaths(opts, { out: '--out' });
      const result = await withOpenFiles(async (files) => {
        const features = files.track(await openArray(opts.features));
        if (features.shape.length !== 2) {
          throw new InputError(
            `${opts.features}: features must be a 2-D array (rows × features), got shape [${features.shape.join(', ')}]; save it as a matrix`,
          );
        }
        const d = features.cols;
        const w = await readMatrix(opts.weights, 'head weights');
        if (w.cols !== d) {
          const transposed = w.rows === d ? ' (it looks transposed: save W.T)' : '';
          throw new InputError(
            `${opts.weights}: ${w.cols} columns but ${opts.features} has ${d} features per row${transposed}; pass the head's weights in nn.Linear layout (classes × features)`,
          );
        }
        const c = w.rows;
        const bias = opts.bias ? await readVector(opts.bias) : undefined;
        if (bias && bias.length !== c) {
          throw new InputError(
            `${opts.bias}: ${bias.length} values but ${opts.weights} has ${c} classes; pass the bias of the same head`,
          );
        }
        return withBackend(opts.device, async (backend) => {
          const writer = await createNpyWriter(opts.out, 'float32', [features.rows, c]);
          await cleanupOnSignal(
            () => writer.abort(),
            async () => {
              try {
                const bar = progress(`logits of ${basename(opts.features)}`);
                const chunkRows =
                  opts.chunkRows ?? Math.max(1, Math.floor(VALUES_PER_CHUNK / Math.max(d, c)));
                for await (const { start, count, data } of rowChunks(features, chunkRows)) {
                  const z = await backend.matmul(data, w.data, count, c, d, {
                    transB: true,
                    ...(bias ? { bias } : {}),
                  });
                  await writer.writeRows(z);
                  bar.update(start + count, features.rows);
                }
                bar.done();
                await writer.commit();
              } catch (e) {
                await writer.abort();
                throw e;
              }
            },
          );
          return { rows: features.rows, classes: c, featureDim: d };
        });
      });
      if (opts.json) {
        printJson({
          schemaVersion: 1,
          command: 'logits',
          out: opts.out,
          ...result,
          bias: Boolean(opts.bias),
        });
        return;
      }
      print(
        `wrote ${opts.out}: ${result.rows}×${result.classes} float32 logits (${result.featureDim} features per row${opts.bias ? ', with bias' : ''})`,
      );
    });
}
