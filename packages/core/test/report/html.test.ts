import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { escapeXml } from '../../src/report/escape.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import type { ReportInput } from '../../src/report/types.ts';
import { reportPlots, writeReport, writeReportPlots } from '../../src/report/write.ts';
import { syntheticReport } from './fixture.ts';
import { parseXml } from './xml-check.ts';

const HOSTILE = '<img src=x onerror="alert(1)">&amp;\'quoted\'</style><script>alert(2)</script>';

function hostileReport(): ReportInput {
  const base = syntheticReport(200);
  return {
    ...base,
    title: `Report for ${HOSTILE}`,
    evaluated: [
      ['logits', `${HOSTILE}.npy`],
      [`key ${HOSTILE}`, 'value'],
    ],
    device: `adapter ${HOSTILE}`,
    methods: [{ method: `m ${HOSTILE}`, table: { 'Y/Y': 50 }, note: `note ${HOSTILE}` }],
    classes: { seen: [`cat ${HOSTILE}`, 'dog'], absent: ['a\u0001b'] },
    curve: { ...base.curve!, marks: [{ label: `mark ${HOSTILE}`, gamma: 1, seen: 50, unseen: 50 }] },
  };
}

const inlineSvgs = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe('HTML report', () => {
  it('escapes every user-provided string', () => {
    const html = renderReportHtml(hostileReport());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).not.toContain('\u0001');
    const escaped = escapeXml(HOSTILE);
    expect(escaped).toBe(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&#39;quoted&#39;&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
    );
    for (const where of [
      `Report for ${escaped}`,
      `${escaped}.npy`,
      `adapter ${escaped}`,
      `cat ${escaped}`,
      `note ${escaped}`,
    ]) {
      expect(html).toContain(where);
    }
    // Exactly one <style> element: the user's "</style>" did not open or close one.
    expect(html.match(/<style>/g)!.length).toBe(1 + inlineSvgs(html).length);
    for (const svg of inlineSvgs(html)) expect(parseXml(svg).name).toBe('svg');
  });

  it('is self-contained: no scripts, no external resources, a CSP that forbids loading any', () => {
    const html = renderReportHtml(syntheticReport());
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|\ssrc=|\shref=|url\(|@import/i);
    const urls = html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    const svgs = inlineSvgs(html);
    expect(svgs).toHaveLength(3);
    const ids = svgs.map((s) => parseXml(s).attrs.id);
    expect(ids).toEqual(['plot-gamma-curve', 'plot-reliability', 'plot-logit-gap']);
  });

  it('tables the metrics before, after and per method, with a dash for what does not exist', () => {
    const input = syntheticReport();
    const html = renderReportHtml({
      ...input,
      methods: [
        ...input.methods,
        { method: 'pcv', table: { gamma: 1.25, 'S/Y': 80.123, 'U/Y': Number.NaN } },
      ],
    });
    const before = input.calibration!.before;
    const row = (label: string) =>
      html.match(new RegExp(`<tr[^>]*><th scope="row">${label}</th>(.*?)</tr>`))![1]!;
    const cells = (label: string) => [...row(label).matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    const head = [...html.matchAll(/<th scope="col" title="[^"]*">(.*?)<\/th>/g)]
      .slice(0, 12)
      .map((m) => m[1]);
    expect(head).toEqual(['γ', 'T', 'Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H', 'AUSUC', 'NLL', 'ECE', 'Brier']);
    expect(cells('Before')).toEqual([
      '0.000',
      '1.0000',
      before['Y/Y']!.toFixed(2),
      before['S/Y']!.toFixed(2),
      before['U/Y']!.toFixed(2),
      '91.20',
      '80.40',
      before.H!.toFixed(2),
      before.ausuc!.toFixed(4),
      '1.2340',
      before.ece!.toFixed(4),
      '0.4100',
    ]);
    const after = input.calibration!.after;
    expect(cells('Change \\(after − before\\)')[3]).toBe((after['S/Y']! - before['S/Y']!).toFixed(2));
    // The methods table has no NLL/ECE/Brier columns since no method reports them.
    const methods = html.slice(html.indexOf('<section id="methods">'), html.indexOf('<section id="plots">'));
    expect(methods).not.toContain('>NLL<');
    expect(cells('pcv')).toEqual(['1.250', '—', '—', '80.12', '—', '—', '—']);
  });

  it('states its conventions and its provenance', () => {
    const html = renderReportHtml(syntheticReport());
    for (const s of [
      '15 equal-width',
      '(lo, hi]',
      'torchmetrics',
      'Trapezoids along that exact path',
      'lowest class index',
    ]) {
      expect(html).toContain(s);
    }
    expect(html).toContain('Generated 2025-03-01T12:00:00Z on llvmpipe');
    expect(html).toContain('<dt>logits</dt><dd>val_logits.npy (600×100, f32)</dd>');
  });
});

describe('writing reports', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'ftcal-report-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the page and the plots whole, leaving no temp files', async () => {
    const dir = await tempDir();
    const input = syntheticReport();
    await writeReport(join(dir, 'report.html'), input);
    await writeReport(join(dir, 'report.html'), input);
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toBe(renderReportHtml(input));
    const written = await writeReportPlots(dir, input);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual([
      'gamma-curve.svg',
      'reliability.svg',
      'logit-gap.svg',
    ]);
    for (const [i, path] of written.entries()) {
      const text = await readFile(path, 'utf8');
      expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
      expect(text.trim().slice(39)).toBe(reportPlots(input)[i]!.svg);
      parseXml(text);
    }
    expect((await readdir(dir)).sort()).toEqual([
      'gamma-curve.svg',
      'logit-gap.svg',
      'reliability.svg',
      'report.html',
    ]);
  });

  it('reports a missing directory as an input error naming the file', async () => {
    const dir = await tempDir();
    const target = join(dir, 'no-such-dir', 'report.html');
    const err = await writeReport(target, syntheticReport(50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(target);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes only the plots it has data for', () => {
    const { curve, reliability, logitGap, ...rest } = syntheticReport(50);
    expect(reportPlots({ ...rest, curve }).map((p) => p.file)).toEqual(['gamma-curve.svg']);
    expect(reportPlots({ ...rest, reliability: [] })).toEqual([]);
    expect(reliability && logitGap).toBeTruthy();
  });
});
