import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32Bytes, safetensors, zipArchive } from '../files.ts';
import { evaluateOn, expectOneLine, hostileWorld } from './harness.ts';

/** A .safetensors file from a header written by hand (offsets, duplicate keys) and its data bytes. */
function rawSafetensors(headerJson: string, data: Uint8Array): Uint8Array {
  const json = Buffer.from(headerJson, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

/**
 * Hostile battery, readers that accepted too much: tensors that overlap, a header that names a tensor
 * twice (where JSON.parse keeps the last), a data area with holes or trailing bytes, and dtypes that
 * DESIGN §3 does not list (BOOL read as 0/1 logits) are refused, one line naming the file.
 */
describe('hostile: readers refuse what the formats do not allow', () => {
  const w = hostileWorld('lenient');
  const rows = 1000;
  const cols = 10;
  const logits = new Float32Array(rows * cols).map((_, i) => (i % 7) - 3);
  const body = f32Bytes(logits);

  const files: [string, string, Uint8Array, RegExp][] = [
    [
      'overlapping data_offsets',
      'overlap.safetensors',
      rawSafetensors(
        JSON.stringify({
          a: { dtype: 'F32', shape: [rows, cols], data_offsets: [0, body.length] },
          b: { dtype: 'F32', shape: [rows, cols], data_offsets: [4, body.length + 4] },
        }),
        new Uint8Array(body.length + 4),
      ),
      /overlap\.safetensors: tensors 'a' and 'b' overlap/,
    ],
    [
      'a duplicate tensor name (the last would win)',
      'dup.safetensors',
      rawSafetensors(
        `{"logits":{"dtype":"F32","shape":[${rows},${cols}],"data_offsets":[0,${body.length}]},"logits":{"dtype":"F32","shape":[${rows},${cols}],"data_offsets":[0,${body.length}]}}`,
        body,
      ),
      /dup\.safetensors: the header names tensor 'logits' twice/,
    ],
    [
      'a hole between tensors',
      'hole.safetensors',
      rawSafetensors(
        JSON.stringify({ logits: { dtype: 'F32', shape: [rows, cols], data_offsets: [8, body.length + 8] } }),
        new Uint8Array(body.length + 8),
      ),
      /hole\.safetensors: data bytes \[0, 8\) belong to no tensor/,
    ],
    [
      'trailing bytes after the last tensor',
      'trailing.safetensors',
      rawSafetensors(
        JSON.stringify({ logits: { dtype: 'F32', shape: [rows, cols], data_offsets: [0, body.length] } }),
        new Uint8Array(body.length + 16),
      ),
      /trailing\.safetensors: .*16 bytes after the last tensor/,
    ],
    [
      'a BOOL tensor',
      'bool.safetensors',
      safetensors({ logits: { dtype: 'BOOL', shape: [rows, cols], data: new Uint8Array(rows * cols) } }),
      /bool\.safetensors:logits: unsupported dtype BOOL; export it as F32, F16, BF16, F64, I32 or I64/,
    ],
    [
      'a U8 tensor',
      'u8.safetensors',
      safetensors({ logits: { dtype: 'U8', shape: [rows, cols], data: new Uint8Array(rows * cols) } }),
      /unsupported dtype U8/,
    ],
    [
      'an I16 tensor',
      'i16.safetensors',
      safetensors({ logits: { dtype: 'I16', shape: [rows, cols], data: new Uint8Array(rows * cols * 2) } }),
      /unsupported dtype I16/,
    ],
    [
      'an .npz naming one member twice',
      'dup.npz',
      zipArchive([
        { name: 'logits.npy', data: new Uint8Array(8) },
        { name: 'logits.npy', data: new Uint8Array(8) },
      ]),
      /dup\.npz: .*'logits\.npy' appears twice/,
    ],
  ];

  beforeAll(() => {
    for (const [, name, bytes] of files) writeFileSync(w.path(name), bytes);
  });
  afterAll(() => w.remove());

  it.each(files)('%s is refused', (_what, name, _bytes, says) => {
    const r = w.run(evaluateOn(name));
    expectOneLine(r, { code: 2, says });
  });

  it('a header padded with spaces (the format allows it) still reads, and gives the numbers of the .npy', () => {
    const header = `${JSON.stringify({ logits: { dtype: 'F32', shape: [rows, cols], data_offsets: [0, body.length] } })}      `;
    writeFileSync(w.path('padded.safetensors'), rawSafetensors(header, body));
    writeFileSync(
      w.path('plain.safetensors'),
      safetensors({ logits: { dtype: 'F32', shape: [rows, cols], data: body } }),
    );
    const of = (name: string) => {
      const r = w.run([...evaluateOn(name), '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).table;
    };
    expect(of('padded.safetensors')).toEqual(of('plain.safetensors'));
  });
});
