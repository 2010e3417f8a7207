import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Files the bench runs beside itself, found the same way from its sources (vitest, src/paths.ts) and
 * from its bundle (dist/bench.mjs): the first candidate, relative to this module, that exists.
 */
function beside(...candidates: string[]): string | null {
  for (const rel of candidates) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/** The built CLI (packages/cli/dist/ftcal.mjs); null until `pnpm --filter @ftcal/cli... build`. */
export const cliPath = (): string | null => beside('../../cli/dist/ftcal.mjs');

/**
 * A Python peer script of src/peers: beside the sources or the dist bundle, or right beside a bundle that
 * travels alone (scripts/gpu-run.sh copies the scripts next to .gpu-kit/app/bench.mjs).
 */
export const peerScript = (name: string): string | null =>
  beside(`./peers/${name}`, `../src/peers/${name}`, `./${name}`);
