import { defineConfig } from 'vitest/config';
import { wgslText } from '../../tools/wgsl-plugin.ts';

// The tests call @ftcal/core directly (to check the binary's numbers against the library), and core's
// sources import .wgsl files as text.
export default defineConfig({
  plugins: [wgslText()],
  test: { name: 'cli', include: ['test/**/*.test.ts'], testTimeout: 120_000, fileParallelism: false },
});
