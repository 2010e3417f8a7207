import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf } from './expect-cli.ts';
import { scratch, syntheticSet, writeLabels, writeMatrix } from './files.ts';
import { ftcal } from './run-cli.ts';

const ROWS = 900;
const COLS = 12;
const SEEN = [0, 1, 2, 3, 4, 5];
/** Uneven shards, one of them a single row. */
const CUTS = [0, 1, 377, 600, ROWS];

/** An evaluation or calibration document without what names its inputs, which differ by construction. */
// biome-ignore lint/suspicious/noExplicitAny: JSON documents compared whole
function comparable(doc: any): unknown {
  const { labels: _l, stats: _s, ...rest } = doc;
  return { ...rest, data: { ...rest.data, source: null } };
}

describe('ftcal stats and --stats (built binary): sharded data gives the single-run result exactly', () => {
  const s = scratch();
  const dev = ['--device', 'cpu'];

  beforeAll(async () => {
    const { logits, labels } = syntheticSet(11, ROWS, COLS, SEEN);
    // Class 11 is in O: one NaN row and one row labelled in O, so dropped rows are counted and merged too.
    for (let r = 0; r < ROWS; r++) if (labels[r] === 11) labels[r] = 10;
    logits[500 * COLS + 3] = Number.NaN;
    labels[50] = 11;
    await writeMatrix(s.path('all.npy'), logits, ROWS, COLS);
    await writeLabels(s.path('all-labels.npy'), labels);
    for (let i = 0; i + 1 < CUTS.length; i++) {
      const [a, b] = [CUTS[i]!, CUTS[i + 1]!];
      await writeMatrix(s.path(`z-${i}.npy`), logits.slice(a * COLS, b * COLS), b - a, COLS);
      await writeLabels(s.path(`y-${i}.npy`), labels.slice(a, b));
    }
    const fit = syntheticSet(12, 400, COLS, SEEN);
    for (let r = 0; r < 400; r++) if (fit.labels[r] === 11) fit.labels[r] = 10;
    await writeMatrix(s.path('fit.npy'), fit.logits, 400, COLS);
    await writeLabels(s.path('fit-labels.npy'), fit.labels);
    writeFileSync(s.path('groups.json'), JSON.stringify({ seen: SEEN, absent: [6, 7, 8, 9, 10] }));
    writeFileSync(
      s.path('shards.txt'),
      CUTS.slice(1)
        .map((_, i) => `z-${i}.npy`)
        .join('\n'),
    );
    writeFileSync(
      s.path('labels.txt'),
      CUTS.slice(1)
        .map((_, i) => `y-${i}.npy`)
        .join('\n'),
    );
  });
  afterAll(() => s.remove());

  const common = () => [
    '--groups',
    s.path('groups.json'),
    '--nan-policy',
    'skip',
    '--allow-other-labels',
    ...dev,
  ];
  const single = () => ['--logits', s.path('all.npy'), '--labels', s.path('all-labels.npy'), ...common()];

  it('writes one statistics file per shard', () => {
    for (let i = 0; i + 1 < CUTS.length; i++) {
      const args = ['stats', '--logits', s.path(`z-${i}.npy`), '--labels', s.path(`y-${i}.npy`), ...common()];
      const doc = jsonOf(ftcal([...args, '--out', s.path(`s-${i}.stats.npz`), '--json']));
      expect(doc.rows + doc.dropped.nonFinite + doc.dropped.otherLabel).toBe(CUTS[i + 1]! - CUTS[i]!);
    }
  });

  it('evaluate: merged statistics, a glob of shards, and @lists equal one run over all rows', () => {
    const one = jsonOf(ftcal(['evaluate', ...single(), '--gamma', '1.25', '--json']));
    expect(one.data.dropped).toEqual({ nonFinite: 1, otherLabel: 1 });
    const fromStats = jsonOf(
      ftcal(['evaluate', '--stats', s.path('s-*.stats.npz'), '--gamma', '1.25', ...dev, '--json']),
    );
    const glob = ['--logits', s.path('z-*.npy'), '--labels', s.path('y-*.npy')];
    const fromGlob = jsonOf(ftcal(['evaluate', ...glob, ...common(), '--gamma', '1.25', '--json']));
    const lists = ['--logits', `@${s.path('shards.txt')}`, '--labels', `@${s.path('labels.txt')}`];
    const fromLists = jsonOf(ftcal(['evaluate', ...lists, ...common(), '--gamma', '1.25', '--json']));
    expect(comparable(fromStats)).toEqual(comparable(one));
    expect(comparable(fromGlob)).toEqual(comparable(one));
    expect(comparable(fromLists)).toEqual(comparable(one));
    expect(fromStats.data.source).toMatch(/4 statistics files/);
  });

  it('top-k and classwise ECE: shards take them at one γ, --stats gives the single run’s numbers', () => {
    const atPoint = ['--top-k', '3', '--classwise', '--gamma', '1.25', '--bins', '10'];
    for (let i = 0; i + 1 < CUTS.length; i++) {
      const args = ['stats', '--logits', s.path(`z-${i}.npy`), '--labels', s.path(`y-${i}.npy`), ...common()];
      const r = ftcal([...args, ...atPoint, '--out', s.path(`k-${i}.stats.npz`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/with top-3 accuracy and classwise ECE at γ = 1\.25 written to/);
    }
    const one = jsonOf(ftcal(['evaluate', ...single(), ...atPoint, '--json']));
    const merged = jsonOf(
      ftcal(['evaluate', '--stats', s.path('k-*.stats.npz'), ...atPoint, ...dev, '--json']),
    );
    expect(one.table['S/Y@3']).toEqual(expect.any(Number));
    expect(one.classwise.numBins).toBe(10);
    expect(comparable(merged)).toEqual(comparable(one));
    const text = ftcal(['evaluate', '--stats', s.path('k-*.stats.npz'), ...atPoint, ...dev]);
    expect(text.stdout).toMatch(/Y\/Y@3/);
    expect(text.stdout).toMatch(/classwise ECE/);

    // Another point than the statistics were taken at, or files without them: one line, exit 2.
    expectInputError(
      ftcal(['evaluate', '--stats', s.path('k-*.stats.npz'), '--top-k', '3', '--gamma', '2', ...dev]),
      'statistics files',
      /hold no top-3 accuracy at γ = 2 \(they hold classwise ECE \(10 bins\) at γ = 1\.25, top-3 accuracy at γ = 1\.25\); take the statistics with --top-k 3 at γ = 2/,
    );
    expectInputError(
      ftcal(['evaluate', '--stats', s.path('s-*.stats.npz'), '--classwise', ...dev]),
      'statistics files',
      /hold no classwise ECE \(15 bins\) at γ = 0 \(they hold no metrics at an operating point\); take the statistics with --classwise/,
    );
    expectInputError(
      ftcal(['evaluate', '--stats', s.path('s-0.stats.npz'), s.path('k-1.stats.npz'), ...dev]),
      'k-1.stats.npz',
      /statistics with other accumulated metrics \(or their operating point\) than/,
    );
    const plain = ['stats', '--logits', s.path('z-1.npy'), '--labels', s.path('y-1.npy'), ...common()];
    expectInputError(
      ftcal([...plain, '--gamma', '1', '--out', s.path('gamma-only.npz')]),
      '--gamma',
      /sets the operating point of --top-k and --classwise, and neither was given/,
    );
  });

  it('calibrate and curve: the same methods, γ and curve from merged statistics', () => {
    const methods = ['--methods', 'alg,oracle,constrained,hmean'];
    const fit = ['--fit-logits', s.path('fit.npy'), '--fit-labels', s.path('fit-labels.npy')];
    const one = jsonOf(
      ftcal(['calibrate', ...single(), ...fit, ...methods, '--out', s.path('c1.json'), '--json']),
    );
    const stats = ['--stats', s.path('s-0.stats.npz'), s.path('s-[1-3].stats.npz')];
    const merged = jsonOf(
      ftcal(['calibrate', ...stats, ...fit, ...methods, ...dev, '--out', s.path('c2.json'), '--json']),
    );
    expect(merged.methods).toEqual(one.methods);
    expect(merged.gamma).toBe(one.gamma);
    expect(merged.calibrator.provenance.fingerprints.map((f: { source: string }) => f.source)).toEqual(
      CUTS.slice(1)
        .map((_, i) => s.path(`z-${i}.npy`))
        .concat(s.path('fit.npy')),
    );
    const curveOne = jsonOf(ftcal(['curve', ...single(), '--out', s.path('one.csv'), '--json']));
    const curveMany = jsonOf(ftcal(['curve', ...stats, ...dev, '--out', s.path('many.csv'), '--json']));
    expect(curveMany.ausuc).toBe(curveOne.ausuc);
    expect(curveMany.marks).toEqual(curveOne.marks);
  });

  it('refuses what statistics cannot give, or mixed shards, in one line', () => {
    const stats = ['--stats', s.path('s-*.stats.npz'), ...dev];
    expectInputError(
      ftcal(['calibrate', ...stats, '--methods', 'nll', '--out', s.path('c.json')]),
      'nll',
      /needs the logits \(it iterates over them\), and only --stats files were given/,
    );
    expectInputError(
      ftcal(['evaluate', ...stats, '--temperature', '2']),
      'statistics files',
      /taken at T = 1, not 2/,
    );
    const t2 = ['stats', '--logits', s.path('z-1.npy'), '--labels', s.path('y-1.npy'), ...common()];
    expect(ftcal([...t2, '--temperature', '2', '--out', s.path('t2.npz')]).code).toBe(0);
    expectInputError(
      ftcal(['evaluate', '--stats', s.path('s-0.stats.npz'), s.path('t2.npz'), ...dev]),
      't2.npz',
      /statistics taken at T = 2, .*s-0\.stats\.npz at T = 1; /,
    );
    const other = ['--seen', '0-4', '--nan-policy', 'skip', '--allow-other-labels', ...dev];
    const g = ['stats', '--logits', s.path('z-1.npy'), '--labels', s.path('y-1.npy'), ...other];
    expect(ftcal([...g, '--out', s.path('g.npz')]).code).toBe(0);
    expectInputError(
      ftcal(['evaluate', '--stats', s.path('s-0.stats.npz'), s.path('g.npz'), ...dev]),
      'g.npz',
      /statistics taken with other class groups than/,
    );
    expectInputError(
      ftcal(['evaluate', ...stats, '--logits', s.path('all.npy')]),
      '--stats',
      /given with --logits, but the statistics files already hold the rows/,
    );
    expectInputError(ftcal(['evaluate', '--stats', s.path('all.npy'), ...dev]), 'all.npy', /./);
    expectInputError(
      ftcal(['evaluate', '--logits', s.path('z-*.npy'), '--labels', s.path('y-[01].npy'), ...common()]),
      'y-[01].npy',
      /2 labels files for 4 logits files/,
    );
  });

  it('never writes a statistics file over one of its shards', () => {
    const args = ['stats', '--logits', s.path('z-*.npy'), '--labels', s.path('y-*.npy'), ...common()];
    expectInputError(ftcal([...args, '--out', s.path('z-2.npy')]), 'z-2.npy', /is this run's input --logits/);
  });
});
