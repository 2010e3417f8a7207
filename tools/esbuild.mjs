// One bundling recipe for the applications (cli, bench): one ESM file for Node; the native webgpu addon,
// the mnist digits (21 MB) and playwright-core (the bench's page suite) stay external, and .html imports
// (the web page, for `ftcal web`) become text. When the bundle holds @ftcal/core, core's CPU worker
// program (dist/cpu-worker.js, self-contained) is copied beside it: the pool starts its workers from
// `cpu-worker.js` next to the code that holds the pool.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const [entry, outfile, banner] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: node tools/esbuild.mjs <entry.ts> <out.mjs> [shebang]');
  process.exit(2);
}
const result = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['webgpu', 'mnist', 'playwright-core'],
  loader: { '.wgsl': 'text', '.html': 'text' },
  banner: {
    js: `${banner === 'bin' ? '#!/usr/bin/env node\n' : ''}import { createRequire as __ftcalCreateRequire } from 'node:module'; const require = __ftcalCreateRequire(import.meta.url);`,
  },
  metafile: true,
  logLevel: 'warning',
}).catch(() => process.exit(1));

for (const input of Object.keys(result.metafile.inputs)) {
  const dir = dirname(input);
  const manifest = join(dir, '..', 'package.json');
  if (!input.endsWith('/dist/node.js') || !existsSync(manifest)) continue;
  if (JSON.parse(readFileSync(manifest, 'utf8')).name !== '@ftcal/core') continue;
  copyFileSync(join(dir, 'cpu-worker.js'), join(dirname(outfile), 'cpu-worker.js'));
}
