import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!)));
}

/** The repository's docs stand on their own: every relative link resolves, and the error codes are all there. */
describe('README.md and docs/', () => {
  it('link only to files and headings that exist in the repository', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, hash] = target!.split('#') as [string, string | undefined];
        const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
        if (!file.startsWith(ROOT) || !existsSync(file)) broken.push(`${page}: ${target}`);
        else if (hash && file.endsWith('.md') && !anchorsOf(file).has(hash))
          broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/errors.md lists exactly the error codes of core’s errors.ts', () => {
    const source = readFileSync(join(ROOT, 'packages/core/src/errors.ts'), 'utf8');
    const union = /export type ErrorCode =([\s\S]*?);/.exec(source)![1]!;
    const codes = [...union.matchAll(/\| '([a-z-]+)'/g)].map((m) => m[1]).sort();
    const page = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const start = page.indexOf('### Error codes');
    const table = page.slice(start, page.indexOf('\n#', start + 1));
    const documented = [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(codes.length).toBeGreaterThan(5);
    expect(documented).toEqual(codes);
  });
});
