/** Loads `.wgsl` files as text modules in vitest, the way esbuild's `--loader:.wgsl=text` does for bundles. */
export function wgslText() {
  return {
    name: 'ftcal-wgsl-text',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      if (!id.endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}
