import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArray } from '@ftcal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonOf } from './expect-cli.ts';
import { scratch } from './files.ts';
import { ftcal } from './run-cli.ts';

const TOY = fileURLToPath(new URL('../../../examples/toy/', import.meta.url));

/** The worked example of README's Usage section, run in examples/toy as the README shows it. */
describe('examples/toy', () => {
  const s = scratch();
  afterAll(() => s.remove());
  const run = (args: string[]) => ftcal([...args, '--device', 'cpu'], {}, TOY);
  const labelled = ['--logits', 'logits.npy', '--labels', 'labels.npy', '--groups', 'groups.json'];

  it('holds exactly what make-toy.mjs writes', () => {
    const r = spawnSync(process.execPath, [join(TOY, 'make-toy.mjs'), s.dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const made = readdirSync(s.dir).sort();
    expect(made.length).toBeGreaterThan(10);
    for (const file of made)
      expect(readFileSync(join(TOY, file)), file).toEqual(readFileSync(join(s.dir, file)));
  });

  it('shows the fine-tuning effect: absent classes collapse at γ = 0 and come back with alg and the oracle', () => {
    const before = jsonOf(run(['evaluate', ...labelled, '--json'])).table;
    expect(before['S/Y']).toBeGreaterThan(90);
    expect(before['U/Y']).toBeLessThan(25);
    // The absent classes are still recognised among themselves: the features are fine, the bias is not.
    expect(before['U/U']).toBeGreaterThan(85);
    const doc = jsonOf(
      run([
        'calibrate',
        ...labelled,
        '--fit-logits',
        'fit-logits.npy',
        '--fit-labels',
        'fit-labels.npy',
        '--out',
        s.path('toy-cal.json'),
        '--json',
      ]),
    );
    for (const method of ['alg', 'oracle']) {
      const row = doc.methods.find((m: { method: string }) => m.method === method);
      expect(row.table['U/Y'], method).toBeGreaterThan(75);
      expect(row.table['Y/Y'] - before['Y/Y'], method).toBeGreaterThan(20);
    }
    const ncm = jsonOf(
      run([
        'ncm',
        '--features',
        'features.npy',
        '--labels',
        'labels.npy',
        '--ref-features',
        'ref-features.npy',
        '--ref-labels',
        'ref-labels.npy',
        '--groups',
        'groups.json',
        '--json',
      ]),
    );
    expect(ncm.table['U/Y']).toBeGreaterThan(75);
  });

  it('ftcal logits rebuilds logits.npy from the features and the head, to float32 rounding', async () => {
    const out = s.path('rebuilt.npy');
    const r = run([
      'logits',
      '--features',
      'features.npy',
      '--weights',
      'weights.npy',
      '--bias',
      'bias.npy',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = [await openArray(out), await openArray(join(TOY, 'logits.npy'))];
    const [x, y] = [await a.readRows(0, a.rows), await b.readRows(0, b.rows)];
    await a.close();
    await b.close();
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-4);
  });
});
