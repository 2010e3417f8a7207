import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { calibrate, calibrateStats, evaluate, evaluateStats } from '../../src/calib/evaluate.ts';
import { makeGroups } from '../../src/calib/groups.ts';
import { extraJobs } from '../../src/calib/metrics/extras.ts';
import { accumulateStats, type DataStats } from '../../src/calib/stats.ts';
import { mergeStats, readStatsFile, writeStatsFile } from '../../src/calib/stats-file.ts';
import { columnsOf } from '../../src/cpu/columns.ts';
import { openNpy, writeNpy } from '../../src/io/npy.ts';
import { writeNpz } from '../../src/io/npz-writer.ts';
import { arraySource } from '../../src/io/row-source.ts';
import { concatSources, expandInputs } from '../../src/io/shards.ts';
import { expectInputError, python, runPython, withTempDir } from '../io/helpers.ts';
import { FIXTURES, loadFixture, sourceOf } from './fixtures.ts';

const cpu = new CpuBackend();
afterAll(() => cpu.dispose());

/** Rows [r0, r1) of a fixture's logits and labels as a source of their own. */
function shard(fx: ReturnType<typeof loadFixture>, r0: number, r1: number, name: string) {
  const { cols } = fx.logits;
  return {
    logits: arraySource(fx.logits.data.slice(r0 * cols, r1 * cols), r1 - r0, cols, name),
    labels: fx.labels.slice(r0, r1),
  };
}

function expectSameColumns(a: DataStats, b: DataStats): void {
  for (const part of ['stats', 'moments'] as const) {
    const want = Object.fromEntries(columnsOf(b[part]));
    for (const [key, col] of columnsOf(a[part])) expect([...col], `${part}.${key}`).toEqual([...want[key]!]);
  }
  expect(a.labels).toEqual(b.labels);
}

describe.each(FIXTURES)('statistics files: shards merge to the single run (%s)', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const cuts = [0, 37, 38, 120, fx.logits.rows];

  it('write, read back, merge: the same columns, evaluation and calibration as one run', async () => {
    await withTempDir(async (dir) => {
      const files = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const s = shard(fx, cuts[i]!, cuts[i + 1]!, `part-${i}.npy`);
        const data = await accumulateStats(cpu, s.logits, { groups, labels: s.labels });
        const path = join(dir, `part-${i}.stats.npz`);
        await writeStatsFile(path, data, { fingerprints: [], backend: cpu.name });
        files.push(await readStatsFile(path));
      }
      const merged = mergeStats(files);
      const single = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
      expectSameColumns(merged.data, single);
      expect(merged.header.rows).toBe(fx.logits.rows);
      expect(merged.name).toMatch(/4 statistics files/);

      const one = await evaluate(cpu, { logits: sourceOf(fx.logits), labels: fx.labels, groups, gamma: 0.7 });
      const many = await evaluateStats(cpu, merged.data, { gamma: 0.7 });
      expect({ ...many, data: { ...many.data, source: one.data.source } }).toEqual(one);

      const methods = ['oracle', 'hmean', 'constrained'] as const;
      const fit = await calibrate(cpu, {
        logits: sourceOf(fx.logits),
        labels: fx.labels,
        groups,
        methods: [...methods],
      });
      const fitStats = await calibrateStats(cpu, merged.data, { methods: [...methods] });
      expect(fitStats.methods).toEqual(fit.methods);
      expect(fitStats.after).toEqual(fit.after);
    });
  });
});

describe.each(FIXTURES)('statistics files: top-k and classwise ECE at their operating point (%s)', (name) => {
  const fx = loadFixture(name);
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);
  const cuts = [0, 1, 38, 120, fx.logits.rows];
  const metrics = { topK: 3, classwise: true, bins: 10 };

  it('shards accumulate them, files carry them, the merge gives the single run’s numbers', async () => {
    await withTempDir(async (dir) => {
      const files = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const s = shard(fx, cuts[i]!, cuts[i + 1]!, `part-${i}.npy`);
        const accumulators = extraJobs(metrics, 0.7, metrics.bins);
        const data = await accumulateStats(cpu, s.logits, { groups, labels: s.labels, accumulators });
        const path = join(dir, `part-${i}.stats.npz`);
        await writeStatsFile(path, data, { fingerprints: [], backend: cpu.name });
        files.push(await readStatsFile(path));
      }
      const merged = mergeStats(files);
      const one = await evaluate(cpu, {
        logits: sourceOf(fx.logits),
        labels: fx.labels,
        groups,
        gamma: 0.7,
        ...metrics,
      });
      const many = await evaluateStats(cpu, merged.data, { gamma: 0.7, ...metrics });
      expect(one.table['Y/Y@3']).toEqual(expect.any(Number));
      expect(one.classwise?.classwiseEce).toEqual(expect.any(Number));
      expect({ ...many, data: { ...many.data, source: one.data.source } }).toEqual(one);

      // Another point, another k or other bins than the pass took: refused, naming what the files hold.
      const held = /they hold classwise ECE \(10 bins\) at γ = 0\.7, top-3 accuracy at γ = 0\.7/;
      for (const asked of [
        { gamma: 0.5, topK: 3 },
        { gamma: 0.7, topK: 2 },
        { gamma: 0.7, classwise: true },
      ]) {
        await expectInputError(evaluateStats(cpu, merged.data, asked), held);
      }
      await expectInputError(
        calibrateStats(cpu, merged.data, { methods: ['oracle'], ...metrics }),
        /top-k accuracy and classwise ECE at the calibrated point needs the logits/,
      );
      const plain = await accumulateStats(cpu, sourceOf(fx.logits), { groups, labels: fx.labels });
      await expectInputError(
        evaluateStats(cpu, plain, { topK: 3 }),
        /hold no top-3 accuracy at γ = 0 \(they hold no metrics at an operating point\); take the statistics with topK: 3 at γ = 0/,
      );
    });
  });
});

describe('statistics files: what they hold and what they refuse', () => {
  const fx = loadFixture('basic');
  const groups = makeGroups(fx.numClasses, fx.seen, fx.absent);

  it('are an .npz numpy reads: a JSON header and one 1-D array per column', async (ctx) => {
    if (!python) return ctx.skip();
    await withTempDir(async (dir) => {
      const path = join(dir, 's.npz');
      const data = await accumulateStats(cpu, sourceOf(fx.logits), {
        groups,
        labels: fx.labels,
        temperature: 2,
      });
      await writeStatsFile(path, data, { fingerprints: [], backend: cpu.name });
      const out = runPython(
        [
          'import json, sys, numpy as np',
          'f = np.load(sys.argv[1])',
          'h = json.loads(f["header"].tobytes())',
          'print(json.dumps([h["kind"], h["rows"], h["temperature"], f["stats/lseSO"].dtype.str, f["labels"].dtype.str,',
          '  float(f["stats/lseSO"][3]), int(f["labels"][5]), sorted(k for k in f.files if k.startswith("moments/"))[:2]]))',
        ].join('\n'),
        path,
      );
      expect(JSON.parse(out)).toEqual([
        'ftcal-stats',
        fx.logits.rows,
        2,
        '<f8',
        '<i4',
        data.stats.lseSO[3],
        fx.labels[5],
        ['moments/countO', 'moments/countS'],
      ]);
    });
  });

  it('refuse to merge other class groups, another temperature, and non-statistics files, in one line', async () => {
    await withTempDir(async (dir) => {
      const write = async (file: string, options: Parameters<typeof accumulateStats>[2]) => {
        const path = join(dir, file);
        const data = await accumulateStats(cpu, sourceOf(fx.logits), options);
        await writeStatsFile(path, data, { fingerprints: [], backend: cpu.name });
        return readStatsFile(path);
      };
      const a = await write('a.npz', { groups, labels: fx.labels });
      const other = makeGroups(fx.numClasses, fx.seen.slice(1), [...fx.absent, fx.seen[0]!]);
      const b = await write('b.npz', { groups: other, labels: fx.labels });
      const c = await write('c.npz', { groups, labels: fx.labels, temperature: 1.5 });
      expect(() => mergeStats([a, b])).toThrow(
        /b\.npz: statistics taken with other class groups than .*a\.npz; /,
      );
      expect(() => mergeStats([a, c])).toThrow(/c\.npz: statistics taken at T = 1\.5, .*a\.npz at T = 1; /);
      await expectInputError(
        calibrateStats(cpu, c.data, {}),
        /statistics taken at T = 1\.5; the methods that choose γ keep T = 1/,
      );
      await expectInputError(
        calibrateStats(cpu, a.data, { methods: ['nll'] }),
        /calibrate's nll needs the logits, and only statistics were given/,
      );
      await writeNpz(join(dir, 'plain.npz'), [{ name: 'x', data: new Float32Array(4) }]);
      await expectInputError(
        readStatsFile(join(dir, 'plain.npz')),
        /plain\.npz: is an \.npz but not a statistics file; /,
      );
    });
  });
});

describe('shards: globs, lists, and one matrix over many files', () => {
  it('expands a glob in name order and a list in its order, relative to the list', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'sub'));
      for (const f of ['b-10.npy', 'b-02.npy', 'a.npy', '.hidden.npy', 'sub/b-01.npy']) {
        await writeNpy(join(dir, f), Float32Array.from([1, 2]), [1, 2]);
      }
      expect(await expandInputs(join(dir, 'b-*.npy'))).toEqual([
        join(dir, 'b-02.npy'),
        join(dir, 'b-10.npy'),
      ]);
      expect(await expandInputs(join(dir, '**/b-?[0-9].npy'))).toEqual([
        join(dir, 'b-02.npy'),
        join(dir, 'b-10.npy'),
        join(dir, 'sub/b-01.npy'),
      ]);
      expect(await expandInputs(join(dir, '*.npy'))).not.toContain(join(dir, '.hidden.npy'));
      await writeFile(join(dir, 'list.txt'), '# shards\nb-10.npy\n\nsub/b-01.npy\n');
      expect(await expandInputs(`@${join(dir, 'list.txt')}`)).toEqual([
        join(dir, 'b-10.npy'),
        join(dir, 'sub/b-01.npy'),
      ]);
      await expectInputError(expandInputs(join(dir, 'z-*.npy')), /z-\*\.npy: no file matches this pattern; /);
      await expectInputError(expandInputs(`@${join(dir, 'nope.txt')}`), /nope\.txt: no such file/);
    });
  });

  it('reads row ranges across shard boundaries, and refuses shards of other widths', async () => {
    await withTempDir(async (dir) => {
      const z = Float32Array.from({ length: 7 * 3 }, (_, i) => i);
      await writeNpy(join(dir, 'p0.npy'), z.subarray(0, 6), [2, 3]);
      await writeNpy(join(dir, 'p1.npy'), z.subarray(6, 9), [1, 3]);
      await writeNpy(join(dir, 'p2.npy'), z.subarray(9), [4, 3]);
      const parts = await Promise.all(['p0', 'p1', 'p2'].map((p) => openNpy(join(dir, `${p}.npy`))));
      const all = concatSources(parts, 'p*.npy');
      expect([all.rows, all.cols]).toEqual([7, 3]);
      expect([...(await all.readRows(1, 4))]).toEqual([...z.subarray(3, 15)]);
      expect([...(await all.readRowsF64(0, 7))]).toEqual([...z]);
      const out = new Float32Array(9);
      await all.readRowsInto!(4, 3, out);
      expect([...out]).toEqual([...z.subarray(12, 21)]);
      await all.close();
      await writeNpy(join(dir, 'q.npy'), new Float32Array(4), [2, 2]);
      const q = await openNpy(join(dir, 'q.npy'));
      const p0 = await openNpy(join(dir, 'p0.npy'));
      expect(() => concatSources([p0, q], 'mixed')).toThrow(/q\.npy: 2 columns where .*p0\.npy has 3/);
      await Promise.all([q.close(), p0.close()]);
    });
  });
});
