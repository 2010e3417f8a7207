import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One file: packing, installing and a browser are minutes of setup shared by every check.
  test: { name: 'pack-test', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 300_000 },
});
