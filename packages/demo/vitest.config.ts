import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'demo',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // llvmpipe runs compute on the CPU cores: one GPU test file at a time keeps it from fighting itself.
    fileParallelism: false,
  },
});
