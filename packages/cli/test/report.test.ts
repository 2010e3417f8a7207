import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from './expect-cli.ts';
import { scratch } from './files.ts';
import { type Golden, labelledArgs, writeGolden } from './golden.ts';
import { ftcal } from './run-cli.ts';

describe('ftcal report (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  const labelled = () => labelledArgs(s.path);

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
    const names = Array.from({ length: golden.numClasses }, (_, k) => `class<${k}>`);
    writeFileSync(s.path('names.txt'), `${names.join('\n')}\n`);
  });
  afterAll(() => s.remove());

  it('writes one self-contained page with the calibration’s tables, every method and the three plots', () => {
    const out = s.path('report.html');
    const doc = jsonOf(
      ftcal([
        'report',
        ...labelled(),
        '--class-names',
        s.path('names.txt'),
        '--fit-logits',
        s.path('fit-logits.npy'),
        '--fit-labels',
        s.path('fit-labels.npy'),
        '--out',
        out,
        '--json',
      ]),
    );
    expect(doc.command).toBe('report');
    expect(doc.method).toBe('alg');
    expect(Math.abs(doc.gamma - golden.expected.methods.alg)).toBeLessThan(1e-5);
    expect(doc.calibrator).toBeUndefined();
    const html = readFileSync(out, 'utf8');
    expect(html.toLowerCase().startsWith('<!doctype html>')).toBe(true);
    // Self-contained: no scripts, nothing fetched from elsewhere.
    expect(html).not.toMatch(/<script|<link |src="http|href="http/i);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(3);
    const before = golden.expected.accuracy[0]!.table;
    expect(html).toContain(before['Y/Y']!.toFixed(2));
    expect(html).toContain(doc.after['U/Y'].toFixed(2));
    for (const method of ['alg', 'oracle', 'constrained', 'hmean', 'nll', 'temperature']) {
      expect(html).toContain(`>${method}<`);
    }
    expect(html).toContain('skipped: needs fold models');
    // Class names are user text: escaped, never markup.
    expect(html).toContain('class&lt;0&gt;');
    expect(html).not.toContain('class<0>');
  });

  it('prints a summary line without --json', () => {
    const out = s.path('plain.html');
    const r = ftcal(['report', ...labelled(), '--method', 'oracle', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const before = golden.expected.accuracy[0]!.table;
    expect(r.stdout).toMatch(
      new RegExp(`^wrote .*plain\\.html: method oracle, γ = .*U/Y ${before['U/Y']!.toFixed(2)} → `),
    );
    expect(readFileSync(out, 'utf8')).toContain('skipped: needs the fine-tuning training logits');
  });

  it('with --plots, writes the page’s three plots as SVG files, the bootstrap band and γ interval in them', () => {
    const dir = s.path('plots');
    mkdirSync(dir);
    const out = s.path('with-plots.html');
    const args = ['report', ...labelled(), '--method', 'oracle', '--bootstrap', '50', '--seed', '3'];
    const doc = jsonOf(ftcal([...args, '--out', out, '--plots', dir, '--json']));
    const files = ['gamma-curve.svg', 'reliability.svg', 'logit-gap.svg'].map((f) => `${dir}/${f}`);
    expect(doc.plots).toEqual(files);
    for (const f of files) {
      const svg = readFileSync(f, 'utf8');
      expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
    }
    expect(readFileSync(files[1]!, 'utf8')).toContain('95% bootstrap band of each bin');
    expect(readFileSync(files[0]!, 'utf8')).toMatch(/oracle[^<]*interval|interval[^<]*oracle/i);
  });

  it('refuses --plots naming a missing directory, or one whose plot file is an input, before any work', () => {
    const out = s.path('refused.html');
    const missing = ftcal(['report', ...labelled(), '--out', out, '--plots', s.path('nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /the directory .*nowhere does not exist; create it or pass another --plots/,
    );
    // A labels file named like a plot, in the plots directory: it would be overwritten.
    const dir = s.path('clash');
    mkdirSync(dir);
    writeFileSync(`${dir}/reliability.svg`, readFileSync(labelled()[labelled().indexOf('--labels') + 1]!));
    const args = labelled().map((a, i, all) => (all[i - 1] === '--labels' ? `${dir}/reliability.svg` : a));
    const clash = ftcal(['report', ...args, '--out', out, '--plots', dir]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/reliability\.svg: is this run's input --labels .* pass another --plots/);
    expect(existsSync(out)).toBe(false);
  });
});
