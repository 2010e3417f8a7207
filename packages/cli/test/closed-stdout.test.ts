import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from './run-cli.ts';

const TOY = fileURLToPath(new URL('../../../examples/toy/', import.meta.url));

/** DESIGN.md §4: a closed stdout (`ftcal … | head`) ends the run quietly. */
describe('a closed stdout', () => {
  it('ends quietly: exit 0 and no stack trace', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'evaluate',
        '--logits',
        'logits.npy',
        '--labels',
        'labels.npy',
        '--groups',
        'groups.json',
        '--device',
        'cpu',
      ],
      { cwd: TOY, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The reader goes away before ftcal writes its table, as `head` does once it has its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(code).toBe(0);
  });
});
