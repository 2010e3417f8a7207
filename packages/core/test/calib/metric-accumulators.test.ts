import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import type { WebGpuBackend } from '../../src/backend/webgpu.ts';
import { addState } from '../../src/calib/accumulators.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { classwiseJob, classwiseOf } from '../../src/calib/metrics/classwise.ts';
import { looksLikeProbabilities, withInputKind } from '../../src/calib/metrics/input-kind.ts';
import { checkTopK, topKJob, topKTable } from '../../src/calib/metrics/topk.ts';
import { accumulateStats, type StatsOptions } from '../../src/calib/stats.ts';
import { InputError } from '../../src/errors.ts';
import { arraySource, rowChunks } from '../../src/io/row-source.ts';
import { openTestGpu, randomNormal, rng, TEST_ADAPTERS } from '../gpu-harness.ts';

const cpu = new CpuBackend({ threads: 1 });
// Worker threads on every job, however small: the pool's split of the rows must not change a state.
const pool = new CpuBackend({ threads: 2, minWork: 1 });
afterAll(() => {
  cpu.dispose();
  pool.dispose();
});

const groups = makeGroups(8, [0, 1, 2], [3, 4, 5, 6]);

function set(rows: number, seed: number) {
  const next = rng(seed);
  const z = Float32Array.from({ length: rows * 8 }, () => randomNormal(next) * 2);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(next() * 7));
  return { z, labels };
}

const jobs = [topKJob(3, 0.8), classwiseJob(0.8, 10)];

async function statesOf(
  backend: CpuBackend | WebGpuBackend,
  z: Float32Array,
  labels: Int32Array,
  more: Partial<StatsOptions> = {},
) {
  const rows = labels.length;
  const data = await accumulateStats(backend, arraySource(z, rows, 8), {
    groups,
    labels,
    temperature: 1.3,
    accumulators: jobs,
    ...more,
  });
  return data.accumulated.map((a) => a.state);
}

describe('top-k and classwise ECE as chunk accumulators of the one pass', () => {
  it('give the same state over chunks, worker threads and merged shards (integer words)', async () => {
    const { z, labels } = set(301, 1);
    const whole = await statesOf(cpu, z, labels, { chunkRows: 1000 });
    expect(await statesOf(cpu, z, labels, { chunkRows: 17 })).toEqual(whole);
    const tasks = pool.parallel.tasksDone;
    expect(await statesOf(pool, z, labels, { chunkRows: 64 })).toEqual(whole);
    expect(pool.parallel.tasksDone).toBeGreaterThan(tasks);
    // Two shards, each its own pass, then their states added.
    const a = await statesOf(cpu, z.subarray(0, 100 * 8), labels.subarray(0, 100));
    const b = await statesOf(cpu, z.subarray(100 * 8), labels.subarray(100));
    a.forEach((state, j) => {
      addState(state, b[j]!);
    });
    expect(a).toEqual(whole);
    for (const state of whole) expect(state.every(Number.isInteger)).toBe(true);
    const table = topKTable(whole[0]!, 3);
    expect(Object.keys(table)).toEqual(['Y/Y@3', 'S/Y@3', 'U/Y@3', 'S/S@3', 'U/U@3']);
    const cw = classwiseOf(whole[1]!, groups.codes, 10);
    expect(cw.rows).toBe(301);
    expect(cw.perClass[7]).toBeNull();
    expect(cw.classwiseEce).toBeCloseTo((cw.seen * 3 + cw.absent * 4) / 7, 14);
  });

  it('leave out the rows the pass drops (NaN rows skipped, labels in O)', async () => {
    const { z, labels } = set(50, 2);
    z[3 * 8 + 2] = Number.NaN;
    labels[7] = 7;
    const skipped = await statesOf(cpu, z, labels, { nanPolicy: 'skip', allowOtherLabels: true });
    const keep = Array.from({ length: 50 }, (_, r) => r).filter((r) => r !== 3 && r !== 7);
    const zk = Float32Array.from(keep.flatMap((r) => [...z.subarray(r * 8, (r + 1) * 8)]));
    expect(skipped).toEqual(
      await statesOf(
        cpu,
        zk,
        Int32Array.from(keep, (r) => labels[r]!),
      ),
    );
  });

  it('refuses k < 2', () => {
    expect(() => checkTopK(1)).toThrow(InputError);
    expect(() => topKJob(2.5, 0)).toThrow(/k of top-k accuracy = 2.5 is not a whole number k in \[2, /);
  });

  it('ranks a label tied with others by the tie rule (S∪O first, then index)', async () => {
    // Classes 0..2 in S, 3..6 in U, 7 in O; every logit 0 and γ = 0: order 0,1,2,7 (S∪O by index), then U.
    const r = await cpu.labelRanks(new Float32Array(8 * 3), 3, 8, {
      groups: groups.codes,
      labels: Int32Array.from([7, 3, 2]),
      gamma: 0,
    });
    expect([...r.rankY]).toEqual([3, 4, 2]);
    expect([...r.rankOwn]).toEqual([0, 0, 2]);
  });
});

describe.each(TEST_ADAPTERS)('top-k and classwise ECE on the GPU on %s', (adapter) => {
  let gpu: WebGpuBackend | null = null;
  beforeAll(async () => {
    gpu = await openTestGpu(adapter);
  });
  afterAll(() => gpu?.dispose());

  it('top-k through the label-rank kernel gives the CPU state exactly; classwise within 1e-6', async (ctx) => {
    if (!gpu) return ctx.skip();
    const { z, labels } = set(500, 3);
    z[9 * 8 + 1] = Number.NaN;
    const options = { nanPolicy: 'skip' as const, chunkRows: 128 };
    const [gTopK, gClass] = await statesOf(gpu, z, labels, options);
    const [cTopK, cClass] = await statesOf(cpu, z, labels, options);
    expect(gTopK).toEqual(cTopK);
    const g = classwiseOf(gClass!, groups.codes, 10);
    const c = classwiseOf(cClass!, groups.codes, 10);
    expect(g.rows).toBe(c.rows);
    expect(Math.abs(g.classwiseEce - c.classwiseEce)).toBeLessThan(1e-6);
  });
});

describe('input kind', () => {
  const probs = Float32Array.from([0.2, 0.3, 0.5, 0.6, 0.4, 0, 1, 0, 0]);

  it('recognises probabilities: every value in [0, 1] and every row summing to 1 within 1e-3', () => {
    expect(looksLikeProbabilities(probs, 3, 3)).toBe(true);
    expect(looksLikeProbabilities(Float32Array.from([0.2, 0.3, 0.4995]), 1, 3)).toBe(true);
    expect(looksLikeProbabilities(Float32Array.from([0.2, 0.3, 0.49]), 1, 3)).toBe(false);
    // Log-probabilities are valid logits.
    expect(
      looksLikeProbabilities(
        probs.map((p) => Math.log(Math.max(p, 1e-45))),
        3,
        3,
      ),
    ).toBe(false);
    expect(looksLikeProbabilities(Float32Array.from([1.2, -0.2, 0]), 1, 3)).toBe(false);
  });

  it('refuses probabilities passed as logits with one error naming the file and inputKind', async () => {
    const source = withInputKind(arraySource(probs, 3, 3, 'probs.npy'));
    const e = await source.readRows(0, 3).catch((x) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe('input-kind');
    expect(e.file).toBe('probs.npy');
    expect(e.option).toEqual({ name: 'inputKind', value: 'probs' });
    expect(e.message).toMatch(/probabilities, not logits/);
  });

  it('turns probabilities into log(max(p, 1e-45)) when told, in every chunk', async () => {
    const source = withInputKind(arraySource(probs, 3, 3, 'probs.npy'), 'probs');
    const out: number[] = [];
    for await (const { data } of rowChunks(source, 2)) out.push(...data);
    expect(out).toEqual([...probs].map((p) => Math.fround(Math.log(Math.max(p, 1e-45)))));
    expect(Number.isFinite(out[5]!)).toBe(true);
    const bad = withInputKind(arraySource(Float32Array.from([0.5, 2.5]), 1, 2, 'z.npy'), 'probs');
    await expect(bad.readRows(0, 1)).rejects.toThrow(/row 0 holds 2.5, outside \[0, 1\]/);
  });

  it('passes logits through untouched and only looks at the chunk starting at row 0', async () => {
    const z = Float32Array.from([2, -1, 0.5, 0.2, 0.3, 0.5]);
    const source = withInputKind(arraySource(z, 2, 3));
    expect(await source.readRows(0, 2)).toEqual(z);
    // The second row alone is a probability row, but it is not the first chunk.
    const later = withInputKind(arraySource(z, 2, 3));
    expect(await later.readRows(1, 1)).toEqual(z.subarray(3));
    expect(() => withInputKind(arraySource(z, 2, 3), 'softmax' as never)).toThrow(/not one of logits, probs/);
  });

  it('keeps the source’s readRowsInto, so chunk streams reuse their shared buffers, with the same guard', async () => {
    const z = Float32Array.from([2, -1, 0.5, 0.2, 0.3, 0.5]);
    const logits = withInputKind(arraySource(z, 2, 3));
    const shared = new Float32Array(new SharedArrayBuffer(6 * 4));
    await logits.readRowsInto!(0, 2, shared);
    expect(shared).toEqual(z);
    const refused = withInputKind(arraySource(probs, 3, 3, 'probs.npy'));
    await expect(refused.readRowsInto!(0, 3, new Float32Array(9))).rejects.toThrow(
      /probabilities, not logits/,
    );
    const turned = withInputKind(arraySource(probs, 3, 3, 'probs.npy'), 'probs');
    const out: number[] = [];
    for await (const { data } of rowChunks(turned, 2, { reuse: 'shared' })) out.push(...data);
    expect(out).toEqual([...probs].map((p) => Math.fround(Math.log(Math.max(p, 1e-45)))));
    // A source without it gets none: the stream then reads fresh arrays, as before.
    const plain = withInputKind({ ...arraySource(z, 2, 3), readRowsInto: undefined });
    expect(plain.readRowsInto).toBeUndefined();
  });
});
