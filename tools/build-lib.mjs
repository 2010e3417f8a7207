// Builds a library package (kernels, core) the way npm users get it: ESM bundles by esbuild, with .wgsl
// inlined as text, .wat assembled and inlined (tools/wat.mjs), and the package's own dependencies left as
// imports, and .d.ts files by tsc (tsconfig.build.json) whose relative imports are rewritten from .ts to .js, as a consumer's TypeScript
// resolves them (it maps ./x.js to ./x.d.ts). Run from the package directory:
//   node ../../tools/build-lib.mjs [--bundles-only] <platform> <entry.ts> <out.js> [<platform> <entry.ts> <out.js> …]
// where platform is node, browser or neutral, or worker: a Node worker program with everything it imports
// bundled in, so that a copy beside any application bundle runs (tools/esbuild.mjs ships core's CPU
// worker that way). A browser build fails if anything imports a node: built-in.
// --bundles-only rebuilds just those bundles, leaving the rest of dist (core's vitest setup uses it for
// the CPU worker). Imports of #platform resolve through package.json "imports" with the bundle's condition.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { watEsbuild } from './wat.mjs';

const bundlesOnly = process.argv[2] === '--bundles-only';
const args = process.argv.slice(bundlesOnly ? 3 : 2);
if (args.length === 0 || args.length % 3 !== 0) {
  console.error(
    'usage: node tools/build-lib.mjs [--bundles-only] <node|browser|neutral|worker> <entry.ts> <out.js> […]',
  );
  process.exit(2);
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
// A dependency and its subpaths stay imports: the consumer's resolver picks their node/browser builds.
const external = deps.flatMap((d) => [d, `${d}/*`]);

if (!bundlesOnly) {
  rmSync('dist', { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const types = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (types.status !== 0) process.exit(types.status ?? 1);
  rewriteDeclarationImports('dist/types');
}

const TARGETS = { node: 'node20', browser: 'es2022', neutral: 'es2022', worker: 'node20' };
for (let i = 0; i < args.length; i += 3) {
  const [platform, entry, outfile] = args.slice(i, i + 3);
  if (!(platform in TARGETS)) {
    console.error(`build-lib: unknown platform '${platform}' (node, browser, neutral or worker)`);
    process.exit(2);
  }
  // esbuild has printed what failed (a browser build that meets a node: built-in, say); exit without a stack.
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: platform === 'worker' ? 'node' : platform,
    format: 'esm',
    target: TARGETS[platform],
    sourcemap: 'linked',
    external: platform === 'worker' ? [] : external,
    loader: { '.wgsl': 'text' },
    plugins: [watEsbuild()],
    logLevel: 'warning',
  }).catch(() => process.exit(1));
}

/** `from './x.ts'` → `from './x.js'` (and `import('./x.ts')`) in every emitted declaration file. */
function rewriteDeclarationImports(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
    if (out !== text) writeFileSync(path, out);
  }
}
