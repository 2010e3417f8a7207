/// <reference lib="dom" />
// page.evaluate callbacks run in the page: they use its DOM types.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openArray, readLabels } from '@ftcal/core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '../../../tools/chromium.ts';
import { jsonOf } from './expect-cli.ts';
import { npyMatrix, safetensors, scratch, zipArchive } from './files.ts';
import { ftcal } from './run-cli.ts';
import { startWeb, type WebServer } from './web-server.ts';

/**
 * The web page as a user meets it: served by `ftcal web` and opened from disk (`ftcal web --save`), in
 * headless Chromium with WebGPU on SwiftShader (DEVELOPERS.md), driven through its documented test
 * hooks (packages/web/README.md). Every number it shows is checked against the built CLI's JSON on
 * examples/toy (run on the CPU): accuracies, AUSUC and the curve picks exactly; NLL, ECE and Brier, which
 * both take from the per-row statistics, to 1e-5 relative when the page's statistics come from the GPU
 * (f32 sums) and to 1e-12 when they come from its CPU backend (the page's V8 is not Node's).
 */
const ROOT = new URL('../../../', import.meta.url);
const TOY = new URL('examples/toy/', ROOT).pathname;
const OUTPUT = new URL('packages/web/test-output/', ROOT).pathname;
const METHODS = ['alg', 'oracle', 'hmean', 'constrained', 'nll'] as const;
const ACCURACY = ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H', 'ausuc'] as const;
const GPU_TOLERANCE = 1e-5;
const CPU_TOLERANCE = 1e-12;

type Metrics = Record<string, number>;

const toy = (name: string) => join(TOY, name);
const labelled = [
  '--logits',
  toy('logits.npy'),
  '--labels',
  toy('labels.npy'),
  '--groups',
  toy('groups.json'),
];
const fitting = ['--fit-logits', toy('fit-logits.npy'), '--fit-labels', toy('fit-labels.npy')];

/** The CLI's table at (γ, T) on the CPU: what the page must show there. */
function cliTable(gamma: number, temperature = 1): Metrics {
  const args = ['evaluate', ...labelled, '--gamma', String(gamma), '--temperature', String(temperature)];
  return jsonOf(ftcal([...args, '--device', 'cpu', '--json'])).table;
}

function expectClose(got: number, want: number, tolerance: number, what: string): void {
  const scale = Math.max(1e-12, Math.abs(want));
  if (!(Math.abs(got - want) <= tolerance * scale)) {
    throw new Error(`${what}: page ${got}, CLI ${want} (over ${tolerance} relative)`);
  }
}

/** The page's table equals the CLI's: accuracies and AUSUC exactly, NLL, ECE, MCE and Brier to `tolerance`. */
function expectSameTable(page: Metrics, cli: Metrics, what: string, tolerance = GPU_TOLERANCE): void {
  for (const k of ACCURACY) expect(page[k], `${what}: ${k}`).toBe(cli[k]);
  for (const k of ['nll', 'ece', 'mce', 'brier']) expectClose(page[k]!, cli[k]!, tolerance, `${what}: ${k}`);
}

/** Every `[data-metric]` element's full-precision value. */
async function metrics(page: Page): Promise<Metrics> {
  const pairs = await page.$$eval('[data-metric]', (els) =>
    els.map((e) => [(e as HTMLElement).dataset.metric!, (e as HTMLElement).dataset.value ?? ''] as const),
  );
  return Object.fromEntries(pairs.filter(([, v]) => v !== '').map(([k, v]) => [k, Number(v)]));
}

/** Waits until the page has drawn the operating point (one animation frame after the change). */
async function settled(page: Page): Promise<Metrics> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return metrics(page);
}

async function load(page: Page, device: string, files: Record<string, string>): Promise<void> {
  for (const [field, path] of Object.entries(files)) await page.setInputFiles(`#${field}-file`, path);
  await page.selectOption('#device', device);
  // A fresh start, so the wait below cannot see the previous run's outcome.
  await page.evaluate(() => {
    document.querySelector('#status')!.textContent = '';
    document.querySelector<HTMLElement>('#error')!.hidden = true;
  });
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await page.waitForFunction(
    () =>
      !document.querySelector<HTMLElement>('#error')!.hidden ||
      document.querySelector('#status')!.textContent!.startsWith('Evaluated'),
    null,
    { timeout: 90_000 },
  );
}

const TOY_FILES = {
  logits: toy('logits.npy'),
  labels: toy('labels.npy'),
  groups: toy('groups.json'),
  'fit-logits': toy('fit-logits.npy'),
  'fit-labels': toy('fit-labels.npy'),
};

describe.skipIf(!haveChromium())('the web page in headless Chromium (WebGPU on SwiftShader)', () => {
  const s = scratch('ftcal-web-page-');
  let context: BrowserContext;
  let server: WebServer;
  let cliCalibration: { methods: { method: string; gamma: number; temperature: number }[] };
  const problems: string[] = [];
  const requests: string[] = [];

  async function open(url: string, init?: () => void): Promise<Page> {
    const page = await context.newPage();
    if (init) await page.addInitScript(init);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    return page;
  }

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    server = await startWeb();
    context = await chromium.launchPersistentContext(s.path('profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1200, height: 900 },
    });
    cliCalibration = jsonOf(
      ftcal([
        'calibrate',
        ...labelled,
        ...fitting,
        '--methods',
        METHODS.join(','),
        '--out',
        s.path('cli-all.json'),
        '--device',
        'cpu',
        '--json',
      ]),
    );
  });

  afterAll(async () => {
    await context?.close();
    expect(await server?.stop()).toBe(0);
    s.remove();
  });

  describe('served by ftcal web, computing on navigator.gpu', () => {
    let page: Page;

    it('loads examples/toy on the GPU, says so, and shows the CLI’s table at γ = 0', async () => {
      page = await open(server.url);
      await load(page, 'gpu', TOY_FILES);
      expect(await page.locator('#error').isHidden()).toBe(true);
      expect(await page.textContent('#device-line')).toMatch(
        /^using WebGPU on .*\(software adapter, asked for with Device “GPU \(any WebGPU adapter\)”\)$/,
      );
      const m = await settled(page);
      expect(m.gamma).toBe(0);
      expect(m.temperature).toBe(1);
      expectSameTable(m, cliTable(0), 'γ = 0');
    });

    it('follows the slider, the keyboard and a drag on the plot with the CLI’s table at each γ', async () => {
      const slider = page.locator('input[type=range][data-control="gamma"]');
      const [min, max] = (
        await slider.evaluate((e) => [(e as HTMLInputElement).min, (e as HTMLInputElement).max])
      ).map(Number);
      for (const f of [0.2, 0.55, 0.8]) {
        await slider.fill(String(min! + f * (max! - min!)));
        const m = await settled(page);
        // The slider snaps to its 1000 steps; γ is the slider's value.
        expect(m.gamma).toBe(await slider.evaluate((e) => (e as HTMLInputElement).valueAsNumber));
        expect(Math.abs(m.gamma! - (min! + f * (max! - min!)))).toBeLessThan((max! - min!) / 1000);
        expectSameTable(m, cliTable(m.gamma!), `slider at γ = ${m.gamma}`);
      }
      const before = (await metrics(page)).gamma!;
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      const stepped = await settled(page);
      expect(stepped.gamma).toBeGreaterThan(before);
      // Drag along the overall-accuracy panel: γ follows the pointer.
      const frame = page.locator('#curve-plot g.panel.overall g.axes > rect');
      await frame.scrollIntoViewIfNeeded();
      const box = (await frame.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      const dragged = await settled(page);
      expect(dragged.gamma).not.toBe(stepped.gamma);
      expectSameTable(dragged, cliTable(dragged.gamma!), `dragged to γ = ${dragged.gamma}`);
      await expect.poll(() => page.textContent('#summary')).toContain(`Y/Y ${dragged['Y/Y']!.toFixed(2)} %`);
    });

    it('jumps to each method’s γ; its calibrator, applied by the CLI, gives the CLI calibrator’s output', async () => {
      for (const method of METHODS) {
        const button = page.locator(`button[data-method="${method}"]`);
        await button.click();
        await expect.poll(() => button.getAttribute('aria-pressed'), { timeout: 60_000 }).toBe('true');
        const m = await settled(page);
        const row = cliCalibration.methods.find((r) => r.method === method)!;
        // Curve picks are exact on any backend; alg's and nll's sums are f32 on the GPU.
        const tolerance = method === 'alg' ? 1e-5 : method === 'nll' ? 1e-4 : 0;
        expectClose(m.gamma!, row.gamma, tolerance, `${method}: γ`);
        expectClose(m.temperature!, row.temperature, tolerance, `${method}: T`);
        expectSameTable(m, cliTable(m.gamma!, m.temperature!), `${method} at its γ`);

        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: /Calibrator JSON/ }).click(),
        ]);
        const mine = s.path(`page-${method}.json`);
        await download.saveAs(mine);
        const theirs = s.path(`cli-${method}.json`);
        const r = ftcal(
          ['calibrate', ...labelled, ...fitting, '--methods', METHODS.join(','), '--method', method].concat([
            '--out',
            theirs,
            '--device',
            'cpu',
          ]),
        );
        expect(r.code, r.stderr).toBe(0);
        const a = JSON.parse(readFileSync(mine, 'utf8'));
        const b = JSON.parse(readFileSync(theirs, 'utf8'));
        expect(a.method).toBe(method);
        expect(a.groups).toEqual(b.groups);
        expect(a.provenance.fingerprints.map((f: { sha256: string }) => f.sha256)).toEqual(
          b.provenance.fingerprints.map((f: { sha256: string }) => f.sha256),
        );
        const outputs = [] as Float32Array[];
        for (const [cal, out] of [
          [mine, 'page'],
          [theirs, 'cli'],
        ] as const) {
          const path = s.path(`${method}-${out}.npy`);
          const applied = ftcal([
            'apply',
            '--calibrator',
            cal,
            '--logits',
            toy('logits.npy'),
            '--out',
            path,
            '--device',
            'cpu',
          ]);
          expect(applied.code, applied.stderr).toBe(0);
          const source = await openArray(path);
          outputs.push(await source.readRows(0, source.rows));
          await source.close();
        }
        const [p, c] = outputs as [Float32Array, Float32Array];
        expect(p.length).toBe(c.length);
        let worst = 0;
        for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - c[i]!));
        expect(worst, `${method}: calibrated logits`).toBeLessThanOrEqual(tolerance === 0 ? 0 : 1e-3);
      }
    });

    it('downloads the HTML report of the current point, and keeps to the page: no requests, no errors', async () => {
      await page.locator('button[data-method="oracle"]').click();
      await settled(page);
      await page.screenshot({ path: join(OUTPUT, 'page-served-gpu.png'), fullPage: true });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'HTML report' }).click(),
      ]);
      const report = s.path('report.html');
      await download.saveAs(report);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('<title>ftcal calibration report: logits.npy</title>');
      for (const id of ['plot-gamma-curve', 'plot-reliability', 'plot-logit-gap'])
        expect(html).toContain(`id="${id}"`);
      for (const method of METHODS) expect(html).toContain(`<th scope="row">${method}</th>`);
      expect(requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:'))).toEqual([]);
      expect(problems).toEqual([]);
    });

    it('works from the keyboard: every control labelled, methods reachable by Tab and pressed with Enter', async () => {
      const unlabelled = await page.$$eval('input, select', (els) =>
        els.filter((e) => (e as HTMLInputElement).labels?.length === 0).map((e) => e.id),
      );
      expect(unlabelled).toEqual([]);
      await page.focus('#gamma-number');
      const order: string[] = [];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement!.textContent!.trim()));
      }
      expect(order).toEqual(['γ = 0, T = 1', 'alg', 'oracle', 'hmean']);
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.locator('button[data-method="hmean"]').getAttribute('aria-pressed'))
        .toBe('true');
      expect((await settled(page)).gamma).toBe(
        cliCalibration.methods.find((r) => r.method === 'hmean')!.gamma,
      );
    });
  });

  describe('opened from disk (file://), on the CPU', () => {
    let page: Page;

    beforeAll(async () => {
      const r = ftcal(['web', '--save', s.path('page.html')]);
      expect(r.code, r.stderr).toBe(0);
      page = await open(pathToFileURL(s.path('page.html')).href);
    });

    it('runs from disk on the CPU, saying which it used, with the CLI’s numbers (nll too)', async () => {
      await load(page, 'cpu', TOY_FILES);
      expect(await page.textContent('#device-line')).toBe(
        'using the CPU backend (asked for with Device “CPU”)',
      );
      expectSameTable(await settled(page), cliTable(0), 'γ = 0 on the CPU', CPU_TOLERANCE);
      await page.locator('button[data-method="nll"]').click();
      await expect
        .poll(() => page.locator('button[data-method="nll"]').getAttribute('aria-pressed'), {
          timeout: 60_000,
        })
        .toBe('true');
      const m = await settled(page);
      const row = cliCalibration.methods.find((r) => r.method === 'nll')!;
      expectClose(m.gamma!, row.gamma, 1e-9, 'nll γ on the CPU');
      expectClose(m.temperature!, row.temperature, 1e-9, 'nll T on the CPU');
      expectSameTable(m, cliTable(m.gamma!, m.temperature!), 'nll on the CPU', CPU_TOLERANCE);
      await page.screenshot({ path: join(OUTPUT, 'page-file-cpu.png'), fullPage: true });
    });

    it('takes a file dropped on its field as a picked one', async () => {
      await page.locator('#groups-file').evaluate((input) => {
        const data = new DataTransfer();
        data.items.add(new File(['{"seen": [0, 1, 2, 3, 4]}'], 'dropped-groups.json'));
        input
          .closest('[data-drop]')!
          .dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true }));
      });
      expect(
        await page.locator('#groups-file').evaluate((i) => (i as HTMLInputElement).files![0]!.name),
      ).toBe('dropped-groups.json');
      await load(page, 'cpu', {});
      expectSameTable(await settled(page), cliTable(0), 'groups dropped on the page', CPU_TOLERANCE);
    });

    it('with Auto and only SwiftShader, takes the CPU and says how to get the GPU', async () => {
      await load(page, 'auto', TOY_FILES);
      expect(await page.textContent('#device-line')).toMatch(
        /^using the CPU backend \(only a software adapter was found .*; Device “GPU \(any WebGPU adapter\)” runs on a software adapter if one exists\)$/,
      );
    });

    it('asked for the GPU in a browser without WebGPU, continues on the CPU and says why', async () => {
      const bare = await open(pathToFileURL(s.path('page.html')).href, () => {
        // A browser without WebGPU (an older one, or WebGPU turned off): no navigator.gpu.
        delete (Navigator.prototype as { gpu?: unknown }).gpu;
      });
      await load(bare, 'gpu', TOY_FILES);
      expect(await bare.textContent('#device-line')).toMatch(
        /^using the CPU backend \(no WebGPU adapter found \(.*navigator\.gpu is missing.*\); Device “CPU” runs on the CPU\)$/,
      );
      expectSameTable(await settled(bare), cliTable(0), 'without WebGPU', CPU_TOLERANCE);
      await bare.close();
    });

    it('picks the array inside an .npz and a .safetensors file, the logits and labels ones first', async () => {
      const dir = s.path('archives');
      mkdirSync(dir);
      const features = npyMatrix(new Float32Array(1000 * 3), 1000, 3);
      writeFileSync(
        join(dir, 'model.npz'),
        zipArchive([
          { name: 'features.npy', data: features },
          { name: 'logits.npy', data: readFileSync(toy('logits.npy')), deflate: true },
        ]),
      );
      const labels = await readLabels(toy('labels.npy'));
      writeFileSync(
        join(dir, 'labels.safetensors'),
        safetensors({
          ids: { dtype: 'I32', shape: [4], data: new Uint8Array(16) },
          labels: { dtype: 'I32', shape: [labels.length], data: new Uint8Array(labels.buffer) },
        }),
      );
      await page.setInputFiles('#logits-file', join(dir, 'model.npz'));
      await page.setInputFiles('#labels-file', join(dir, 'labels.safetensors'));
      await expect.poll(() => page.locator('#logits-member').inputValue()).toBe('logits');
      await expect.poll(() => page.locator('#labels-member').inputValue()).toBe('labels');
      expect(await page.locator('#logits-member option').allTextContents()).toEqual(['features', 'logits']);
      await load(page, 'cpu', { groups: toy('groups.json') });
      expectSameTable(await settled(page), cliTable(0), 'from the archives', CPU_TOLERANCE);
    });

    it('gives a bad file the CLI’s one-line message, in the page’s words where an option is named', async () => {
      const dir = s.path('bad');
      mkdirSync(dir);
      for (const f of ['labels.npy', 'groups.json']) copyFileSync(toy(f), join(dir, f));
      // Truncated: the header promises 1000×10 float32 values, the file holds 40 bytes of them.
      const full = readFileSync(toy('logits.npy'));
      writeFileSync(join(dir, 'truncated.npy'), full.subarray(0, 128 + 40));
      const nan = new Float32Array(1000 * 10).fill(0.5);
      nan[3 * 10 + 2] = Number.NaN;
      writeFileSync(join(dir, 'nan.npy'), npyMatrix(nan, 1000, 10));
      // Probabilities saved instead of logits (DESIGN §1.2): refused unless the page's box says so.
      writeFileSync(join(dir, 'probs.npy'), npyMatrix(new Float32Array(1000 * 10).fill(0.1), 1000, 10));
      const cases = [
        { logits: 'truncated.npy', from: [] as string[], to: '' },
        { logits: 'nan.npy', from: ['--nan-policy skip'], to: '“Skip rows with NaN or +Inf logits”' },
        { logits: 'probs.npy', from: ['--input-kind probs'], to: '“The scores are probabilities”' },
      ];
      for (const c of cases) {
        const cli = ftcal(
          [
            'evaluate',
            '--logits',
            c.logits,
            '--labels',
            'labels.npy',
            '--groups',
            'groups.json',
            '--device',
            'cpu',
          ],
          {},
          dir,
        );
        expect(cli.code).toBe(2);
        const line = cli.stderr.split('\n').find((l) => l.startsWith(`ftcal: ${c.logits}`))!;
        let want = line.replace(/^ftcal: /, '');
        for (const flag of c.from) want = want.replace(flag, c.to);
        await load(page, 'cpu', {
          logits: join(dir, c.logits),
          labels: join(dir, 'labels.npy'),
          groups: join(dir, 'groups.json'),
        });
        expect(await page.textContent('#error')).toBe(want);
        expect(await page.getAttribute('#error', 'role')).toBe('alert');
      }
      expect(problems).toEqual([]);
    });
  });
});
