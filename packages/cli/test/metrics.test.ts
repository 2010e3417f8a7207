import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { openArray } from '@ftcal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf, messageLines } from './expect-cli.ts';
import { scratch, writeLabels, writeMatrix } from './files.ts';
import { expectClose } from './golden.ts';
import { ftcal } from './run-cli.ts';

/**
 * DESIGN.md §1.2 through the built binary: --top-k, --classwise, --bootstrap/--seed and --input-kind on
 * evaluate, calibrate, report and curve, against core's NumPy golden values (make_metrics_golden.py).
 */
const dir = scratch('ftcal-cli-metrics-');
afterAll(() => dir.remove());

interface Encoded {
  rows: number;
  cols: number;
  values: number[];
  negInf: number[];
}
const decode = (m: Encoded) => {
  const data = Float32Array.from(m.values);
  for (const i of m.negInf) data[i] = Number.NEGATIVE_INFINITY;
  return data;
};
// biome-ignore lint/suspicious/noExplicitAny: raw fixture JSON
const golden: any = JSON.parse(
  readFileSync(new URL('../../core/test/golden/metrics-other-ties.json', import.meta.url), 'utf8'),
);
const path = dir.path;
await writeMatrix(path('logits.npy'), decode(golden.logits), golden.logits.rows, golden.logits.cols);
await writeLabels(path('labels.npy'), golden.labels);
await writeMatrix(path('fit.npy'), decode(golden.fit.logits), golden.fit.logits.rows, golden.fit.logits.cols);
await writeLabels(path('fit-labels.npy'), golden.fit.labels);
writeFileSync(path('groups.json'), JSON.stringify({ seen: golden.seen, absent: golden.absent }));
const set = ['--logits', path('logits.npy'), '--labels', path('labels.npy'), '--groups', path('groups.json')];
const cpu = ['--device', 'cpu'];

async function readNpy(file: string): Promise<Float32Array> {
  const a = await openArray(file);
  try {
    return await a.readRows(0, a.rows);
  } finally {
    await a.close();
  }
}

describe('evaluate --top-k --classwise --bootstrap', () => {
  const boot = golden.expected.bootstrap;

  it('prints the golden top-k splits, MCE/RMSCE and classwise ECE in JSON', () => {
    const point = golden.expected.points[1];
    const doc = jsonOf(
      ftcal([
        'evaluate',
        ...set,
        ...cpu,
        '--gamma',
        String(point.gamma),
        '--temperature',
        String(point.temperature),
        '--top-k',
        '5',
        '--classwise',
        '--json',
      ]),
    );
    for (const [key, value] of Object.entries(point.topK['5'])) {
      expectClose(doc.table[key], value as number, 1e-12, key);
    }
    expectClose(doc.table.mce, point.equalWidth.mce, 1e-6, 'mce');
    expectClose(doc.table.rmsce, point.equalWidth.rmsce, 1e-6, 'rmsce');
    expectClose(doc.table.classwiseEce, point.classwise.classwiseEce, 1e-6, 'classwiseEce');
    expectClose(doc.classwise.seen, point.classwise.seen, 1e-6, 'classwise S');
    expectClose(doc.classwise.absent, point.classwise.absent, 1e-6, 'classwise U');
    expect(doc.classwise.perClass[10]).toBeNull();
    expect(doc.ci).toBeNull();
  });

  it('gives the golden bootstrap intervals for the documented stream, the same on every run', () => {
    const args = [
      'evaluate',
      ...set,
      ...cpu,
      '--gamma',
      String(boot.gamma),
      '--temperature',
      String(boot.temperature),
      '--bootstrap',
      String(boot.replicates),
      '--seed',
      String(boot.seed),
      '--json',
    ];
    const a = jsonOf(ftcal(args));
    for (const key of ['Y/Y', 'S/Y', 'U/Y', 'H', 'ausuc']) {
      expectClose(a.ci[key][0], boot.intervals[key][0], 1e-9, `${key} lo`);
      expectClose(a.ci[key][1], boot.intervals[key][1], 1e-9, `${key} hi`);
    }
    for (const m of ['oracle', 'hmean', 'constrained']) {
      expect(a.ci.gamma[m]).toEqual(boot.intervals[`gamma.${m}`]);
    }
    expect(a.ci).toMatchObject({ level: 0.95, replicates: boot.replicates, seed: boot.seed });
    expect(a.ci.estimate['Y/Y']).toBe(a.table['Y/Y']);
    expect(jsonOf(ftcal(args)).ci).toEqual(a.ci);
  });

  it('prints the top-k table and the intervals beside the metric table', () => {
    const r = ftcal(['evaluate', ...set, ...cpu, '--top-k', '2', '--bootstrap', '30', '--classwise']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ECE\s+MCE\s+RMSCE\s+cwECE\s+Brier/);
    expect(r.stdout).toMatch(/top-2 accuracy \(%\)/);
    expect(r.stdout).toMatch(/Y\/Y@2\s+S\/Y@2\s+U\/Y@2\s+S\/S@2\s+U\/U@2/);
    expect(r.stdout).toMatch(
      /95% bootstrap intervals \(30 replicates, seed 0; at γ = 0\.0000, T = 1\.0000\)/,
    );
    expect(r.stdout).toMatch(/γ of oracle\s+\S+\s+\S+\s+\S+/);
    expect(r.stdout).toMatch(/classwise ECE over 15 bins: \d\.\d{4} \(S \d\.\d{4}, U \d\.\d{4}\)/);
  });

  it('refuses a bad k, replicate count or a seed without a bootstrap in one line, before any work', () => {
    for (const [flags, problem] of [
      [['--top-k', '1'], /--top-k: '1' is not a whole number k in \[2, /],
      [['--bootstrap', '0'], /--bootstrap: '0' is not a whole number of bootstrap replicates/],
      [['--seed', '3'], /--seed: seeds the bootstrap, which was not asked for; add --bootstrap B/],
      [['--input-kind', 'softmax'], /--input-kind: 'softmax' is not one of logits, probs/],
    ] as const) {
      const r = ftcal(['evaluate', ...set, ...cpu, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(messageLines(r), r.stderr).toHaveLength(1);
      expect(messageLines(r)[0]).toMatch(problem);
    }
  });
});

describe('--input-kind', () => {
  const logits = decode(golden.logits);
  const { rows, cols } = golden.logits;
  const probs = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - m);
    for (let c = 0; c < cols; c++) probs[r * cols + c] = Math.exp(row[c]! - m) / sum;
  }

  it('refuses probabilities passed as logits with exit 2 and one line naming --input-kind probs', async () => {
    await writeMatrix(path('probs.npy'), probs, rows, cols);
    const withProbs = [
      '--logits',
      path('probs.npy'),
      '--labels',
      path('labels.npy'),
      '--groups',
      path('groups.json'),
    ];
    const line = expectInputError(
      ftcal(['evaluate', ...withProbs, ...cpu]),
      'probs.npy',
      /probabilities, not logits/,
    );
    expect(line).toContain('--input-kind probs');
    expectInputError(
      ftcal(['calibrate', ...withProbs, ...cpu, '--methods', 'oracle', '--out', path('c.json')]),
      'probs.npy',
      /probabilities, not logits/,
    );
    const ok = jsonOf(
      ftcal(['evaluate', ...withProbs, ...cpu, '--input-kind', 'probs', '--gamma', '0.3', '--json']),
    );
    const ref = jsonOf(ftcal(['evaluate', ...set, ...cpu, '--gamma', '0.3', '--json']));
    expect(ok.table['Y/Y']).toBe(ref.table['Y/Y']);
    expect(ok.table.nll).toBeCloseTo(ref.table.nll, 5);

    // apply: refused as well, or log p calibrated, whose softmax is that of the logits (a row shift).
    const cal = ['--calibrator', path('c-oracle.json')];
    expect(
      ftcal(['calibrate', ...set, ...cpu, '--methods', 'oracle', '--out', path('c-oracle.json')]).code,
    ).toBe(0);
    const onProbs = ['apply', ...cal, '--logits', path('probs.npy'), '--probs', ...cpu];
    expectInputError(ftcal([...onProbs, '--out', path('p0.npy')]), 'probs.npy', /probabilities, not logits/);
    expect(existsSync(path('p0.npy'))).toBe(false);
    expect(ftcal([...onProbs, '--input-kind', 'probs', '--out', path('p1.npy')]).code).toBe(0);
    const onLogits = ['apply', ...cal, '--logits', path('logits.npy'), '--probs', ...cpu];
    expect(ftcal([...onLogits, '--out', path('p2.npy')]).code).toBe(0);
    const [a, b] = [await readNpy(path('p1.npy')), await readNpy(path('p2.npy'))];
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
  });
});

describe('calibrate, report and curve with --bootstrap', () => {
  const fit = ['--fit-logits', path('fit.npy'), '--fit-labels', path('fit-labels.npy')];

  it('calibrate reports top-k and classwise before and after, and intervals at the chosen point', () => {
    const doc = jsonOf(
      ftcal([
        'calibrate',
        ...set,
        ...cpu,
        ...fit,
        '--methods',
        'alg,oracle,hmean,constrained',
        '--top-k',
        '2',
        '--classwise',
        '--bootstrap',
        '40',
        '--seed',
        '9',
        '--out',
        path('cal.json'),
        '--json',
      ]),
    );
    expect(doc.before['Y/Y@2']).toBeTypeOf('number');
    expect(doc.after['Y/Y@2']).toBeTypeOf('number');
    expect(doc.after.classwiseEce).toBe(doc.classwise.after.classwiseEce);
    expect(doc.ci.at).toEqual({ gamma: doc.gamma, temperature: doc.temperature });
    expect(Object.keys(doc.ci.gamma).sort()).toEqual(['alg', 'constrained', 'hmean', 'oracle']);
    expect(doc.ci.estimate.gamma.alg).toBe(doc.gamma);
    expect(doc.methods[0].table.mce).toBeTypeOf('number');
  });

  it('report draws the reliability band, the oracle γ interval and the table of intervals', () => {
    const r = ftcal([
      'report',
      ...set,
      ...cpu,
      ...fit,
      '--methods',
      'alg,oracle',
      '--top-k',
      '3',
      '--bootstrap',
      '40',
      '--out',
      path('report.html'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(path('report.html'), 'utf8');
    expect(html).toContain('<section id="bootstrap">');
    expect(html).toMatch(/95% intervals from 40 bootstrap replicates \(seed 0\)/);
    expect(html).toContain('class="accuracy-band"');
    expect(html).toContain('class="gamma-interval"');
    expect(html).toContain('oracle γ, 95% bootstrap interval');
    expect(html).toMatch(/<th scope="col"[^>]*>Y\/Y@3<\/th>/);
  });

  it('curve --bootstrap puts the oracle γ interval in its JSON, its text and its plot', () => {
    const args = ['curve', ...set, ...cpu, '--bootstrap', '40', '--seed', '1', '--out', path('c.csv')];
    const doc = jsonOf(ftcal([...args, '--plot', path('c.svg'), '--json']));
    const [lo, hi] = doc.ci.gamma.oracle;
    const oracle = doc.marks.find((m: { label: string }) => m.label === 'oracle');
    expect(lo).toBeLessThanOrEqual(hi);
    expect(doc.ci.estimate.gamma.oracle).toBe(oracle.gamma);
    expect(readFileSync(path('c.svg'), 'utf8')).toContain('class="gamma-interval"');
    const text = ftcal(args);
    expect(text.stdout).toMatch(/oracle\s+γ = \S+ \(95% \S+ to \S+\)/);
  });
  it('with --stats: the same intervals as from the logits; what the files do not hold refused in one line', () => {
    const stats = path('set.stats.npz');
    expect(ftcal(['stats', ...set, ...cpu, '--out', stats]).code).toBe(0);
    const boot = ['--bootstrap', '25', '--seed', '4', '--gamma', '0.5'];
    const fromLogits = jsonOf(ftcal(['evaluate', ...set, ...cpu, ...boot, '--json']));
    const fromStats = jsonOf(ftcal(['evaluate', '--stats', stats, ...cpu, ...boot, '--json']));
    expect(fromStats.ci).toEqual(fromLogits.ci);
    // Top-k and classwise ECE come from --stats only where ftcal stats took them (stats.test.ts).
    for (const [flag, message] of [
      [['--top-k', '2'], /hold no top-2 accuracy at γ = 0/],
      [['--classwise'], /hold no classwise ECE \(15 bins\) at γ = 0/],
      [['--input-kind', 'probs'], /--input-kind: needs the logits, and only --stats were given/],
    ] as const) {
      const r = ftcal(['evaluate', '--stats', stats, ...cpu, ...flag]);
      expect(r.code, r.stderr).toBe(2);
      expect(messageLines(r), r.stderr).toHaveLength(1);
      expect(messageLines(r)[0]).toMatch(message);
    }
    for (const flag of [['--top-k', '2'], ['--classwise']]) {
      const r = ftcal(['calibrate', '--stats', stats, ...cpu, ...flag, '--out', path('c-stats.json')]);
      expect(r.code, r.stderr).toBe(2);
      expect(messageLines(r)[0]).toMatch(
        new RegExp(`${flag[0]}: needs the logits, and only --stats were given`),
      );
    }
  });
});
