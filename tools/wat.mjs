// WebAssembly text (.wat) files become modules of their binary, assembled by wabt at build time: esbuild's
// plugin (watEsbuild, in tools/build-lib.mjs) for bundles, a vite transform (watVite) for vitest. Such a
// module exports `bytes` (the module as written) and `unsharedBytes`: when the module imports a shared
// memory, the same module importing an ordinary one (a browser page that is not cross-origin isolated has
// no SharedArrayBuffer), else null. Both are inlined as base64, so every bundle carries its .wasm.
import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';

const FEATURES = { simd: true, threads: true };
const SHARED_MEMORY = /\(memory (\d+) (\d+) shared\)/;

let wabt;

async function assemble(file, text) {
  wabt ??= await wabtInit();
  const module = wabt.parseWat(file, text, FEATURES);
  try {
    module.validate(FEATURES);
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The JS module that a .wat file stands for. */
export async function watModule(file, text) {
  const bytes = await assemble(file, text);
  const unshared = SHARED_MEMORY.test(text)
    ? await assemble(file, text.replace(SHARED_MEMORY, '(memory $1 $2)'))
    : null;
  const literal = (b) => (b ? `decode(${JSON.stringify(b.toString('base64'))})` : 'null');
  return [
    'const decode = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));',
    `export const bytes = ${literal(bytes)};`,
    `export const unsharedBytes = ${literal(unshared)};`,
  ].join('\n');
}

export function watEsbuild() {
  return {
    name: 'ftcal-wat',
    setup(build) {
      build.onLoad({ filter: /\.wat$/ }, async (args) => ({
        contents: await watModule(args.path, await readFile(args.path, 'utf8')),
        loader: 'js',
      }));
    },
  };
}

export function watVite() {
  return {
    name: 'ftcal-wat',
    enforce: 'pre',
    async transform(code, id) {
      if (!id.endsWith('.wat')) return null;
      return { code: await watModule(id, code), map: null };
    },
  };
}
