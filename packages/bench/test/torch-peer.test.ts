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

/** Debian's python3-torch (CPU only) where it is installed: the script's measurements end to end. */
const cpuTorch = '/usr/bin/python3';
const hasCpuTorch = spawnSync(cpuTorch, ['-c', 'import torch']).status === 0;

describe.skipIf(!hasCpuTorch)('torch_peer.py on torch’s CPU backend (the CUDA path’s twin)', () => {
  it('measures every op, with the curve and the LBFGS fit', async () => {
    const doc = await runTorchPeer(
      {
        device: 'cpu',
        matmul: 64,
        rows: 1000,
        cols: 20,
        curve_rows: 1000,
        curve_cols: 20,
        lbfgs_iters: 5,
        reps: 2,
      },
      cpuTorch,
    );
    expect(doc.available).toBe(true);
    if (!doc.available) return;
    expect(doc.timer).toBe('wall');
    expect(doc.results.map((r) => r.op)).toEqual([
      'matmul-fp32',
      'matmul-tf32',
      'log_softmax',
      'softmax-gamma-T',
      'copy',
      'rowstats',
      'curve',
      'nll-fit-lbfgs',
    ]);
    for (const r of doc.results) {
      expect(r.error).toBeUndefined();
      expect(r.ms).toHaveLength(2);
      expect(r.ms!.every((ms) => ms > 0)).toBe(true);
    }
    const fit = doc.results.find((r) => r.op === 'nll-fit-lbfgs')!;
    expect(Number(fit.temperature)).toBeGreaterThan(0);
    expect(Number.isFinite(Number(fit.nll))).toBe(true);
    const curve = doc.results.find((r) => r.op === 'curve')!;
    expect(Number(curve.ausuc)).toBeGreaterThan(0);
    expect(Number(curve.ausuc)).toBeLessThan(1);
  });
});
