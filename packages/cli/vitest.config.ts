import { defineConfig } from 'vitest/config';

// The tests call @ftcal/core directly (its built dist, as the binary bundles it) to check the binary's
// numbers against the library.
export default defineConfig({
  test: { name: 'cli', include: ['test/**/*.test.ts'], testTimeout: 120_000, fileParallelism: false },
});
