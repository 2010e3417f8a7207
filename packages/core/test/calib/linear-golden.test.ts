import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { ResidentLogits } from '../../src/backend/resident-logits.ts';
import { type ClassGroups, makeGroups } from '../../src/calib/groups.ts';
import type { FittedLinearMethod } from '../../src/calib/linear/family.ts';
import { fitLinear } from '../../src/calib/linear/fit.ts';
import { linearScores } from '../../src/calib/linear/map.ts';
import { weightAligning } from '../../src/calib/linear/wa.ts';
import { arraySource } from '../../src/io/row-source.ts';

/** What make_linear_golden.py writes: NumPy's exact-Hessian Newton fits in float64. */
interface GoldenFit {
  method: FittedLinearMethod;
  odir: [number, number] | null;
  loss: number;
  nll: number;
  bias: number[];
  scale?: number[];
  weights?: number[];
  maskedOther: boolean;
  params?: { thetaS: number; thetaU: number; beta: number };
  /** s of the first four rows, null where −∞ (masked O). */
  calibratedHead: (number | null)[];
  /** softmax(s) of every row. */
  probabilities: number[];
}

interface Matrix {
  rows: number;
  cols: number;
  values: number[];
  /** Flat indices of −∞ entries (JSON has no infinities). */
  negInf: number[];
}

function decode(m: Matrix): Float32Array {
  const data = Float32Array.from(m.values);
  for (const i of m.negInf) data[i] = Number.NEGATIVE_INFINITY;
  return data;
}

interface GoldenLinear {
  name: string;
  numClasses: number;
  seen: number[];
  absent: number[];
  other: number[];
  logits: Matrix;
  labels: number[];
  fits: GoldenFit[];
  head?: { weights: Matrix; bias: number[] };
  wa?: Record<'withBias' | 'noBias', { ratio: number; scale: number[]; bias: number[] }>;
}

const load = (name: string): GoldenLinear =>
  JSON.parse(readFileSync(new URL(`../golden/${name}.json`, import.meta.url), 'utf8'));

// Three and two classes groups, O non-empty, −∞ logits (classes masked in their rows), C = 2 and C = 1.
const FIXTURES = ['linear-basic', 'linear-other', 'linear-masked', 'linear-two', 'linear-one'].map(load);

function groupsOf(g: GoldenLinear): ClassGroups | null {
  // C = 1 cannot have S and U: the fitter runs without groups there.
  return g.numClasses < 2 ? null : makeGroups(g.numClasses, g.seen, g.absent, g.name);
}

function expectNear(got: ArrayLike<number>, want: readonly number[], tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) {
      throw new Error(`${what}[${i}]: ${got[i]} vs NumPy ${want[i]}`);
    }
  }
}

describe('linear family vs the NumPy exact-Hessian Newton fits', () => {
  const backend = new CpuBackend({ threads: 1 });
  afterAll(() => backend.dispose());

  for (const g of FIXTURES) {
    const z = decode(g.logits);
    const labels = Int32Array.from(g.labels);
    const groups = groupsOf(g);
    for (const f of g.fits) {
      const odir = f.odir ? { lambda: f.odir[0], mu: f.odir[1] } : undefined;
      it(`${g.name}: ${f.method}${f.odir ? ` odir ${f.odir}` : ''}`, async () => {
        const passes = ResidentLogits.of(arraySource(z, g.logits.rows, g.logits.cols, g.name), { labels });
        // Near the CPU path's floor (float32 scores and matmul sums, float64 sums over rows: about 1e-7 of
        // gradient noise), the loss agrees to 3e-8 and every row's probabilities to 1e-6. The parameters
        // agree to 3e-5 where the data holds them; a full W's weakly held directions (a common shift of its
        // columns moves every score of a row alike, held only by ODIR's small λ) to 1e-3.
        const tight = await fitLinear(backend, passes, groups, f.method, { tolerance: 2e-7, odir });
        expect(tight.details.converged).toBe(true);
        expect(tight.details.hessian).toBe('exact');
        expect(Math.abs(tight.details.loss - f.loss)).toBeLessThan(3e-8 * (1 + f.loss));
        expect(Math.abs(tight.details.nll - f.nll)).toBeLessThan(3e-8 * (1 + f.nll));
        const held = tight.map.form === 'full' ? 1e-3 : 3e-5;
        expectNear(tight.map.bias, f.bias, held, 'bias');
        expectNear(tight.map.weights, f.weights ?? f.scale!, held, 'weights');
        const s = await linearScores(backend, tight.map, z, g.logits.rows);
        const p = await backend.softmax(s, g.logits.rows, g.numClasses);
        expectNear(p, f.probabilities, 1e-6, 'probabilities');
        expect(tight.map.masked.length > 0).toBe(f.maskedOther && g.other.length > 0);
        if (f.params) {
          const a = tight.details.affine!;
          expectNear(
            [a.thetaS, a.thetaU, a.beta],
            [f.params.thetaS, f.params.thetaU, f.params.beta],
            3e-5,
            'θ',
          );
        }
        // Scores up to a common shift per row (the weakly held direction above); −∞ where O is masked.
        const c = g.numClasses;
        for (let r = 0; r < 4; r++) {
          const want = f.calibratedHead.slice(r * c, (r + 1) * c);
          const got = Array.from(s.subarray(r * c, (r + 1) * c));
          const open = want.flatMap((v, j) => (v === null ? [] : [j]));
          const shift = open.reduce((t, j) => t + got[j]! - want[j]!, 0) / open.length;
          want.forEach((v, j) => {
            if (v === null) expect(got[j]).toBe(Number.NEGATIVE_INFINITY);
            else expect(Math.abs(got[j]! - shift - v)).toBeLessThan(1e-4 * (1 + Math.abs(v)));
          });
        }
        // Truncated Newton (conjugate gradients on Hessian-vector products) reaches the same optimum. Its
        // inexact last step leaves the weakly held directions (Hessian eigenvalues near ODIR's 2λ/(C(C−1)))
        // off by up to |g|/λ_min: the parameters agree to 1e-3, the loss as tightly as before.
        const cg = await fitLinear(backend, passes, groups, f.method, {
          tolerance: 2e-7,
          odir,
          exactHessianMax: 0,
        });
        expect(cg.details).toMatchObject({ converged: true, hessian: 'truncated' });
        expect(Math.abs(cg.details.loss - f.loss)).toBeLessThan(3e-8 * (1 + f.loss));
        expectNear(cg.map.weights, f.weights ?? f.scale!, 1e-3, 'weights (truncated Newton)');
        expectNear(cg.map.bias, f.bias, 1e-3, 'bias (truncated Newton)');
        const pCg = await backend.softmax(
          await linearScores(backend, cg.map, z, g.logits.rows),
          g.logits.rows,
          g.numClasses,
        );
        expectNear(pCg, f.probabilities, 1e-5, 'probabilities (truncated Newton)');
        // The default stop (max |∂L/∂θ| ≤ 1e-6) lands on the same optimum.
        const loose = await fitLinear(backend, passes, groups, f.method, { odir });
        expect(loose.details.converged).toBe(true);
        expect(loose.details.gradNorm).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(loose.details.loss - f.loss)).toBeLessThan(5e-8 * (1 + f.loss));
      });
    }
    if (g.wa && g.head) {
      it(`${g.name}: wa with and without the head's bias`, () => {
        const weights = {
          name: 'weights',
          data: decode(g.head!.weights),
          rows: g.head!.weights.rows,
          cols: g.head!.weights.cols,
        };
        for (const [key, bias] of [
          ['withBias', Float32Array.from(g.head!.bias)],
          ['noBias', null],
        ] as const) {
          const want = g.wa![key];
          const got = weightAligning(weights, bias, groups!);
          expect(got.details.ratio).toBeCloseTo(want.ratio, 12);
          expectNear(got.map.weights, want.scale, 1e-12, `${key} scale`);
          expectNear(got.map.bias, want.bias, 1e-7, `${key} bias`);
        }
      });
    }
  }
});
