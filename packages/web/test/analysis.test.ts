import { readFileSync } from 'node:fs';
import {
  CpuBackend,
  calibrate,
  makeGroups,
  openArray,
  readGroupsFile,
  readLabels,
  renderError,
} from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis, type PageInputs } from '../src/analysis.ts';
import { pageReport } from '../src/report.ts';
import { pageWording } from '../src/wording.ts';

/**
 * The page's engine without the page: Analysis runs in Node on core's Node build, with the toy files as
 * Files (as a browser hands them over), and must pick what core's calibrate picks. The browser test
 * (packages/cli/test/web-page.test.ts) checks the page itself against the CLI.
 */
const toy = (name: string) => new URL(`../../../examples/toy/${name}`, import.meta.url).pathname;
const file = (name: string) => new File([readFileSync(toy(name))], name);

function inputs(overrides: Partial<PageInputs> = {}): PageInputs {
  return {
    logits: { file: file('logits.npy') },
    labels: { file: file('labels.npy') },
    groups: file('groups.json'),
    fit: { logits: { file: file('fit-logits.npy') }, labels: { file: file('fit-labels.npy') } },
    device: 'cpu',
    bins: 15,
    maxSeenDrop: 1,
    nanPolicy: 'error',
    allowOtherLabels: false,
    inputKind: 'logits',
    ...overrides,
  };
}

const hooks = { progress: () => {}, device: () => {} };

describe('Analysis (the page’s engine) on examples/toy', () => {
  let analysis: Analysis;
  let reference: Awaited<ReturnType<typeof calibrate>>;

  beforeAll(async () => {
    const lines: string[] = [];
    analysis = await Analysis.load(inputs(), { ...hooks, device: (l) => lines.push(l) });
    expect(lines).toEqual(['using the CPU backend (asked for with Device “CPU”)']);
    const backend = new CpuBackend();
    const logits = await openArray(toy('logits.npy'));
    const fit = await openArray(toy('fit-logits.npy'));
    const lists = await readGroupsFile(toy('groups.json'), { numClasses: logits.cols });
    reference = await calibrate(backend, {
      logits,
      labels: await readLabels(toy('labels.npy')),
      groups: makeGroups(logits.cols, lists.seen, lists.absent ?? undefined),
      train: { logits: fit, labels: await readLabels(toy('fit-labels.npy')) },
      methods: ['alg', 'oracle', 'hmean', 'constrained', 'nll'],
    });
    await logits.close();
    await fit.close();
  });
  afterAll(() => analysis?.dispose());

  it('picks every method’s (γ, T) as core’s calibrate does', async () => {
    expect(analysis.methods.get('nll')).toEqual({ status: 'on-demand' });
    await analysis.fitNll(hooks);
    for (const row of reference.methods) {
      const state = analysis.methods.get(row.method as 'alg')!;
      expect(state.status, row.method).toBe('picked');
      if (state.status !== 'picked') continue;
      expect(state.result.gamma, row.method).toBe(row.gamma);
      expect(state.result.temperature, row.method).toBe(row.temperature);
      // Both take every number from the per-row statistics: the same table, bit for bit.
      expect(analysis.tableOf(analysis.at(state.result)), row.method).toEqual(row.table);
    }
  });

  it('writes the calibrator calibrate writes for the chosen point, fingerprints included', async () => {
    const oracle = reference.methods.find((r) => r.method === 'oracle')!;
    const mine = await analysis.calibrator({ method: 'oracle', gamma: oracle.gamma, temperature: 1 });
    const { created: _a, ...theirs } = reference.calibrator.provenance;
    expect({ ...mine, provenance: { ...mine.provenance, created: undefined } }).toMatchObject({
      ...reference.calibrator,
      method: 'oracle',
      gamma: oracle.gamma,
      temperature: 1,
      provenance: {
        ...theirs,
        fingerprints: theirs.fingerprints.map((f) => ({ ...f, source: expect.stringMatching(/\.npy$/) })),
      },
    });
  });

  it('renders the report with every picked method, the curve and the current point', () => {
    const html = pageReport(analysis, { method: 'manual', gamma: 3.25, temperature: 1 }, new Date(0));
    expect(html).toContain('<title>ftcal calibration report: logits.npy</title>');
    expect(html).toContain('Calibration: γ set by hand');
    for (const m of ['alg', 'oracle', 'hmean', 'constrained', 'nll'])
      expect(html).toContain(`<th scope="row">${m}</th>`);
    for (const id of ['plot-gamma-curve', 'plot-reliability', 'plot-logit-gap'])
      expect(html).toContain(`id="${id}"`);
  });

  it('says why a method cannot run instead of failing the whole load', async () => {
    const a = await Analysis.load(inputs({ fit: undefined, maxSeenDrop: 1 }), hooks);
    expect(a.methods.get('alg')).toEqual({
      status: 'unavailable',
      reason: 'alg needs fitting data: add its logits and labels',
    });
    await a.dispose();
  });
});

describe('Analysis refuses bad options with the page’s wording', () => {
  it('a δ or a bin count out of range is one line naming its field', async () => {
    await expect(Analysis.load(inputs({ maxSeenDrop: -1 }), hooks)).rejects.toThrow(
      /δ of constrained \(points\) = -1 is not a number of percentage points in \[0, 100\]/,
    );
    const e = await Analysis.load(inputs({ bins: Number.NaN }), hooks).catch((x: unknown) => x);
    expect(renderError(e, pageWording)).toBe(
      'the number of ECE bins = NaN is not a whole number of bins in [1, 10000]; pass a whole number of bins in [1, 10000] as “ECE bins”',
    );
  });
});

describe('Analysis and probabilities (DESIGN §1.2 input kind)', () => {
  /** The toy logits' softmax, as a user who saved probabilities would hand them over. */
  async function probsFile(): Promise<File> {
    const src = await openArray(toy('logits.npy'));
    const z = await src.readRows(0, src.rows);
    const { rows, cols } = src;
    await src.close();
    const p = new Float32Array(z.length);
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * cols, (r + 1) * cols);
      const m = Math.max(...row);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(row[c]! - m);
      for (let c = 0; c < cols; c++) p[r * cols + c] = Math.exp(row[c]! - m) / sum;
    }
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
    const padded = `${header.padEnd(128 - 10 - 1, ' ')}\n`;
    const head = new Uint8Array(10 + padded.length);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
    head.set(new TextEncoder().encode(padded), 10);
    return new File([head, new Uint8Array(p.buffer)], 'probs.npy');
  }

  it('refuses probabilities given as logits in one line naming the file and the page’s box', async () => {
    const e = await Analysis.load(
      inputs({ logits: { file: await probsFile() }, fit: undefined }),
      hooks,
    ).catch((x: unknown) => x);
    expect(renderError(e, pageWording)).toMatch(
      /^probs\.npy: these are probabilities, not logits .*; pass the logits before softmax, or “The scores are probabilities” to use log\(p\) as logits$/,
    );
  });

  it('with the box ticked, takes log p as the logits: the same argmax, so the same accuracies', async () => {
    const fromLogits = await Analysis.load(inputs({ fit: undefined }), hooks);
    const fromProbs = await Analysis.load(
      inputs({ logits: { file: await probsFile() }, fit: undefined, inputKind: 'probs' }),
      hooks,
    );
    const at0 = (a: Analysis) => a.at({ gamma: 0, temperature: 1 }).table;
    for (const k of ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U'] as const)
      expect(at0(fromProbs)[k]).toBe(at0(fromLogits)[k]);
    await fromLogits.dispose();
    await fromProbs.dispose();
  });
});

describe('Analysis with class names', () => {
  it('reads groups given by name, and the report lists the classes by name', async () => {
    const names = readFileSync(toy('class-names.txt'), 'utf8').trim().split('\n');
    const groups = new File([JSON.stringify({ seen: names.slice(0, 5) })], 'named-groups.json');
    const a = await Analysis.load(
      inputs({ groups, classNames: file('class-names.txt'), fit: undefined }),
      hooks,
    );
    expect(a.groups.seen).toEqual([0, 1, 2, 3, 4]);
    expect(a.groups.absent).toEqual([5, 6, 7, 8, 9]);
    const html = pageReport(a, { method: 'manual', gamma: 0, temperature: 1 });
    expect(html).toContain(`<strong>S (seen)</strong>, 5 classes: ${names.slice(0, 5).join(', ')}`);
    await a.dispose();
  });
});
