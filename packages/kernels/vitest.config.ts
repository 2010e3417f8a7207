import { defineConfig } from 'vitest/config';
import { wgslText } from '../../tools/wgsl-plugin.ts';

export default defineConfig({
  plugins: [wgslText()],
  test: { name: 'kernels', include: ['test/**/*.test.ts'] },
});
