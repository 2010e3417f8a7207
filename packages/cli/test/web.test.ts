import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { expectInputError } from './expect-cli.ts';
import { scratch } from './files.ts';
import { ftcal } from './run-cli.ts';
import { startWeb } from './web-server.ts';

/** A raw request, so the Host header can be anything (fetch does not let a caller set it). */
function get(url: string, options: { method?: string; host?: string } = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const u = new URL(url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: options.method ?? 'GET',
          headers: options.host ? { host: options.host } : {},
        },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

describe('ftcal web (built binary)', () => {
  const s = scratch('ftcal-web-test-');
  afterAll(() => s.remove());

  it('--save writes the page: one self-contained HTML file whose policy allows no connection', () => {
    const out = s.path('page.html');
    const r = ftcal(['web', '--save', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${out}: open it in a WebGPU browser (from disk is fine)\n`);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    // Nothing to fetch: no external script, style sheet, image or font.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
  });

  it('--save refuses a directory and an existing non-file, before writing anything', () => {
    expectInputError(ftcal(['web', '--save', s.dir]), s.dir, /is a directory/);
    const r = ftcal(['web', '--save', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a regular file/);
  });

  it('serves the page on 127.0.0.1, prints its URL, answers nothing else, and stops on Ctrl-C', async () => {
    const server = await startWeb();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await expect
        .poll(server.stderr)
        .toMatch(/^ftcal web: serving the page on 127\.0\.0\.1:\d+ only; Ctrl-C stops it\n$/);
      const saved = s.path('served-check.html');
      ftcal(['web', '--save', saved]);
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(await page.text()).toBe(readFileSync(saved, 'utf8'));
      expect((await fetch(`${server.url}index.html`)).status).toBe(200);
      expect((await fetch(`${server.url}favicon.ico`)).status).toBe(204);
      expect((await fetch(`${server.url}../etc/passwd`)).status).toBe(404);
      expect((await get(`${server.url}x/../../package.json`)).status).toBe(404);
      expect((await get(server.url, { method: 'POST' })).status).toBe(405);
      // A page elsewhere reaching 127.0.0.1 through a rebound DNS name sends its own Host: refused.
      expect((await get(server.url, { host: 'attacker.example:80' })).status).toBe(421);
    } finally {
      expect(await server.stop('SIGINT')).toBe(0);
    }
  });

  it('ends with exit 0 on SIGTERM too', async () => {
    const server = await startWeb();
    expect((await fetch(server.url)).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('a port in use, or out of range, is one line and exit 2', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = ftcal(['web', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `ftcal: --port: 127.0.0.1:${port} is in use; pass another --port, or --port 0 for any free port\n`,
      );
    } finally {
      blocker.close();
    }
    const bad = ftcal(['web', '--port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "ftcal: --port: '70000' is not a port number in [0, 65535]; pass one, e.g. --port 8173\n",
    );
  });
});
