import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fileBytes } from '../../src/io/input.ts';
import { encodeNpyHeader } from '../../src/io/npy-header.ts';
import { listNpz, openNpz } from '../../src/io/npz.ts';
import { readZipDirectory } from '../../src/io/zip.ts';
import {
  expectAllRanges,
  expected,
  expectInputError,
  expectSameValues,
  fixture,
  withTempDir,
} from './helpers.ts';

describe('npz reader against archives NumPy wrote', () => {
  const cases: [file: string, member: string | undefined, key: string][] = [
    ['stored.npz', 'logits', 'stored.npz:logits'],
    ['stored.npz', 'logits.npy', 'stored.npz:logits'],
    ['deflated.npz', 'fortran', 'deflated.npz:fortran'],
    ['single.npz', undefined, 'single.npz'],
    ['zip64.npz', 'logits', 'zip64.npz:logits'],
    ['zip64.npz', 'labels', 'zip64.npz:labels'],
  ];
  for (const [file, member, key] of cases) {
    it(`${file}${member ? `:${member}` : ''} reads every row range as NumPy does`, async () => {
      const want = await expected(key);
      const source = await openNpz(fixture(file), { member });
      try {
        expect(source.shape).toEqual(want.shape);
        expect(source.header.descr).toBe(want.dtype);
        expect(source.name).toBe(`${fixture(file)}:${key.split(':')[1] ?? 'arr_0'}`);
        await expectAllRanges(source, want.values);
      } finally {
        await source.close();
      }
    });
  }

  it('the ZIP64 fixture really uses ZIP64 sizes and records', async () => {
    const raw = await readFile(fixture('zip64.npz'));
    expect(raw.includes(Buffer.from('PK\x06\x06', 'latin1'))).toBe(true);
    expect(raw.includes(Buffer.from('PK\x06\x07', 'latin1'))).toBe(true);
    const bytes = await fileBytes(fixture('zip64.npz'));
    const entries = await readZipDirectory(bytes);
    await bytes.close();
    expect(entries.map((e) => [e.name, e.method])).toEqual([
      ['labels.npy', 0],
      ['logits.npy', 8],
    ]);
    expect(entries[0]!.size).toBe(128 + 5 * 8);
  });

  it('lists members and explains ambiguous or missing ones', async () => {
    expect(await listNpz(fixture('deflated.npz'))).toEqual(['logits', 'labels', 'fortran']);
    await expectInputError(
      openNpz(fixture('deflated.npz')),
      /deflated\.npz: the archive holds 3 arrays \(logits, labels, fortran\); pick one as .*deflated\.npz:NAME/,
    );
    await expectInputError(
      openNpz(fixture('stored.npz'), { member: 'probs' }),
      /no array 'probs' in the archive \(it holds: logits, labels\)/,
    );
  });

  it('decompresses large members to an unlinked temp file that leaves nothing behind', async () => {
    await withTempDir(async (dir) => {
      const want = await expected('deflated.npz:fortran');
      const source = await openNpz(fixture('deflated.npz'), {
        member: 'fortran',
        inMemoryLimit: 0,
        tempDir: dir,
      });
      expect(await readdir(dir)).toEqual([]);
      await expectAllRanges(source, want.values);
      await source.close();
      expect(await readdir(dir)).toEqual([]);
    });
  });
});

/** A one-member archive written by fflate (an independent ZIP writer), optionally edited after. */
function zipOf(members: Record<string, Uint8Array>, level: 0 | 6): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level }]])));
}

function npyBytes(values: Float32Array, shape: number[]): Uint8Array {
  const header = encodeNpyHeader('<f4', shape);
  const out = new Uint8Array(header.length + values.byteLength);
  out.set(header);
  out.set(new Uint8Array(values.buffer), header.length);
  return out;
}

describe('npz defences', () => {
  const values = Float32Array.from({ length: 64 }, (_, i) => i / 4);

  it('reads archives from another ZIP writer, stored and deflated', async () => {
    await withTempDir(async (dir) => {
      for (const level of [0, 6] as const) {
        const path = join(dir, `a${level}.npz`);
        await writeFile(path, zipOf({ 'x.npy': npyBytes(values, [16, 4]) }, level));
        const source = await openNpz(path);
        expectSameValues(await source.readRows(3, 5), values.subarray(12, 32));
        await source.close();
      }
    });
  });

  it('rejects CRC mismatches in stored and deflated members', async () => {
    await withTempDir(async (dir) => {
      for (const level of [0, 6] as const) {
        const zip = zipOf({ 'x.npy': npyBytes(values, [16, 4]) }, level);
        const crcAt = Buffer.from(zip).indexOf(Buffer.from('PK\x01\x02', 'latin1')) + 16;
        zip[crcAt] = zip[crcAt]! ^ 0x01;
        const path = join(dir, `crc${level}.npz`);
        await writeFile(path, zip);
        await expectInputError(openNpz(path), /CRC-32 mismatch/);
      }
    });
  });

  it('refuses a member declaring more than DEFLATE can produce, or more than the cap', async () => {
    await withTempDir(async (dir) => {
      const zip = zipOf({ 'x.npy': npyBytes(values, [16, 4]) }, 6);
      const view = new DataView(zip.buffer, zip.byteOffset);
      const central = Buffer.from(zip).indexOf(Buffer.from('PK\x01\x02', 'latin1'));
      view.setUint32(central + 24, 0xfffffff0, true);
      const path = join(dir, 'bomb.npz');
      await writeFile(path, zip);
      await expectInputError(openNpz(path), /more than DEFLATE can expand/);
      const honest = join(dir, 'honest.npz');
      await writeFile(honest, zipOf({ 'x.npy': npyBytes(values, [16, 4]) }, 6));
      await expectInputError(
        openNpz(honest, { maxInflatedBytes: 100 }),
        /over the 100 bytes limit \(a zip bomb\?\)/,
      );
    });
  });

  it('stops decoding at the declared size when the stream holds more (a real bomb)', async () => {
    await withTempDir(async (dir) => {
      // 16 MiB of zeros compress to ~16 KiB; the archive claims the npy is 64 bytes of data.
      const small = npyBytes(new Float32Array(16), [16]);
      const bomb = new Uint8Array(small.length + (16 << 20));
      bomb.set(small);
      const zip = zipOf({ 'x.npy': bomb }, 6);
      const view = new DataView(zip.buffer, zip.byteOffset);
      const central = Buffer.from(zip).indexOf(Buffer.from('PK\x01\x02', 'latin1'));
      view.setUint32(central + 24, small.length, true);
      const path = join(dir, 'bomb.npz');
      await writeFile(path, zip);
      await expectInputError(
        openNpz(path),
        /decompresses to more than the \d+ bytes it declares \(a zip bomb\?\)/,
      );
    });
  });

  it('checks the declared size against the npy header before decoding the rest', async () => {
    await withTempDir(async (dir) => {
      // The npy header claims 10^12 rows; the archive honestly holds 64 values.
      const lie = npyBytes(values, [16, 4]);
      lie.set(encodeNpyHeader('<f4', [1e12, 4]).subarray(0, 128));
      const path = join(dir, 'lie.npz');
      await writeFile(path, zipOf({ 'x.npy': lie }, 6));
      await expectInputError(openNpz(path), /truncated: header says 1000000000000×4 f4/);
    });
  });

  it('rejects truncated archives, non-archives and deflate garbage', async () => {
    await withTempDir(async (dir) => {
      const good = await readFile(fixture('stored.npz'));
      const path = join(dir, 'cut.npz');
      await writeFile(path, good.subarray(0, good.length - 30));
      await expectInputError(openNpz(path), /no end-of-central-directory record/);
      await writeFile(path, Buffer.from('definitely not a zip archive at all'));
      await expectInputError(openNpz(path), /not a ZIP \(\.npz\) archive/);
      const zip = zipOf({ 'x.npy': npyBytes(values, [16, 4]) }, 6);
      const local = Buffer.from(zip).indexOf(Buffer.from('PK\x03\x04', 'latin1'));
      const dataAt = local + 30 + 'x.npy'.length;
      zip.fill(0xff, dataAt, dataAt + 8);
      await writeFile(path, zip);
      await expectInputError(openNpz(path), /the compressed data is corrupt/);
    });
  });
});
