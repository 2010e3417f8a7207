// `.wgsl` files are imported as their source text: esbuild's text loader in bundles, tools/wgsl-plugin.ts in vitest.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
