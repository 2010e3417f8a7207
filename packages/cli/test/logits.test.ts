import { existsSync } from 'node:fs';
import { CpuBackend, openArray, writeNpy } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf } from './expect-cli.ts';
import { randomNormal, rng, scratch, writeMatrix } from './files.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal logits (built binary)', () => {
  const s = scratch();
  const n = 1234;
  const d = 24;
  const c = 13;
  const next = rng(99);
  const features = randomNormal(next, n * d);
  const weights = randomNormal(next, c * d, 0.3);
  const bias = randomNormal(next, c);

  beforeAll(async () => {
    await writeMatrix(s.path('features.npy'), features, n, d);
    await writeMatrix(s.path('weights.npy'), weights, c, d);
    await writeNpy(s.path('bias.npy'), bias);
    await writeMatrix(s.path('weights-t.npy'), new Float32Array(d * c), d, c);
  });
  afterAll(() => s.remove());

  async function read(path: string): Promise<{ rows: number; cols: number; data: Float32Array }> {
    const a = await openArray(path);
    const out = { rows: a.rows, cols: a.cols, data: await a.readRows(0, a.rows) };
    await a.close();
    return out;
  }

  it('computes features · Wᵀ + b as backend.matmul does, and as a plain f64 loop does to f32 rounding', async () => {
    const out = s.path('logits.npy');
    const doc = jsonOf(
      ftcal([
        'logits',
        '--features',
        s.path('features.npy'),
        '--weights',
        s.path('weights.npy'),
        '--bias',
        s.path('bias.npy'),
        '--out',
        out,
        '--chunk-rows',
        '100',
        '--device',
        'cpu',
        '--json',
      ]),
    );
    expect(doc).toEqual({
      schemaVersion: 1,
      command: 'logits',
      out,
      rows: n,
      classes: c,
      featureDim: d,
      bias: true,
    });
    const got = await read(out);
    expect([got.rows, got.cols]).toEqual([n, c]);
    const lib = await new CpuBackend().matmul(features, weights, n, c, d, { transB: true, bias });
    expect(got.data).toEqual(lib);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < c; k++) {
        let z = bias[k]!;
        for (let j = 0; j < d; j++) z += features[r * d + j]! * weights[k * d + j]!;
        expect(Math.abs(got.data[r * c + k]! - z)).toBeLessThan(1e-5 * Math.max(1, Math.abs(z)));
      }
    }
  });

  it('works without a bias', async () => {
    const out = s.path('nobias.npy');
    const r = ftcal([
      'logits',
      '--features',
      s.path('features.npy'),
      '--weights',
      s.path('weights.npy'),
      '--out',
      out,
      '--device',
      'cpu',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*nobias\.npy: 1234×13 float32 logits \(24 features per row\)/);
    const lib = await new CpuBackend().matmul(features, weights, n, c, d, { transB: true });
    expect((await read(out)).data).toEqual(lib);
  });

  it('names the file and the fix for weights of the wrong width (transposed) or a bias of the wrong length', async () => {
    const out = s.path('never.npy');
    const transposed = ftcal([
      'logits',
      '--features',
      s.path('features.npy'),
      '--weights',
      s.path('weights-t.npy'),
      '--out',
      out,
      '--device',
      'cpu',
    ]);
    expectInputError(
      transposed,
      'weights-t.npy',
      /13 columns but .*features\.npy has 24 features per row \(it looks transposed: save W\.T\)/,
    );
    await writeNpy(s.path('short-bias.npy'), new Float32Array(c - 1));
    const short = ftcal([
      'logits',
      '--features',
      s.path('features.npy'),
      '--weights',
      s.path('weights.npy'),
      '--bias',
      s.path('short-bias.npy'),
      '--out',
      out,
      '--device',
      'cpu',
    ]);
    expectInputError(short, 'short-bias.npy', /12 values but .*weights\.npy has 13 classes/);
    expect(existsSync(out)).toBe(false);
  });
});
