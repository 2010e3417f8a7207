import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { checkLabels, groupsFromCodes, makeGroups } from '../../src/calib/groups.ts';
import { accumulateStats } from '../../src/calib/stats.ts';
import { rowStatsCpu } from '../../src/cpu/row-stats.ts';
import { InputError } from '../../src/errors.ts';
import { loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();
const NEG_INF = Number.NEGATIVE_INFINITY;

describe('makeGroups', () => {
  it('defaults absent to every non-seen class and lists groups ascending', () => {
    const g = makeGroups(5, [3, 0]);
    expect(g.seen).toEqual([0, 3]);
    expect(g.absent).toEqual([1, 2, 4]);
    expect(g.other).toEqual([]);
    expect(Array.from(g.codes)).toEqual([0, 1, 1, 0, 1]);
  });

  it('puts classes in neither list in O', () => {
    const g = makeGroups(5, [0], [2, 4]);
    expect(g.other).toEqual([1, 3]);
    expect(Array.from(g.codes)).toEqual([0, 2, 1, 2, 1]);
    expect(groupsFromCodes(g.codes)).toEqual(g);
  });

  it.each([
    ['overlap', () => makeGroups(4, [0, 1], [1, 2]), /both seen and absent/],
    ['duplicate', () => makeGroups(4, [0, 0], [2]), /listed twice/],
    ['out of range', () => makeGroups(4, [0, 4]), /outside \[0, 4\)/],
    ['negative', () => makeGroups(4, [0], [-1]), /outside/],
    ['empty seen', () => makeGroups(4, []), /seen list is empty/],
    ['empty absent', () => makeGroups(3, [0, 1, 2]), /absent list is empty/],
    ['explicitly empty absent', () => makeGroups(3, [0], []), /absent list is empty/],
    ['bad code', () => groupsFromCodes([0, 1, 3]), /not 0 \(seen\)/],
  ])('rejects %s with an InputError', (_, make, message) => {
    expect(make).toThrow(InputError);
    expect(make).toThrow(message);
  });
});

describe('checkLabels', () => {
  const g = makeGroups(4, [0], [1]);
  it('rejects out-of-range labels even when other labels are allowed', () => {
    expect(() => checkLabels(Int32Array.from([0, 4]), g, { allowOtherLabels: true })).toThrow(
      /label 4 at row 1 is outside/,
    );
  });
  it('rejects labels in O with the count and first row, or drops them when allowed', () => {
    const labels = Int32Array.from([0, 2, 1, 3]);
    expect(() => checkLabels(labels, g)).toThrow(/2 labels are in O .* first at row 1/);
    const check = checkLabels(labels, g, { allowOtherLabels: true });
    expect(check.droppedOther).toBe(2);
    expect(Array.from(check.keep!)).toEqual([1, 0, 1, 0]);
  });
});

describe('accumulateStats', () => {
  const fx = loadFixture('basic');
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  it('matches one rowStats call over the whole matrix, at any chunk size, and reports progress', async () => {
    const whole = rowStatsCpu(fx.logits.data, fx.logits.rows, fx.logits.cols, {
      groups: groups.codes,
      labels: fx.labels,
      temperature: 0.5,
    });
    const progress: number[] = [];
    const data = await accumulateStats(cpu, sourceOf(fx.logits), {
      groups,
      labels: fx.labels,
      temperature: 0.5,
      chunkRows: 33,
      onProgress: (done, total) => {
        expect(total).toBe(200);
        progress.push(done);
      },
    });
    expect(data.stats).toEqual(whole);
    expect(progress).toEqual([33, 66, 99, 132, 165, 198, 200]);
    expect(data.dropped).toEqual({ nonFinite: 0, otherLabel: 0 });
    expect(data.keep).toBeNull();
  });

  const z = Float32Array.from([1, 2, 3, Number.NaN, 0, 1, NEG_INF, 0, 1, 5, Number.POSITIVE_INFINITY, 0]);
  const g3 = makeGroups(3, [0], [1]);

  it('fails on NaN or +Inf with the count and the first row; -Inf is legal', async () => {
    const run = accumulateStats(cpu, sourceOf({ rows: 4, cols: 3, data: z }, 'val.npy'), {
      groups: g3,
      labels: Int32Array.from([0, 1, 0, 1]),
      chunkRows: 1,
    });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/^val\.npy: 2 rows hold NaN or \+Infinity logits, first at row 1;/);
  });

  it("drops and counts those rows under nanPolicy 'skip', keeping labels aligned", async () => {
    const data = await accumulateStats(cpu, sourceOf({ rows: 4, cols: 3, data: z }), {
      groups: g3,
      labels: Int32Array.from([0, 1, 1, 1]),
      nanPolicy: 'skip',
      chunkRows: 3,
    });
    expect(data.rows).toBe(2);
    expect(data.dropped.nonFinite).toBe(2);
    expect(Array.from(data.labels!)).toEqual([0, 1]);
    expect(Array.from(data.stats.maxU)).toEqual([2, 0]);
    expect(Array.from(data.keep!)).toEqual([1, 0, 1, 0]);
  });

  it('refuses to return statistics of no rows, saying why: an empty set, or every row dropped and by what', async () => {
    const empty = accumulateStats(cpu, sourceOf({ rows: 0, cols: 3, data: new Float32Array(0) }, 'e.npy'), {
      groups: g3,
      labels: new Int32Array(0),
    });
    await expect(empty).rejects.toThrow(/^e\.npy: holds no rows; pass logits with at least one row$/);
    const nan = new Float32Array(6).fill(Number.NaN);
    const skipped = accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: nan }, 'n.npy'), {
      groups: g3,
      labels: Int32Array.from([0, 1]),
      nanPolicy: 'skip',
    });
    await expect(skipped).rejects.toThrow(
      /^n\.npy: all 2 rows were dropped \(2 with NaN\/\+Inf logits\), none is left; fix the model output \(nanPolicy: 'skip' drops/,
    );
    const o = makeGroups(3, [0], [1]);
    const other = accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: new Float32Array(6) }, 'o.npy'), {
      groups: o,
      labels: Int32Array.from([2, 2]),
      allowOtherLabels: true,
    });
    await expect(other).rejects.toThrow(
      /^o\.npy: all 2 rows were dropped \(2 labelled in O\), none is left; add those classes/,
    );
  });

  it('drops rows labelled in O only when allowed, and rejects mismatched shapes', async () => {
    const zz = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const src = () => sourceOf({ rows: 2, cols: 3, data: zz });
    await expect(
      accumulateStats(cpu, src(), { groups: g3, labels: Int32Array.from([0, 2]) }),
    ).rejects.toThrow(/labels are in O/);
    const data = await accumulateStats(cpu, src(), {
      groups: g3,
      labels: Int32Array.from([0, 2]),
      allowOtherLabels: true,
    });
    expect(data.rows).toBe(1);
    expect(data.dropped.otherLabel).toBe(1);
    await expect(accumulateStats(cpu, src(), { groups: g3, labels: Int32Array.from([0]) })).rejects.toThrow(
      /2 rows of logits but 1 labels/,
    );
    await expect(accumulateStats(cpu, src(), { groups: makeGroups(4, [0]) })).rejects.toThrow(
      /3 logits per row but the class groups have 4 classes/,
    );
  });

  it('keeps per-row logit moments of each class group over its finite entries', async () => {
    const zz = Float32Array.from([1, 2, NEG_INF, 4, 5, 6]);
    const data = await accumulateStats(cpu, sourceOf({ rows: 2, cols: 3, data: zz }), {
      groups: makeGroups(3, [0], [1]),
      labels: Int32Array.from([0, 1]),
    });
    const m = data.moments;
    expect([...m.countS, ...m.sumS, ...m.sumSqS]).toEqual([1, 1, 1, 4, 1, 16]);
    expect([...m.countU, ...m.sumU, ...m.sumSqU]).toEqual([1, 1, 2, 5, 4, 25]);
    expect([...m.countO, ...m.sumO, ...m.sumSqO]).toEqual([0, 1, 0, 6, 0, 36]);
  });
});
