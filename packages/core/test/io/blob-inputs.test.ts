import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blobBytes } from '../../src/io/bytes.ts';
import { readClassNames, readGroupsFile } from '../../src/io/groups-file.ts';
import { listNpz } from '../../src/io/npz.ts';
import { openArray, readLabels } from '../../src/io/open.ts';
import { listSafetensors } from '../../src/io/safetensors.ts';
import { expected, expectInputError, expectSameValues, fixture } from './helpers.ts';

/**
 * The readers take a Blob, a File or bytes wherever they take a path (the browser's inputs; Node has
 * Blob and File too), and give the same arrays as from the path.
 */
const bytesOf = async (name: string) => new Uint8Array(await readFile(fixture(name)));

/** A Blob that records every byte range read through it, and fails if anything reads it whole. */
class WatchedBlob extends Blob {
  readonly ranges: [number, number][] = [];
  override slice(start = 0, end = this.size, type?: string): Blob {
    this.ranges.push([start, end]);
    return super.slice(start, end, type);
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    throw new Error('read whole');
  }
}

describe('openArray on Blobs, Files and bytes', () => {
  const cases: [file: string, tensor: string | undefined, key: string][] = [
    ['f8_be.npy', undefined, 'f8_be.npy'],
    ['f4_fortran.npy', undefined, 'f4_fortran.npy'],
    ['stored.npz', 'logits', 'stored.npz:logits'],
    ['deflated.npz', 'fortran', 'deflated.npz:fortran'],
    ['model.safetensors', 'half', 'model.safetensors:half'],
    ['header.csv', undefined, 'header.csv'],
  ];
  for (const [file, tensor, key] of cases) {
    it(`${file}${tensor ? `:${tensor}` : ''} as a File, a Blob, a Uint8Array and an ArrayBuffer`, async () => {
      const want = await expected(key);
      const bytes = await bytesOf(file);
      const format = file.endsWith('.csv') ? 'csv' : undefined;
      const inputs = [
        new File([bytes], file),
        new Blob([bytes]),
        bytes,
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      ];
      for (const input of inputs) {
        const source = await openArray(input, { tensor, format });
        expect(source.shape).toEqual(want.shape);
        expectSameValues(await source.readRows(0, source.rows), Float32Array.from(want.values));
        await source.close();
      }
    });
  }

  it('names a File by its name and anything else by `name` or a placeholder in messages', async () => {
    const text = new TextEncoder().encode('not an array');
    await expectInputError(openArray(new File([text], 'odd.bin')), /^odd\.bin: is not an array format/);
    await expectInputError(openArray(new Blob([text])), /^<blob>: is not an array format .*, or set format$/);
    await expectInputError(openArray(text, { name: 'upload' }), /^upload: is not an array format/);
    const npz = new File([await bytesOf('stored.npz')], 'run.npz');
    await expectInputError(openArray(npz, { tensor: 'nope' }), /^run\.npz: no array 'nope' in the archive/);
    await expectInputError(
      openArray(new File([await bytesOf('v1.npy')], 'v1.npy'), { tensor: 'x' }),
      /^v1\.npy: a npy file holds one array, so tensor 'x' names nothing; leave tensor out$/,
    );
  });

  it('recognises npy, npz and safetensors by their first bytes when nothing names them', async () => {
    for (const [file, tensor] of [
      ['v2.npy', undefined],
      ['single.npz', undefined],
      ['one.safetensors', undefined],
      ['model.safetensors', 'labels'],
    ] as const) {
      const source = await openArray(new Blob([await bytesOf(file)]), { tensor });
      expect(source.rows).toBeGreaterThan(0);
      await source.close();
    }
  });

  it('reads a Blob by the ranges it needs, never whole', async () => {
    const bytes = await bytesOf('f4_le.npy');
    const blob = new WatchedBlob([bytes]);
    const source = await openArray(blob, { name: 'watched.npy' });
    const want = await expected('f4_le.npy');
    const cols = source.cols;
    expectSameValues(await source.readRows(1, 1), Float32Array.from(want.values.slice(cols, 2 * cols)));
    const widest = Math.max(...blob.ranges.map(([a, b]) => b - a));
    expect(widest).toBeLessThan(bytes.length);
    await source.close();
  });

  it('labels, archive listings and tensor listings from bytes', async () => {
    const want = (await expected('labels_i8.npy')).values;
    expectSameValues(await readLabels(new File([await bytesOf('labels_i8.npy')], 'labels.npy')), want);
    expectSameValues(await readLabels(await bytesOf('labels.txt'), { format: 'csv' }), want);
    expect(await listNpz(await bytesOf('stored.npz'))).toEqual(await listNpz(fixture('stored.npz')));
    expect(await listSafetensors(new Blob([await bytesOf('model.safetensors')]))).toEqual(
      await listSafetensors(fixture('model.safetensors')),
    );
  });

  it('a Blob shorter than its reads is a clear error', async () => {
    const bytes = blobBytes(new Blob([Uint8Array.of(1, 2, 3)]), 'short.bin');
    await expectInputError(
      bytes.read(1, 5),
      /^short\.bin: truncated: needs bytes up to 6 but the file has 3/,
    );
  });
});

describe('class groups from Blobs and bytes', () => {
  it('JSON and text lists, with class names from a File', async () => {
    const groups = new File([await bytesOf('groups.json')], 'groups.json');
    expect(await readGroupsFile(groups, { numClasses: 6 })).toEqual({ seen: [0, 2, 4], absent: [1, 3] });
    expect(await readGroupsFile(await bytesOf('seen.txt'), { numClasses: 6 })).toEqual({
      seen: [1, 3, 4],
      absent: null,
    });
    const names = new File([await bytesOf('names.txt')], 'names.txt');
    expect(await readClassNames(names)).toEqual(await readClassNames(fixture('names.txt')));
    expect(
      await readGroupsFile(new Blob([await bytesOf('groups_names.json')]), { classNames: names }),
    ).toEqual({ seen: [0, 1], absent: [5] });
  });

  it('errors name the File', async () => {
    await expectInputError(
      readGroupsFile(new File([await bytesOf('overlap.json')], 'mine.json'), { numClasses: 6 }),
      /^mine\.json: class \d+ is both seen and absent/,
    );
    await expectInputError(
      readGroupsFile(new File([Uint8Array.of(0xff, 0xfe, 0x00)], 'bin.txt')),
      /^bin\.txt: is not UTF-8 text/,
    );
  });
});
