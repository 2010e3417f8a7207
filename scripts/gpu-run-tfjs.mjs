// Bundles the tfjs peer's two packages for .gpu-kit (scripts/gpu-run.sh): the bench imports them by
// name at run time, so they are not in bench.mjs; the webgpu backend keeps tfjs-core external to share it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const req = createRequire(`${process.cwd()}/packages/bench/package.json`);
const pkgs = [
  ['@tensorflow/tfjs-core', []],
  ['@tensorflow/tfjs-backend-webgpu', ['@tensorflow/tfjs-core', '@tensorflow/tfjs-core/*']],
];
for (const [name, external] of pkgs) {
  const dir = `.gpu-kit/node_modules/${name}`;
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents: `export * from ${JSON.stringify(name)};`, resolveDir: 'packages/bench' },
    outfile: `${dir}/index.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external,
    minify: true,
    banner: {
      js: "import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const { version } = JSON.parse(readFileSync(req.resolve(`${name}/package.json`), 'utf8'));
  const exports = { '.': './index.mjs', './package.json': './package.json' };
  writeFileSync(
    `${dir}/package.json`,
    JSON.stringify({ name, version, type: 'module', main: 'index.mjs', exports }),
  );
}
