// One bundling recipe: .wgsl as text; the native webgpu addon and the mnist digits (21 MB) stay external.
import { build } from 'esbuild';

const [entry, outfile, banner] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: node tools/esbuild.mjs <entry.ts> <out.mjs> [shebang]');
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['webgpu', 'mnist'],
  loader: { '.wgsl': 'text' },
  banner: {
    js: `${banner === 'bin' ? '#!/usr/bin/env node\n' : ''}import { createRequire as __ftcalCreateRequire } from 'node:module'; const require = __ftcalCreateRequire(import.meta.url);`,
  },
  logLevel: 'warning',
});
