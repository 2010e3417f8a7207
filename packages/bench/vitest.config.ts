import { defineConfig } from 'vitest/config';
import { wgslText } from '../../tools/wgsl-plugin.ts';

export default defineConfig({
  // Tests that import @ftcal/core pull in its kernels' WGSL sources as text.
  plugins: [wgslText()],
  test: { name: 'bench', include: ['test/**/*.test.ts'], testTimeout: 180_000, fileParallelism: false },
});
