import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.ts';
import { platform as browser } from '../src/platform/browser.ts';
import { platform as node } from '../src/platform/node.ts';
import { rng } from './gpu-harness.ts';

/**
 * The browser platform's own implementations (what the "browser" build bundles) against Node's, run
 * here in Node; the page test (packages/pack-test) runs the whole browser build in Chromium.
 */
describe('the browser platform', () => {
  const next = rng(7);
  const data = Uint8Array.from({ length: 100_003 }, () => Math.floor(next() * 256));
  const pieces = [data.subarray(0, 1), data.subarray(1, 4096), data.subarray(4096)];

  it("computes zlib's CRC-32 and SHA-256 as Node does, in one piece and in several", () => {
    expect(browser.crc32(data, 0)).toBe(crc32(data));
    expect(pieces.reduce((crc, p) => browser.crc32(p, crc), 0)).toBe(crc32(data));
    expect(browser.crc32(new Uint8Array(0), 0)).toBe(0);
    const want = createHash('sha256').update(data).digest('hex');
    for (const p of [browser, node]) {
      const hash = p.sha256();
      for (const piece of pieces) hash.update(piece);
      expect(hash.digest()).toBe(want);
    }
  });

  it('has no paths: opening or writing one is a structured InputError that says what to pass', async () => {
    const open = await browser.openFile('logits.npy', 'logits.npy').catch((e: unknown) => e);
    expect(open).toBeInstanceOf(InputError);
    expect((open as InputError).code).toBe('file-access');
    expect((open as InputError).message).toMatch(
      /^logits\.npy: a path cannot be read in a browser \(paths need Node\); pass the file as a Blob or File/,
    );
    await expect(browser.openAtomicWriter('out.npy')).rejects.toThrow(/^out\.npy: a file cannot be written/);
    expect(await browser.isFile('package.json')).toBe(false);
    expect(browser.scratchFile).toBeNull();
  });

  it('runs the CPU backend on the calling thread and finds WebGPU only on navigator.gpu', async () => {
    expect(browser.startRowPool).toBeNull();
    expect(browser.env('FTCAL_CPU_THREADS')).toBeUndefined();
    await expect(browser.gpu('opengles')).rejects.toThrow(/only in Node/);
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    try {
      Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
      await expect(browser.gpu('default')).rejects.toThrow(/navigator\.gpu is missing/);
      const gpu = {} as GPU;
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
      expect(await browser.gpu('default')).toBe(gpu);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
