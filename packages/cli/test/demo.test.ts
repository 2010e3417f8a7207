import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, ftcal } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ftcal-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROW_NAMES = [
  'pre-trained',
  'fine-tuned',
  'fine-tuned + γ (alg)',
  'fine-tuned + γ (pcv)',
  'fine-tuned + γ (hmean)',
  'fine-tuned + γ (oracle)',
];

describe('ftcal demo (built binary, --quick, CPU backend)', () => {
  // One run serves the JSON checks; a second, in text mode, the table checks. Both are short (--quick).
  const out = join(dir, 'json-run');
  let json: CliResult;
  beforeAll(() => {
    json = ftcal(['demo', '--quick', '--device', 'cpu', '--seed', '3', '--json', '--out', out]);
  }, 300_000);

  it('prints exactly one JSON document on stdout and writes results.json and report.html', () => {
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.seed).toBe(3);
    expect(doc.quick).toBe(true);
    expect(doc.backend).toMatch(/^cpu/);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.rows).toEqual(doc.rows);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).toContain('fine-tuned + γ (alg)');
  });

  it('reports every row with the paper’s columns, and training lowered each loss', () => {
    const doc = JSON.parse(json.stdout);
    expect(doc.rows.map((r: { name: string }) => r.name)).toEqual(ROW_NAMES);
    for (const row of doc.rows) {
      for (const key of ['Y/Y', 'S/Y', 'U/Y']) {
        expect(row.accuracy[key]).toBeGreaterThanOrEqual(0);
        expect(row.accuracy[key]).toBeLessThanOrEqual(100);
      }
      expect(row.ausuc).toBeGreaterThan(0);
      expect(row.ausuc).toBeLessThanOrEqual(1);
      expect(row.ncm['U/Y']).toBeGreaterThanOrEqual(0);
    }
    const runs = [doc.losses.pretrain, doc.losses.finetune, ...doc.losses.pcvFolds];
    expect(runs.length).toBe(4);
    for (const losses of runs) {
      expect(losses.length).toBeGreaterThanOrEqual(2);
      expect(losses.at(-1)).toBeLessThan(losses[0]);
    }
    // The verdict is computed from the rows: it must agree with them.
    const [pre, fine] = doc.rows;
    expect(doc.verdict.collapsed).toBe(fine.accuracy['U/Y'] < pre.accuracy['U/Y'] / 2);
    expect(doc.verdict.sentences.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(doc.methods).sort()).toEqual(['alg', 'hmean', 'oracle', 'pcv']);
    const oracle = doc.rows[5];
    // The oracle is the best overall accuracy on the test curve: no other γ row beats it.
    for (const row of doc.rows.slice(1))
      expect(row.accuracy['Y/Y']).toBeLessThanOrEqual(oracle.accuracy['Y/Y']);
  });

  it('prints the table, the verdict in words and progress on stderr in text mode', () => {
    // FTCAL_PROGRESS=always: a fast machine finishes each --quick stage within the bar's first second.
    const r = ftcal(['demo', '--quick', '--device', 'cpu', '--seed', '3', '--out', join(dir, 'text-run')], {
      FTCAL_PROGRESS: 'always',
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => /^\s+γ\s+Y\/Y\s+S\/Y\s+U\/Y\s+AUSUC\s+NCM U\/Y$/.test(l));
    expect(header, r.stdout).toBeDefined();
    for (const name of ROW_NAMES) {
      const escaped = name.replace(/[()+]/g, '\\$&');
      expect(r.stdout).toMatch(
        new RegExp(`^${escaped}\\s+(-|-?\\d+\\.\\d\\d)(\\s+\\d+\\.\\d){3}\\s+0\\.\\d{3}\\s+\\d+\\.\\d$`, 'm'),
      );
    }
    expect(r.stdout).toMatch(/^Fine-tuning on S (collapsed|did not collapse) U\/Y/m);
    expect(r.stdout).toMatch(/from alg (\(no absent-class labels\) recovered it|did not recover it)/);
    expect(r.stderr).toMatch(/using the CPU backend/);
    expect(r.stderr).toMatch(/ftcal demo: (pre-training|fine-tuning|evaluating)/);
    // The same seed gives the same numbers as the JSON run.
    const doc = JSON.parse(json.stdout);
    expect(r.stdout).toContain(doc.rows[2].gamma.toFixed(2));
  });

  it('exits 2 with one line for a bad --seed or --device', () => {
    const seed = ftcal(['demo', '--quick', '--seed', 'abc', '--out', join(dir, 'bad')]);
    expect(seed.code).toBe(2);
    expect(seed.stderr.trim().split('\n')).toHaveLength(1);
    expect(seed.stderr).toMatch(/--seed: 'abc' is not a whole number/);
    const device = ftcal(['demo', '--quick', '--device', 'tpu']);
    expect(device.code).toBe(2);
    expect(device.stderr).toMatch(/--device/);
  });
});
