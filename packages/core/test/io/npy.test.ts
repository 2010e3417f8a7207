import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNpyWriter, openNpy, readNpyLabels, writeNpy } from '../../src/io/npy.ts';
import { encodeNpyHeader } from '../../src/io/npy-header.ts';
import {
  expectAllRanges,
  expected,
  expectInputError,
  expectSameValues,
  fixture,
  python,
  runPython,
  withTempDir,
} from './helpers.ts';

const GOLDEN = [
  'f4_le.npy',
  'f4_be.npy',
  'f8_le.npy',
  'f8_be.npy',
  'f2_le.npy',
  'f2_be.npy',
  'f2_special.npy',
  'i4_le.npy',
  'i4_be.npy',
  'i8_le.npy',
  'i8_be.npy',
  'u1_le.npy',
  'i1_le.npy',
  'i2_le.npy',
  'u4_le.npy',
  'b1.npy',
  'f4_fortran.npy',
  'f8_be_fortran.npy',
  'v1.npy',
  'v2.npy',
  'v3.npy',
  'vector_f4.npy',
  'empty_rows.npy',
];

describe('npy reader against files NumPy wrote', () => {
  for (const name of GOLDEN) {
    it(`${name}: shape, and every row range equal to NumPy's float32 values`, async () => {
      const want = await expected(name);
      const source = await openNpy(fixture(name));
      try {
        expect(source.shape).toEqual(want.shape);
        expect(source.rows).toBe(want.shape[0]);
        expect(source.cols).toBe(want.shape[1] ?? 1);
        expect(source.header.descr).toBe(want.dtype);
        await expectAllRanges(source, want.values);
      } finally {
        await source.close();
      }
    });
  }

  it('decodes f16 subnormals, signed zero, inf and nan exactly', async () => {
    const source = await openNpy(fixture('f2_special.npy'));
    const got = await source.readRows(0, 3);
    await source.close();
    expectSameValues(got.subarray(0, 8), [0, -0, 1, -2, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24]);
    expect(got[8]).toBe(Number.POSITIVE_INFINITY);
    expect(got[9]).toBe(Number.NEGATIVE_INFINITY);
    expect(got[10]).toBeNaN();
  });

  it('reads <u2 as bfloat16 bits only when asked', async () => {
    const want = await expected('bf16_as_u2.npy');
    const asBf16 = await openNpy(fixture('bf16_as_u2.npy'), { u2AsBfloat16: true });
    expect(asBf16.dtype).toBe('bfloat16');
    expectSameValues(await asBf16.readRows(0, 2), Float32Array.from(want.values));
    await asBf16.close();
    const asInt = await openNpy(fixture('bf16_as_u2.npy'));
    expect(asInt.dtype).toBe('uint16');
    expect((await asInt.readRows(0, 1))[0]).toBe(0x3f80);
    await asInt.close();
  });

  it('close is safe twice', async () => {
    const source = await openNpy(fixture('f4_le.npy'));
    await source.close();
    await source.close();
  });

  it('rejects row ranges outside the array as a programming error', async () => {
    const source = await openNpy(fixture('f4_le.npy'));
    await expect(source.readRows(2, 2)).rejects.toThrow(RangeError);
    await expect(source.readRows(0, 1e12)).rejects.toThrow(RangeError);
    await source.close();
  });
});

describe('npy reader refuses what it cannot read, with one clear line', () => {
  it('0-d, 3-D, complex, missing', async () => {
    await expectInputError(openNpy(fixture('scalar.npy')), /scalar\.npy: the array is 0-d.*; save a 1-D/);
    await expectInputError(
      openNpy(fixture('cube.npy')),
      /cube\.npy: the array is 3-D \(2×2×2\); reshape it to 2-D/,
    );
    await expectInputError(openNpy(fixture('complex.npy')), /unsupported dtype '<c8'/);
    await expectInputError(openNpy(fixture('nope.npy')), /nope\.npy: no such file; check the path/);
  });

  it('truncated data names the shape, the bytes promised and the bytes present', async () => {
    await withTempDir(async (dir) => {
      const bytes = await readFile(fixture('f4_le.npy'));
      const path = join(dir, 'logits.npy');
      await writeFile(path, bytes.subarray(0, bytes.length - 5));
      await expectInputError(
        openNpy(path),
        /logits\.npy: truncated: header says 3×4 f4 \(48 bytes\) but only 43 data bytes follow; re-export the array/,
      );
      await writeFile(path, Buffer.concat([bytes, Buffer.from([1, 2])]));
      await expectInputError(openNpy(path), /2 extra bytes follow the data/);
    });
  });

  it('a header claiming 10^12 rows fails before allocating anything', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'huge.npy');
      const header = encodeNpyHeader('<f4', [1e12, 1000]);
      await writeFile(path, Buffer.concat([header, Buffer.alloc(64)]));
      const before = process.memoryUsage().arrayBuffers;
      await expectInputError(
        openNpy(path),
        /truncated: header says 1000000000000×1000 f4 \(4000000000000000 bytes/,
      );
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
      await writeFile(path, Buffer.concat([encodeNpyHeader('<f8', [2 ** 52, 2 ** 20]), Buffer.alloc(8)]));
      await expectInputError(openNpy(path), /too large to be a real array/);
    });
  });

  it('bad magic, bad version, absurd header length, non-dict header, wrong keys', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'x.npy');
      const good = await readFile(fixture('f4_le.npy'));
      const variant = async (edit: (b: Buffer) => Buffer, pattern: RegExp) => {
        await writeFile(path, edit(Buffer.from(good)));
        await expectInputError(openNpy(path), pattern);
      };
      await variant(() => Buffer.from('hello world, not numpy'), /not a \.npy file/);
      await variant(() => Buffer.alloc(0), /the file is empty/);
      await variant((b) => {
        b[6] = 9;
        return b;
      }, /unsupported \.npy format version 9\.0/);
      await variant((b) => {
        const v2 = Buffer.alloc(b.length + 2);
        b.copy(v2, 0, 0, 8);
        v2[6] = 2;
        v2.writeUInt32LE(0x7fffffff, 8);
        return v2;
      }, /header length 2147483647 is absurd/);
      const dict = (text: string) => (b: Buffer) => {
        const len = b.readUInt16LE(8);
        return Buffer.concat([
          b.subarray(0, 10),
          Buffer.from(`${text.padEnd(len - 1, ' ')}\n`, 'latin1'),
          b.subarray(10 + len),
        ]);
      };
      await variant(dict("['descr', '<f4']"), /the header is not a dict/);
      await variant(dict("{'descr': '<f4', 'shape': (3, 4), }"), /keys \{descr, shape\}/);
      await variant(
        dict("{'descr': '<f4', 'fortran_order': 0, 'shape': (3, 4), }"),
        /'fortran_order' is not True or False/,
      );
      await variant(dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -4), }"), /bad dimension -4/);
      await variant(
        dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4.0), }"),
        /unreadable header/,
      );
      await variant(dict("{'descr': '|f4', 'fortran_order': False, 'shape': (3, 4), }"), /has no byte order/);
      await variant(
        dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3, 4), }"),
        /structured/,
      );
      await variant(
        dict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } junk"),
        /unreadable header/,
      );
    });
  });
});

describe('labels', () => {
  it('reads int64, float32 with integral values and N×1 columns', async () => {
    const want = (await expected('labels_i8.npy')).values;
    expectSameValues(await readNpyLabels(fixture('labels_i8.npy')), want);
    expectSameValues(await readNpyLabels(fixture('labels_f4.npy')), want);
    expectSameValues(await readNpyLabels(fixture('labels_col_i4.npy')), want);
  });

  it('refuses fractions, negatives and matrices', async () => {
    await expectInputError(
      readNpyLabels(fixture('labels_frac_f8.npy')),
      /label at row 1 is 1\.5, not an integer/,
    );
    await expectInputError(
      readNpyLabels(fixture('labels_neg_i4.npy')),
      /label at row 1 is -1, not a class index/,
    );
    await expectInputError(readNpyLabels(fixture('f4_le.npy')), /labels must be 1-D but the array is 3×4/);
  });
});

describe('writeNpy', () => {
  it('round-trips f32 (incl. nan, ±inf, -0) and i32 through our reader', async () => {
    await withTempDir(async (dir) => {
      const data = Float32Array.from([
        1.5,
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        3e-42,
      ]);
      await writeNpy(join(dir, 'a.npy'), data, [2, 3]);
      const a = await openNpy(join(dir, 'a.npy'));
      expect(a.header.descr).toBe('<f4');
      expect(a.header.dataOffset % 64).toBe(0);
      expectSameValues(await a.readRows(0, 2), data);
      await a.close();
      const ints = Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31), 7]);
      await writeNpy(join(dir, 'b.npy'), ints);
      const b = await openNpy(join(dir, 'b.npy'));
      expect(b.shape).toEqual([5]);
      expectSameValues(await b.readRowsF64(0, 5), ints);
      await b.close();
      expect((await readdir(dir)).sort()).toEqual(['a.npy', 'b.npy']);
    });
  });

  it.skipIf(!python)('writes files NumPy reads back identically', async () => {
    await withTempDir(async (dir) => {
      const data = Float32Array.from({ length: 35 }, (_, i) => (i - 17) / 3);
      await writeNpy(join(dir, 'f.npy'), data, [5, 7]);
      await writeNpy(join(dir, 'i.npy'), Int32Array.from([3, -4, 5]), [3]);
      const out = runPython(
        `import sys, numpy as np
f = np.load(sys.argv[1]); i = np.load(sys.argv[2])
print(f.dtype.str, f.shape, f.flags.c_contiguous, i.dtype.str, i.shape, i.tolist())
print(' '.join(repr(float(v)) for v in f.ravel()))`,
        join(dir, 'f.npy'),
        join(dir, 'i.npy'),
      ).split('\n');
      expect(out[0]).toBe('<f4 (5, 7) True <i4 (3,) [3, -4, 5]');
      expectSameValues(out[1]!.split(' ').map(Number), data);
    });
  });

  it('streams rows and refuses to commit an incomplete array, leaving nothing', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'big.npy');
      const writer = await createNpyWriter(path, 'float32', [4, 2]);
      await writer.writeRows(Float32Array.from([1, 2, 3, 4]));
      await expect(writer.commit()).rejects.toThrow(/only 4 of 8 values/);
      expect(await readdir(dir)).toEqual([]);
      const w2 = await createNpyWriter(path, 'float32', [2, 2]);
      await w2.writeRows(Float32Array.from([1, 2]));
      await w2.writeRows(Float32Array.from([3, 4]));
      await w2.commit();
      const r = await openNpy(path);
      expectSameValues(await r.readRows(0, 2), [1, 2, 3, 4]);
      await r.close();
    });
  });

  it('refuses a shape that does not match the data', async () => {
    await expect(writeNpy('/tmp/never.npy', new Float32Array(5), [2, 3])).rejects.toThrow(
      /5 values for shape \[2, 3\]/,
    );
  });
});
