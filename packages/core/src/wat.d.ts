// `.wat` files are imported as their assembled binary (tools/wat.mjs: esbuild's plugin in bundles, a vite
// transform in vitest): `bytes` as written, `unsharedBytes` with a shared memory import made ordinary.
declare module '*.wat' {
  export const bytes: Uint8Array;
  export const unsharedBytes: Uint8Array | null;
}
