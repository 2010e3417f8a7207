import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CpuBackend,
  evaluate,
  InputError,
  makeGroups,
  openArray,
  readLabels,
  renderError,
} from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliWording } from '../src/wording.ts';
import { messageLines } from './expect-cli.ts';
import { scratch, syntheticSet, writeLabels, writeMatrix } from './files.ts';
import { ftcal } from './run-cli.ts';

/**
 * Core words a fix with its library option (`nanPolicy: 'skip'`); the CLI words the same structured error
 * with its flag (`--nan-policy skip`), and has a flag for every option core's errors name.
 */
describe('option wording: library and command line', () => {
  const s = scratch();
  const rows = 12;
  const cols = 6;
  const { logits, labels } = syntheticSet(5, rows, cols, [0, 1, 2]);

  beforeAll(async () => {
    const bad = logits.slice();
    bad[3 * cols + 1] = Number.NaN;
    await writeMatrix(s.path('nan.npy'), bad, rows, cols);
    await writeLabels(s.path('labels.npy'), labels);
  });
  afterAll(() => s.remove());

  it('the same NaN error names nanPolicy in the library and --nan-policy on the command line', async () => {
    const source = await openArray(s.path('nan.npy'));
    let error: unknown;
    try {
      await evaluate(new CpuBackend(), {
        logits: source,
        labels: await readLabels(s.path('labels.npy')),
        groups: makeGroups(cols, [0, 1, 2], undefined, 'groups'),
      });
    } catch (e) {
      error = e;
    } finally {
      await source.close();
    }
    expect(error).toBeInstanceOf(InputError);
    const library = (error as InputError).message;
    expect(library).toBe(
      `${s.path('nan.npy')}: 1 rows hold NaN or +Infinity logits, first at row 3; fix the model output or pass nanPolicy: 'skip' to drop those rows`,
    );
    const cli = renderError(error, cliWording);
    expect(cli).toBe(library.replace("nanPolicy: 'skip'", '--nan-policy skip'));

    const r = ftcal([
      'evaluate',
      '--logits',
      s.path('nan.npy'),
      '--labels',
      s.path('labels.npy'),
      '--seen',
      '0-2',
      '--device',
      'cpu',
    ]);
    expect(r.code).toBe(2);
    expect(messageLines(r)).toEqual([`ftcal: ${cli}`]);
  });

  it('words booleans as the bare flag, values after it, and leaves unknown options to the library', () => {
    expect(cliWording({ name: 'allowOtherLabels', value: true })).toBe('--allow-other-labels');
    expect(cliWording({ name: 'device', value: 'cpu' })).toBe('--device cpu');
    expect(cliWording({ name: 'device' })).toBe('--device cpu|gpu');
    expect(cliWording({ name: 'bins' })).toBe('--bins');
    expect(cliWording({ name: 'noSuchOption' })).toBeUndefined();
  });

  it('has a flag for every option that core’s errors name', () => {
    const named = optionsNamedByCore();
    // The scan must find the options the tests above rely on, or it is scanning nothing.
    for (const known of [
      'nanPolicy',
      'allowOtherLabels',
      'bins',
      'chunkRows',
      'maxSeenDrop',
      'train',
      'folds',
    ]) {
      expect(named).toContain(known);
    }
    // Reader limits the command line does not expose keep their library wording, as do the options only
    // a library caller meets: the tensor option (the command line names tensors as file:NAME), the format
    // of a Blob or bytes without a name, the in-memory limit where no scratch file exists, and a thread
    // count where there are no worker threads.
    const libraryOnly = new Set(['maxInflatedBytes', 'format', 'inMemoryLimit', 'threads', 'tensor']);
    const missing = named.filter((n) => !libraryOnly.has(n) && cliWording({ name: n }) === undefined);
    expect(missing, 'options core names without a CLI flag in src/wording.ts').toEqual([]);
  });
});

/** Option names in core's sources: `option: { name: 'x' … }`, and the option argument of its helpers. */
function optionsNamedByCore(): string[] {
  const root = fileURLToPath(new URL('../../core/src', import.meta.url));
  const patterns = [
    /option: \{ name: '(\w+)'/g,
    /\{\s*name: '(\w+)',?(?:\s*value: [^}]*)?\s*\},?\s*\)/g,
    /methodNeeds\([^;]*?'(\w+)'\)/g,
    /checkOption\([^,]+, '(\w+)'/g,
    /option = '(\w+)'/g,
  ];
  const names = new Set<string>();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(root, file), 'utf8');
    for (const p of patterns) for (const m of text.matchAll(p)) names.add(m[1]!);
  }
  return [...names].sort();
}
