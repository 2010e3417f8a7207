import { describe, expect, it } from 'vitest';
import type { NllGradOptions } from '../src/backend/backend.ts';
import { nllGradCpu } from '../src/cpu/nll-grad.ts';
import { InputError } from '../src/errors.ts';
import { randomNormal, rng } from './gpu-harness.ts';

function logits(rows: number, cols: number, seed: number, scale = 3): Float32Array {
  const next = rng(seed);
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = randomNormal(next) * scale;
  return z;
}

/** Random groups with every code present when cols ≥ 3 (withOther = false leaves O empty). */
function groupsFor(cols: number, seed: number, withOther = true): Uint32Array {
  const next = rng(seed);
  const g = Uint32Array.from({ length: cols }, () => Math.floor(next() * (withOther ? 3 : 2)));
  if (cols >= 2) {
    g[0] = 0;
    g[1] = 1;
  }
  if (cols >= 3 && withOther) g[2] = 2;
  return g;
}

/** Labels in S ∪ U, as the engine guarantees. */
function labelsFor(rows: number, groups: Uint32Array, seed: number): Int32Array {
  const next = rng(seed);
  const allowed = [...groups.keys()].filter((c) => groups[c] !== 2);
  return Int32Array.from({ length: rows }, () => allowed[Math.floor(next() * allowed.length)]!);
}

/** Independent float64 NLL sum, straight from the definition: per row log Σ exp(s_c) − s_y, no shortcuts. */
function nllDirect(
  z: Float32Array,
  rows: number,
  cols: number,
  o: NllGradOptions,
  gamma: number,
  tau: number,
) {
  const t = Math.exp(tau);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const s = Array.from(
      { length: cols },
      (_, c) => (z[r * cols + c]! + (o.groups[c] === 1 ? gamma : 0)) / t,
    );
    const m = Math.max(...s);
    total += m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0)) - s[o.labels[r]!]!;
  }
  return total;
}

function nllAt(z: Float32Array, rows: number, cols: number, o: NllGradOptions, gamma: number, tau: number) {
  return nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(gamma, tau) }).nll[0]!;
}

describe('nllGrad: CPU twin', () => {
  const rows = 23;
  const cols = 11;
  const z = logits(rows, cols, 5);
  const groups = groupsFor(cols, 6);
  const labels = labelsFor(rows, groups, 7);
  const points: [number, number][] = [
    [0, 0],
    [1.7, -0.4],
    [-2.5, 0.9],
  ];

  it('NLL equals an independent float64 formula', () => {
    const candidates = Float64Array.from(points.flat());
    const out = nllGradCpu(z, rows, cols, { groups, labels, candidates });
    expect(out.k).toBe(3);
    points.forEach(([g, t], j) => {
      expect(out.nll[j]).toBeCloseTo(nllDirect(z, rows, cols, { groups, labels, candidates }, g, t), 9);
    });
  });

  it('gradient and Hessian match central finite differences of the NLL', () => {
    const o = { groups, labels, candidates: new Float64Array(2) };
    const h = 1e-4;
    for (const [g, t] of points) {
      const out = nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(g, t) });
      // First derivatives from the independent formula, second from the twin's own gradient.
      const dg = (nllDirect(z, rows, cols, o, g + h, t) - nllDirect(z, rows, cols, o, g - h, t)) / (2 * h);
      const dt = (nllDirect(z, rows, cols, o, g, t + h) - nllDirect(z, rows, cols, o, g, t - h)) / (2 * h);
      expect(out.grad[0]).toBeCloseTo(dg, 5);
      expect(out.grad[1]).toBeCloseTo(dt, 5);
      const gradAt = (gg: number, tt: number) =>
        nllGradCpu(z, rows, cols, { ...o, candidates: Float64Array.of(gg, tt) }).grad;
      const gp = gradAt(g + h, t);
      const gm = gradAt(g - h, t);
      const tp = gradAt(g, t + h);
      const tm = gradAt(g, t - h);
      expect(out.hess[0]).toBeCloseTo((gp[0]! - gm[0]!) / (2 * h), 5);
      expect(out.hess[1]).toBeCloseTo((gp[1]! - gm[1]!) / (2 * h), 5);
      expect(out.hess[1]).toBeCloseTo((tp[0]! - tm[0]!) / (2 * h), 5);
      expect(out.hess[2]).toBeCloseTo((tp[1]! - tm[1]!) / (2 * h), 5);
      // The NLL's own second differences agree too (coarser: they lose more digits).
      const f0 = nllAt(z, rows, cols, o, g, t);
      const h2 = 1e-3;
      const dgg =
        (nllAt(z, rows, cols, o, g + h2, t) - 2 * f0 + nllAt(z, rows, cols, o, g - h2, t)) / h2 ** 2;
      const dtt =
        (nllAt(z, rows, cols, o, g, t + h2) - 2 * f0 + nllAt(z, rows, cols, o, g, t - h2)) / h2 ** 2;
      expect(Math.abs(out.hess[0]! - dgg)).toBeLessThan(1e-3 * Math.max(1, Math.abs(dgg)));
      expect(Math.abs(out.hess[2]! - dtt)).toBeLessThan(1e-3 * Math.max(1, Math.abs(dtt)));
    }
  });

  it('gives each candidate the same answer alone as in a batch', () => {
    const candidates = Float64Array.from(points.flat());
    const all = nllGradCpu(z, rows, cols, { groups, labels, candidates });
    points.forEach(([g, t], j) => {
      const one = nllGradCpu(z, rows, cols, { groups, labels, candidates: Float64Array.of(g, t) });
      expect(all.nll[j]).toBe(one.nll[0]);
      expect([...all.grad.subarray(2 * j, 2 * j + 2)]).toEqual([...one.grad]);
      expect([...all.hess.subarray(3 * j, 3 * j + 3)]).toEqual([...one.hess]);
    });
  });

  it('keeps full precision when P_U is within rounding of 0 or 1', () => {
    // One absent class far above (row 0) or below (row 1) the rest: P_U·P_SO is ~e^-40, not 0.
    const zz = Float32Array.from([50, 10, 10, -30, 10, 10]);
    const g = Uint32Array.from([1, 0, 0]);
    const out = nllGradCpu(zz, 2, 3, {
      groups: g,
      labels: Int32Array.of(0, 1),
      candidates: Float64Array.of(0, 0),
    });
    const expected = 2 * Math.exp(-40) + Math.exp(-40) / 2; // both rows, to leading order
    expect(out.hess[0]! / expected).toBeCloseTo(1, 6);
    expect(out.grad[0]! / (-2 * Math.exp(-40) + Math.exp(-40) / 2)).toBeCloseTo(1, 6);
  });

  it('treats -Infinity logits as probability 0', () => {
    const zz = Float32Array.from([1, Number.NEGATIVE_INFINITY, 2, 0.5]);
    const g = Uint32Array.from([0, 1, 1, 0]);
    const o = { groups: g, labels: Int32Array.of(2), candidates: Float64Array.of(0.3, 0.2) };
    const out = nllGradCpu(zz, 1, 4, o);
    const dropped = nllGradCpu(Float32Array.from([1, 2, 0.5]), 1, 3, {
      ...o,
      groups: Uint32Array.from([0, 1, 0]),
      labels: Int32Array.of(1),
    });
    for (const key of ['nll', 'grad', 'hess'] as const) {
      [...out[key]].forEach((v, i) => {
        expect(v).toBeCloseTo(dropped[key][i]!, 12);
      });
    }
  });

  it('rejects labels outside the classes with an InputError', () => {
    const o = { groups, labels: Int32Array.from(labels), candidates: Float64Array.of(0, 0) };
    o.labels[4] = cols;
    expect(() => nllGradCpu(z, rows, cols, o)).toThrow(InputError);
    expect(() => nllGradCpu(z, rows, cols, o)).toThrow(/row 4/);
    expect(() => nllGradCpu(z, rows, cols, { groups, labels, candidates: Float64Array.of(0) })).toThrow(
      /pairs/,
    );
  });
});
