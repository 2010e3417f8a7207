import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/args.ts';
import type { BenchContext } from '../src/context.ts';
import { runTorchPeer } from '../src/peers/torch.ts';
import { torchConfig } from '../src/suites/torch.ts';

const SCRIPT = fileURLToPath(new URL('../src/peers/torch_peer.py', import.meta.url));
const python = process.env.PYTHON ?? 'python3';
const hasPython = !spawnSync(python, ['--version']).error;
const hasTorch = hasPython && spawnSync(python, ['-c', 'import torch']).status === 0;

/** Calls one of the script's torch-free helpers and returns its JSON answer. */
function py(expr: string): unknown {
  const r = spawnSync(
    python,
    [
      '-c',
      `import json, sys; sys.path.insert(0, sys.argv[1]); import torch_peer as t; print(json.dumps(${expr}))`,
      SCRIPT.replace(/torch_peer\.py$/, ''),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe.skipIf(!hasPython)('torch_peer.py without torch', () => {
  it('fills defaults, rejects unknown keys and non-positive sizes', () => {
    expect(py('t.config_from("{\\"rows\\": 8}")')).toMatchObject({ rows: 8, cols: 1024, matmul: 4096 });
    expect(() => py('t.config_from("{\\"rowz\\": 8}")')).toThrow(/unknown config keys: rowz/);
    expect(() => py('t.config_from("{\\"cols\\": 0}")')).toThrow(/cols must be a positive integer/);
  });

  it('defaults to at least 1 GiB of logits for the bandwidth figures', () => {
    expect(py('t.logits_bytes(t.DEFAULTS["rows"], t.DEFAULTS["cols"])')).toBeGreaterThanOrEqual(2 ** 30);
  });

  it('uses the bench synthetic groups: first half seen, the rest absent', () => {
    expect(py('t.groups_for(5)')).toEqual([0, 0, 1, 1, 1]);
  });

  it('exits 2 with one line on a bad config', () => {
    const r = spawnSync(python, [SCRIPT], { input: '{"bogus": 1}', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('torch_peer.py: bad config: unknown config keys: bogus');
  });

  it.skipIf(hasTorch)('reports not available with the reason through the TS wrapper', async () => {
    const doc = await runTorchPeer({ rows: 4 });
    expect(doc).toEqual({ available: false, reason: expect.stringMatching(/cannot import torch/) });
  });
});

describe('torch peer sizes', () => {
  const ctxFor = (argv: string[]) => ({ opts: parseBenchArgs(argv, 'unused.md') }) as BenchContext;

  it('matches the bench largest row case and the 4096³ matmul in a full run', () => {
    expect(torchConfig(ctxFor([]))).toMatchObject({ matmul: 4096, rows: 1_000_000, cols: 1000 });
  });

  it('stays within --max-cells and --max-flops', () => {
    const cfg = torchConfig(ctxFor(['--max-cells', '1e8', '--max-flops', '2e10']));
    expect(cfg.rows! * cfg.cols!).toBeLessThanOrEqual(1e8);
    expect(2 * cfg.matmul! ** 3).toBeLessThanOrEqual(2e10);
  });
});
