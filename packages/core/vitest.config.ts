import { defineConfig } from 'vitest/config';
import { watVite } from '../../tools/wat.mjs';

export default defineConfig({
  plugins: [watVite()],
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/build-worker.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // llvmpipe runs compute on the CPU cores: one GPU test file at a time keeps it from fighting itself.
    fileParallelism: false,
  },
});
