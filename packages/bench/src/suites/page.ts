/// <reference lib="dom" />
// page.evaluate callbacks run in the page: they use its DOM types.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { evaluate, openNpy, readNpyLabels } from '@ftcal/core';
import page from '@ftcal/web/page.html';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../../../tools/chromium.ts';
import { type BenchContext, newCase, timeRun, unavailable } from '../context.ts';
import { pow10 } from '../data.ts';
import type { Case } from '../results.ts';
import { groupsOf, writeSynthetic } from './end-to-end.ts';

type Playwright = typeof import('playwright-core');
type Page = import('playwright-core').Page;

/** The size: 10⁵×10³ f32 logits, 400 MB; quick mode a small one, to prove the suite runs. */
const size = (quick: boolean): [number, number] => (quick ? [10_000, 100] : [100_000, 1000]);

/** The page's two backends: core's CPU path on the page's thread, and navigator.gpu (SwiftShader here). */
const DEVICES = [
  { device: 'cpu', impl: 'page-cpu', label: 'CPU backend (one thread)' },
  { device: 'gpu', impl: 'page-webgpu', label: 'navigator.gpu' },
] as const;

/** Clicks Evaluate and waits for the page to say it is done; returns its own measure of the load. */
async function evaluateInPage(p: Page): Promise<number> {
  await p.evaluate(() => {
    document.querySelector('#status')!.textContent = '';
  });
  await p.click('#evaluate');
  await p.waitForFunction(
    () =>
      !document.querySelector<HTMLElement>('#error')!.hidden ||
      document.querySelector('#status')!.textContent!.startsWith('Evaluated'),
    null,
    { timeout: 0 },
  );
  const error = await p.textContent('#error');
  if (!(await p.locator('#error').isHidden())) throw new Error(`the page said: ${error}`);
  return p.evaluate(() => performance.getEntriesByName('ftcal:evaluate').at(-1)!.duration);
}

/** One γ step as the slider makes it: the table, the curve overlay and the reliability diagram redrawn. */
async function moveGamma(p: Page): Promise<void> {
  await p.evaluate(async () => {
    const s = document.querySelector<HTMLInputElement>('#gamma-slider')!;
    const lo = Number(s.min);
    const hi = Number(s.max);
    s.value = String(lo + Math.random() * (hi - lo));
    s.dispatchEvent(new Event('input'));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/**
 * How long the web page takes to load and evaluate a large .npy (DESIGN.md §6: measured here, never in a
 * test): the page opened from disk in headless Chromium, the file handed to its input as a user picks it,
 * and the clock from the Evaluate click to the results drawn (one streamed statistics pass, the exact
 * curve, the method picks, the first table and plots). Each device runs in a fresh browser, so the first
 * call pays WebGPU's start-up as a user's does. Beside it, core's evaluate() in Node on the same file.
 */
export async function pageSuite(ctx: BenchContext): Promise<Case[]> {
  const [rows, cols] = size(ctx.opts.quick);
  const label = `N=${pow10(rows)} C=${pow10(cols)}`;
  const shape = { rows, cols };
  const load = newCase(ctx, 'page', 'load + evaluate in the page', label, shape, { bytes: rows * cols * 4 });
  const move = newCase(ctx, 'page', 'move γ in the page (table + plots redrawn)', label, shape, { rows });
  for (const c of [load, move]) c.baseline = 'page-cpu';
  ctx.log(`page: ${label} logits (${((rows * cols * 4) / 1e6).toFixed(0)} MB) in headless Chromium`);
  let playwright: Playwright;
  try {
    playwright = await import('playwright-core');
  } catch {
    for (const c of [load, move]) {
      for (const d of DEVICES)
        unavailable(c, d.impl, d.label, 'in-process', 'playwright-core is not installed');
    }
    return [load, move];
  }
  const files = await writeSynthetic(ctx.tmp, rows, cols);
  const groups = groupsOf(cols);
  const groupsFile = path.join(ctx.tmp, `page-${rows}x${cols}-groups.json`);
  await writeFile(groupsFile, JSON.stringify({ seen: groups.seen, absent: groups.absent }));
  const pageFile = path.join(ctx.tmp, 'ftcal-page.html');
  await writeFile(pageFile, page);

  for (const d of DEVICES) {
    const profile = await mkdtemp(path.join(ctx.tmp, 'chromium-'));
    const browser = await playwright.chromium
      .launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
      .catch((e: Error) => e);
    if (browser instanceof Error) {
      for (const c of [load, move])
        unavailable(c, d.impl, d.label, 'in-process', browser.message.split('\n')[0]!);
      await rm(profile, { recursive: true, force: true });
      continue;
    }
    try {
      const p = await browser.newPage();
      await p.goto(pathToFileURL(pageFile).href);
      await p.setInputFiles('#logits-file', files.logits);
      await p.setInputFiles('#labels-file', files.labels);
      await p.setInputFiles('#groups-file', groupsFile);
      await p.selectOption('#device', d.device);
      const meta = { impl: d.impl, device: '', mode: 'in-process' as const };
      let inPage = 0;
      const r = await timeRun(
        ctx,
        load,
        meta,
        async () => {
          inPage = await evaluateInPage(p);
        },
        { heavy: true, warmup: 0 },
      );
      const line = (await p.textContent('#device-line')) ?? '';
      r.device = `headless Chromium: ${line.replace(/^using /, '')}`;
      if (r.status === 'ok') {
        r.check = `${r.device}; ${(await p.textContent('#status'))!.trim()} (the page's own clock: ${(inPage / 1000).toFixed(2)} s)`;
        const m = await timeRun(ctx, move, { ...meta, device: r.device }, () => moveGamma(p), {});
        m.note = 'includes waiting for two animation frames (about 17–33 ms at 60 Hz)';
      }
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  }

  const node = { impl: 'node-evaluate', device: ctx.mainDevice, mode: 'round-trip' as const };
  const nodeRun = await timeRun(
    ctx,
    load,
    node,
    async () => {
      const labels = await readNpyLabels(files.labels);
      const logits = await openNpy(files.logits);
      try {
        return await evaluate(ctx.main, { logits, labels, groups });
      } finally {
        await logits.close();
      }
    },
    { heavy: true, warmup: 0 },
  );
  nodeRun.note =
    `core’s evaluate() in Node (what \`ftcal evaluate\` runs) on ${ctx.main.name}: the same one read of ` +
    'the logits, plus the logit moments for its diagnostics, less the page’s method picks and drawing';
  return [load, move];
}
