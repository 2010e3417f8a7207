import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArray, parseArraySpec, readLabels } from '../../src/io/open.ts';
import { expected, expectInputError, expectSameValues, fixture, withTempDir } from './helpers.ts';

describe('openArray picks the reader by extension and parses file:tensor specs', () => {
  const cases: [spec: string, key: string, dtype: string][] = [
    ['f8_be.npy', 'f8_be.npy', 'float64'],
    ['stored.npz:logits', 'stored.npz:logits', 'float32'],
    ['deflated.npz:fortran', 'deflated.npz:fortran', 'float32'],
    ['single.npz', 'single.npz', 'float64'],
    ['model.safetensors:half', 'model.safetensors:half', 'float16'],
    ['one.safetensors', 'one.safetensors', 'float32'],
    ['header.csv', 'header.csv', 'float64'],
    ['savetxt.txt', 'savetxt.txt', 'float64'],
  ];
  for (const [spec, key, dtype] of cases) {
    it(spec, async () => {
      const want = await expected(key);
      const source = await openArray(fixture(spec));
      expect(source.dtype).toBe(dtype);
      expect(source.shape).toEqual(want.shape);
      expectSameValues(await source.readRows(0, source.rows), Float32Array.from(want.values));
      await source.close();
    });
  }

  it('splits only after a known extension, and keeps a path that exists whole', async () => {
    expect(await parseArraySpec('a/b.npz:logits')).toEqual({ path: 'a/b.npz', tensor: 'logits' });
    expect(await parseArraySpec('m.safetensors:head.weight')).toEqual({
      path: 'm.safetensors',
      tensor: 'head.weight',
    });
    expect(await parseArraySpec('C:\\data\\x.npy')).toEqual({ path: 'C:\\data\\x.npy' });
    await withTempDir(async (dir) => {
      const odd = join(dir, 'odd.npz:name');
      await copyFile(fixture('v1.npy'), odd);
      expect(await parseArraySpec(odd)).toEqual({ path: odd });
    });
  });

  it('sniffs .npy and .npz content behind an unknown extension', async () => {
    await withTempDir(async (dir) => {
      await copyFile(fixture('v2.npy'), join(dir, 'x.bin'));
      expect((await openArray(join(dir, 'x.bin'))).shape).toEqual([3, 4]);
      await copyFile(fixture('single.npz'), join(dir, 'y.dat'));
      expect((await openArray(join(dir, 'y.dat'))).shape).toEqual([3, 4]);
      await copyFile(fixture('names.txt'), join(dir, 'z.dat'));
      await expectInputError(openArray(join(dir, 'z.dat')), /unknown array format '\.dat'; use \.npy, \.npz/);
    });
  });

  it('refuses a tensor name on single-array formats and conflicting names', async () => {
    await expectInputError(
      openArray(`${fixture('v1.npy')}:logits`),
      /a npy file holds one array, so ':logits' names nothing/,
    );
    await expectInputError(
      openArray(`${fixture('stored.npz')}:logits`, { tensor: 'labels' }),
      /names tensor 'logits' but 'labels'/,
    );
    await expectInputError(openArray(fixture('missing.npz')), /missing\.npz: no such file; check the path/);
  });
});

describe('readLabels', () => {
  it('from npy, npz, safetensors and text', async () => {
    const want = (await expected('labels_i8.npy')).values;
    for (const spec of [
      'labels_i8.npy',
      'labels_f4.npy',
      'stored.npz:labels',
      'zip64.npz:labels',
      'model.safetensors:labels',
      'labels.txt',
    ]) {
      expectSameValues(await readLabels(fixture(spec)), want);
    }
  });

  it('keeps 64-bit and 32-bit integers exact', async () => {
    await expectInputError(
      readLabels(fixture('model.safetensors:ints')),
      /:ints: label at row 1 is -3, not a class index/,
    );
    const ints = await openArray(fixture('model.safetensors:ints'));
    expectSameValues(await ints.readRowsF64(0, 4), [7, -3, 0, 2 ** 30]);
    await ints.close();
  });
});
