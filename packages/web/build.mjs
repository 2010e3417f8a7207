// Builds the page as ONE self-contained file, dist/index.html: the script (src/main.ts with @ftcal/core's
// browser build, bundled by esbuild as a classic script, which file:// pages may run where module scripts
// may not) and the style sheet are inlined into src/index.html. Its Content-Security-Policy allows that
// script by its SHA-256 and nothing else: no connections, no other origins, no forms. So the page runs
// opened from disk, from `ftcal web`, or from any static host, and cannot send the user's data anywhere.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  write: false,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  // Core's sources carry .wgsl shaders inlined as text; its dist has them inlined already.
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
}).catch(() => process.exit(1));

const script = result.outputFiles[0].text;
// esbuild escapes `</script` in its output for inline use; check rather than trust.
if (/<\/script/i.test(script)) {
  console.error('build: the bundle contains "</script" and cannot be inlined');
  process.exit(1);
}
const style = readFileSync('src/style.css', 'utf8');
const hash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${hash(script)}`,
  // The inline sheet, and style attributes in the SVG plots. (A hash here would switch 'unsafe-inline' off.)
  "style-src 'unsafe-inline'",
  'img-src data: blob:',
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
].join('; ');

const template = readFileSync('src/index.html', 'utf8');
const parts = { CSP: csp, STYLE: style, SCRIPT: script };
// Placeholders a linter can parse: __CSP__ in the meta tag, /*__STYLE__*/ and /*__SCRIPT__*/ in their elements.
const html = template.replace(/\/\*__(STYLE|SCRIPT)__\*\/|__(CSP)__/g, (_, a, b) => parts[a ?? b]);
for (const key of Object.keys(parts)) {
  if (!template.includes(`__${key}__`)) {
    console.error(`build: src/index.html has no __${key}__ placeholder`);
    process.exit(1);
  }
}
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
writeFileSync('dist/index.html', html);
