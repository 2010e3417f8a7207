import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSafetensors, openSafetensors } from '../../src/io/safetensors.ts';
import { expectAllRanges, expected, expectInputError, fixture, withTempDir } from './helpers.ts';

describe('safetensors reader against files written from the spec by Python', () => {
  const tensors: [string, string][] = [
    ['logits', 'float32'],
    ['half', 'float16'],
    ['brain', 'bfloat16'],
    ['double', 'float64'],
    ['ints', 'int32'],
    ['labels', 'int64'],
  ];
  for (const [tensor, dtype] of tensors) {
    it(`model.safetensors:${tensor} (${dtype}) reads every row range as NumPy does`, async () => {
      const want = await expected(`model.safetensors:${tensor}`);
      const source = await openSafetensors(fixture('model.safetensors'), { tensor });
      try {
        expect(source.dtype).toBe(dtype);
        expect(source.shape).toEqual(want.shape);
        await expectAllRanges(source, want.values);
        expect(Array.from(await source.readRowsF64(0, source.rows)).length).toBe(want.values.length);
      } finally {
        await source.close();
      }
    });
  }

  it('opens the only tensor by default, lists them otherwise', async () => {
    const one = await openSafetensors(fixture('one.safetensors'));
    await expectAllRanges(one, (await expected('one.safetensors')).values);
    await one.close();
    expect(await listSafetensors(fixture('model.safetensors'))).toEqual([
      'logits',
      'half',
      'brain',
      'double',
      'ints',
      'labels',
      'odd',
    ]);
    await expectInputError(
      openSafetensors(fixture('model.safetensors')),
      /holds 7 tensors \(logits, half, .*odd\); pick one as/,
    );
    await expectInputError(
      openSafetensors(fixture('model.safetensors'), { tensor: 'probs' }),
      /no tensor 'probs' \(it holds: logits, half, brain, double, ints, labels, odd\)/,
    );
    await expectInputError(
      openSafetensors(fixture('model.safetensors'), { tensor: 'odd' }),
      /:odd: unsupported dtype F8_E4M3/,
    );
  });
});

/** A safetensors file with `header` as its JSON and `data` after it. */
function build(header: unknown, data: Uint8Array, lengthOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors defences', () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const ok = { t: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } };

  it('checks header length, JSON, offsets against the file and shape·itemsize', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'w.safetensors');
      const check = async (bytes: Buffer, pattern: RegExp) => {
        await writeFile(path, bytes);
        await expectInputError(openSafetensors(path), pattern);
      };
      await writeFile(path, build(ok, data));
      const source = await openSafetensors(path);
      expect(Array.from(await source.readRows(1, 1))).toEqual([4, 5, 6]);
      await source.close();

      await check(build(ok, data, 10n ** 15n), /header length 1000000000000000 is absurd/);
      await check(build(ok, data, 10_000n), /truncated: the header claims 10000 bytes/);
      await check(
        build(ok, data.subarray(0, 20)),
        /tensor 't' lies at data bytes \[0, 24\) but only 20 data bytes follow/,
      );
      await check(
        build({ t: { ...ok.t, shape: [3, 3] } }, data),
        /shape \[3, 3\] F32 \(36 bytes\) but spans 24 bytes/,
      );
      await check(build({ t: { ...ok.t, data_offsets: [8, 4] } }, data), /lies at data bytes \[8, 4\)/);
      await check(build({ t: { ...ok.t, shape: [2, -3] } }, data), /tensor 't' has a bad shape/);
      await check(build({ t: { ...ok.t, shape: [1, 2, 3] } }, data), /is 3-D \(1×2×3\); reshape/);
      await check(
        build({ t: { ...ok.t, shape: [], data_offsets: [0, 4] } }, data.subarray(0, 4)),
        /the tensor is 0-d/,
      );
      await check(build([1, 2], data), /not a JSON object/);
      await check(
        Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":')]),
        /not valid UTF-8 JSON/,
      );
      await check(Buffer.from([1, 2, 3]), /too short to be a \.safetensors file/);
    });
  });

  it('tensors must tile the data area (no overlap, hole or tail), be named once, and have a listed dtype', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 's.safetensors');
      const check = async (bytes: Buffer, pattern: RegExp) => {
        await writeFile(path, bytes);
        await expectInputError(openSafetensors(path, { tensor: 't' }), pattern);
      };
      const half = { dtype: 'F32', shape: [3], data_offsets: [0, 12] };
      await check(
        build({ t: ok.t, u: { ...half, data_offsets: [12, 24] }, v: half }, data),
        /tensors 't' and 'v' overlap|tensors 'v' and 't' overlap/,
      );
      await check(
        build({ t: { ...half, data_offsets: [12, 24] } }, data),
        /data bytes \[0, 12\) belong to no tensor/,
      );
      await check(build({ t: { ...half } }, data), /12 bytes after the last tensor belong to no tensor/);
      const twice = `{"t":${JSON.stringify(ok.t)},"t":${JSON.stringify(ok.t)}}`;
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(twice.length));
      await check(Buffer.concat([len, Buffer.from(twice), data]), /the header names tensor 't' twice/);
      // A key inside a tensor's description, or in __metadata__, may repeat a tensor's name.
      await writeFile(path, build({ __metadata__: { t: 'x' }, t: ok.t }, data));
      await (await openSafetensors(path)).close();
      for (const dtype of ['BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'U64']) {
        const size = { BOOL: 1, U8: 1, I8: 1, U16: 2, I16: 2, U32: 4, U64: 8 }[dtype]!;
        await check(
          build({ t: { dtype, shape: [24 / size], data_offsets: [0, 24] } }, data),
          new RegExp(`t: unsupported dtype ${dtype}; export it as F32, F16, BF16, F64, I32 or I64`),
        );
      }
    });
  });

  it('the first data byte follows the header exactly (no padding assumptions)', async () => {
    const raw = await readFile(fixture('model.safetensors'));
    const len = Number(raw.readBigUInt64LE(0));
    const header = JSON.parse(raw.subarray(8, 8 + len).toString()) as Record<
      string,
      { data_offsets: number[] }
    >;
    const source = await openSafetensors(fixture('model.safetensors'), { tensor: 'ints' });
    const at = 8 + len + header.ints!.data_offsets[0]!;
    expect(Array.from(await source.readRowsF64(0, 4))).toEqual(
      Array.from(new Int32Array(raw.buffer.slice(raw.byteOffset + at, raw.byteOffset + at + 16))),
    );
    await source.close();
  });
});
