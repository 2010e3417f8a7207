import { CpuBackend, makeGroups, ncm, openArray, readLabels } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from './expect-cli.ts';
import { scratch } from './files.ts';
import { expectTable, type Golden, writeGolden } from './golden.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal ncm (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  const args = () => [
    'ncm',
    '--features',
    s.path('features.npy'),
    '--labels',
    s.path('labels.npy'),
    '--ref-features',
    s.path('ref-features.npy'),
    '--ref-labels',
    s.path('ref-labels.npy'),
    '--groups',
    s.path('groups.json'),
    '--device',
    'cpu',
  ];

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
  });
  afterAll(() => s.remove());

  it('gives the golden NCM table (NumPy reference) and what the library gives', async () => {
    const doc = jsonOf(ftcal([...args(), '--json']));
    expectTable(doc.table, golden.expected.ncm, 1e-9, 'ncm');
    // The reference labels reach class 11, so the head's 12 classes are found without --num-classes.
    expect(doc.numClasses).toBe(golden.numClasses);
    expect(doc.classesWithoutReference).toEqual([]);
    const reference = await openArray(s.path('ref-features.npy'));
    const features = await openArray(s.path('features.npy'));
    const lib = await ncm(new CpuBackend(), {
      reference,
      referenceLabels: await readLabels(s.path('ref-labels.npy')),
      features,
      labels: await readLabels(s.path('labels.npy')),
      groups: makeGroups(golden.numClasses, golden.seen, golden.absent),
    });
    await reference.close();
    await features.close();
    expect(doc.table).toEqual(JSON.parse(JSON.stringify(lib.table)));
    expect(doc.featureDim).toBe(lib.featureDim);
  });

  it('prints the table, and takes --num-classes', () => {
    const r = ftcal([...args(), '--num-classes', '12', '--chunk-rows', '13']);
    expect(r.code, r.stderr).toBe(0);
    const want = golden.expected.ncm;
    expect(r.stdout).toMatch(/^Y\/Y\s+S\/Y\s+U\/Y\s+S\/S\s+U\/U\s+H$/m);
    expect(r.stdout).toContain(
      `${want['Y/Y']!.toFixed(2)}  ${want['S/Y']!.toFixed(2)}  ${want['U/Y']!.toFixed(2)}`,
    );
    const small = ftcal([...args(), '--num-classes', '11']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/ref-labels\.npy: label 11 is outside \[0, 11\)/);
  });
});
