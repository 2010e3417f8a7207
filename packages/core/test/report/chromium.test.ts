import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeXml } from '../../src/report/escape.ts';
import { writeReport } from '../../src/report/write.ts';
import { syntheticReport } from './fixture.ts';

/**
 * Opens the generated report in real headless Chromium (Debian's package, which the CI setup installs)
 * and checks what a reader would see: every plot laid out with a non-zero box, no console errors, no
 * network requests, nothing a hostile file name could run. A screenshot goes to a temp directory;
 * FTCAL_KEEP_SCREENSHOT=1 keeps it for a look.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';
if (!available && !mustRun) {
  console.warn(
    `[report] Chromium test skipped: ${CHROMIUM} is missing (install Debian's chromium; CI requires it)`,
  );
}

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!available && !mustRun)('report in headless Chromium', () => {
  let dir = '';
  let context: BrowserContext;

  beforeAll(async () => {
    if (!available) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium package`);
    dir = await mkdtemp(join(tmpdir(), 'ftcal-chromium-'));
    // A fresh profile every run: nothing cached or remembered from an earlier page.
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1100, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    if (dir && process.env.FTCAL_KEEP_SCREENSHOT !== '1') await rm(dir, { recursive: true, force: true });
  });

  async function open(file: string) {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, problems, requests };
  }

  it('renders all three plots with no console errors and no requests', async () => {
    const file = join(dir, 'report.html');
    await writeReport(file, syntheticReport());
    const { page, problems, requests } = await open(file);
    for (const id of ['plot-gamma-curve', 'plot-reliability', 'plot-logit-gap']) {
      const box = await page.locator(`svg#${id}`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(200);
    }
    for (const selector of [
      'path.curve',
      'path.ausuc-area',
      'path.overall-curve',
      'rect.bar-accuracy',
      'rect.bar',
    ]) {
      const box = await page.locator(selector).first().boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.width * box!.height, selector).toBeGreaterThan(0);
    }
    expect(await page.locator('rect.bar-accuracy').count()).toBeGreaterThan(15);
    // Text really laid out, not just present in the DOM.
    const title = await page.locator('svg#plot-gamma-curve text.title').boundingBox();
    expect(title!.width).toBeGreaterThan(100);
    expect(await page.locator('table').count()).toBe(2);
    expect(await page.title()).toBe('ftcal calibration report');
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000);
    console.info(`[report] screenshot: ${shot}`);
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.close();
  });

  it('shows hostile names as text and runs nothing', async () => {
    const evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const file = join(dir, `evil ${process.pid}.html`);
    const input = syntheticReport(100);
    await writeReport(file, {
      ...input,
      evaluated: [['logits', evil]],
      classes: { seen: [evil], absent: ['b'] },
      curve: { ...input.curve!, marks: [{ label: evil, gamma: 0, seen: 50, unseen: 50 }] },
    });
    const { page, problems, requests } = await open(file);
    expect(await page.locator('script, img, iframe').count()).toBe(0);
    expect(await page.locator('dl.evaluated dd').first().textContent()).toBe(evil);
    expect(await page.locator('svg#plot-gamma-curve text.mark-label').first().textContent()).toBe(evil);
    expect(await page.content()).toContain(escapeXml('<script>alert(2)</script>'));
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.close();
  });
});
