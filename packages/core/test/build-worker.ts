import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest globalSetup: the CPU pool's workers run dist/cpu-worker.js (Node cannot start a worker from a
 * .ts file), so the tests build it from the current source first, as the package build does.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const args = [
    '../../tools/build-lib.mjs',
    '--bundles-only',
    'worker',
    'src/platform/node/cpu-worker.ts',
    'dist/cpu-worker.js',
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the CPU worker failed:\n${r.stderr}${r.stdout}`);
}
