import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bench.mjs', import.meta.url));

function bench(args: string[]) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build @ftcal/bench first (pnpm build)`);
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 170_000 });
}

const STATUSES = ['ok', 'not available', 'skipped', 'failed'];

describe('pnpm bench --quick (the built bundle, as a user runs it)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ftcal-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs on the CPU backend and prints a well-formed result document', () => {
    const r = bench(['--quick', '--json', '--device', 'cpu', '--out', out]);
    expect(r.stderr).not.toMatch(/bench failed/);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);

    expect(doc).toMatchObject({ schemaVersion: 1, tool: 'ftcal-bench', mode: 'quick' });
    expect(Number.isNaN(Date.parse(doc.date))).toBe(false);
    expect(doc.machine.cores).toBeGreaterThan(0);
    expect(doc.machine.cpu).toEqual(expect.any(String));
    expect(doc.machine.node).toBe(process.version);
    expect(doc.device).toMatchObject({ preference: 'cpu', backend: 'cpu', adapter: null });
    expect(doc.device.timing).toMatch(/wall/);

    const peerNames = doc.peers.map((p: { name: string }) => p.name);
    expect(peerNames).toEqual([
      'ftcal CPU twin',
      'NumPy',
      'tfjs-backend-webgpu',
      'tfjs-backend-wasm (XNNPACK)',
      'onnxruntime-web (MLAS, WebAssembly)',
      'onnxruntime-node (MLAS, native)',
      'PyTorch (CUDA)',
    ]);
    // PyTorch with CUDA exists only on a lent GPU machine: elsewhere it is listed as unavailable, with why.
    const torch = doc.peers.find((p: { name: string }) => p.name === 'PyTorch (CUDA)');
    if (!torch.available) expect(torch.note).toMatch(/torch|CUDA/);
    for (const p of doc.peers) {
      expect(typeof p.available).toBe('boolean');
      expect(p.note.length).toBeGreaterThan(0);
    }

    const ops = new Set(doc.cases.map((c: { op: string }) => c.op));
    for (const op of [
      'matmul square',
      'matmul batched',
      'matmul odd',
      'softmax',
      'row statistics',
      'nll gradient (K=3)',
      'nll gradient pass (K=8), resident',
      'NLL fit of (γ, T)',
      'sort keys',
      'γ curve + AUSUC',
      'evaluate (.npy)',
      'calibrate --method nll (.npy)',
      'demo training step',
      'load + evaluate in the page',
      'move γ in the page (table + plots redrawn)',
      'CPU matmul',
      'ftcal logits (.npy → .npy, end to end)',
      'evaluate end to end (.npy)',
      'stats ×3 shards + evaluate --stats',
      'linear fit: vector',
      'linear fit: matrix',
      'linear fit: dirichlet',
      'linear fit: affine',
      'bootstrap vs the pass it reads',
    ]) {
      expect(ops).toContain(op);
    }
    for (const c of doc.cases) {
      expect([
        'kernels',
        'nll',
        'curve',
        'end-to-end',
        'scale',
        'page',
        'cpu-matmul',
        'linear',
        'bootstrap',
      ]).toContain(c.suite);
      // The page's cases compare its two backends (and Node) with the page on the CPU; `ftcal logits`
      // end to end and the sharded run are the built CLI as a process; everything else the backend in process.
      const cli = c.op.startsWith('ftcal logits') || c.op.startsWith('stats ×3');
      // The bootstrap's replicates are set against the pass whose statistics they resample.
      const baseline = { page: 'page-cpu', bootstrap: 'ftcal-pass' }[c.suite as string];
      expect(c.baseline).toBe(baseline ?? (cli ? 'ftcal-cli' : 'ftcal-cpu'));
      expect(c.runs.length).toBeGreaterThan(0);
      for (const run of c.runs) {
        expect(STATUSES).toContain(run.status);
        expect(run.device.length).toBeGreaterThan(0);
        if (run.status !== 'ok') {
          expect(run.note.length).toBeGreaterThan(0);
          continue;
        }
        const t = run.timing;
        expect(t.reps).toBeGreaterThan(0);
        expect(t.wallMs.min).toBeLessThanOrEqual(t.wallMs.median);
        expect(t.wallMs.median).toBeLessThanOrEqual(t.wallMs.max);
        // The CPU path has no GPU time to report.
        if (run.impl === 'ftcal-cpu') expect(t.gpuMs).toBeNull();
        expect(run.throughput.value).toBeGreaterThan(0);
      }
    }
    // The backend under test ran every kernel case it was not told to skip.
    for (const c of doc.cases.filter((c: { suite: string }) => c.suite === 'kernels')) {
      const ours = c.runs.find((run: { impl: string }) => run.impl === 'ftcal-cpu');
      expect(ours?.status).toBe('ok');
    }

    // Every linear fit of the backend under test converged (DESIGN.md §1.1: it must get there).
    for (const c of doc.cases.filter((c: { suite: string }) => c.suite === 'linear')) {
      const ours = c.runs.find((run: { impl: string }) => run.impl === 'ftcal-cpu');
      expect(ours?.status, c.op).toBe('ok');
      expect(ours.note, c.op).toMatch(/, converged$/);
    }

    // The paper's re-scan and ftcal's exact sweep found the same curve (same points, same AUSUC).
    for (const c of doc.cases.filter((c: { suite: string }) => c.suite === 'curve')) {
      const paper = c.runs.find((run: { impl: string }) => run.impl === 'paper-curve-ts');
      expect(paper.status).toBe('ok');
      const m = /^(\d+) points \(ftcal (\d+)\); AUSUC ([\d.]+) vs ftcal ([\d.]+)/.exec(paper.check);
      expect(m).not.toBeNull();
      expect(m![1]).toBe(m![2]);
      expect(m![3]).toBe(m![4]);
    }

    // The page loaded the synthetic file on both of its backends (where Chromium is installed).
    for (const impl of ['page-cpu', 'page-webgpu']) {
      const load = doc.cases.find((c: { op: string }) => c.op === 'load + evaluate in the page');
      const run = load.runs.find((r: { impl: string }) => r.impl === impl);
      if (run.status === 'not available') continue;
      expect(run.status, run.note).toBe('ok');
      expect(run.check).toMatch(/Evaluated 10000 rows × 100 classes/);
    }

    // Three shards through ftcal stats and --stats give exactly the single run's evaluation.
    const sharded = doc.cases.find((c: { op: string }) => c.op === 'stats ×3 shards + evaluate --stats');
    const merged = sharded.runs.find((r: { impl: string }) => r.impl === 'ftcal-shards');
    expect(merged.status, merged.note).toBe('ok');
    expect(merged.check).toMatch(/^the merged evaluation equals the single run/);

    // The Newton fit ran on the CPU backend and says how.
    const fit = doc.cases.find((c: { op: string }) => c.op === 'NLL fit of (γ, T)');
    expect(fit.runs.find((run: { impl: string }) => run.impl === 'ftcal-cpu').check).toMatch(
      /^γ -?[\d.]+, T [\d.]+, NLL [\d.]+, \d+ iterations, \d+ passes, \|∇\| [\d.e+-]+, 10000 of 10000 rows resident$/,
    );

    const saved = JSON.parse(readFileSync(path.join(out, 'bench-quick.json'), 'utf8'));
    expect(saved).toEqual(doc);
    expect(saved.stopped).toBeUndefined();
    const md = readFileSync(path.join(out, 'benchmarks.md'), 'utf8');
    expect(md).toMatch(/^# ftcal benchmarks/);
    expect(md).toContain('## GPU machine');
    expect(md).toContain(doc.machine.cpu);
    expect(md).toContain('### matmul square');
  });

  it('keeps what it measured when it is killed mid-run (SIGKILL, nothing to clean up)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ftcal-bench-kill-'));
    try {
      const child = spawn(process.execPath, [
        BIN,
        '--quick',
        '--device',
        'cpu',
        '--only',
        'kernels',
        '--no-peers',
        '--out',
        dir,
      ]);
      const json = path.join(dir, 'bench-quick.json');
      // Wait for the third measurement to be on disk, then kill without warning.
      const runs = () => {
        try {
          const d = JSON.parse(readFileSync(json, 'utf8'));
          return d.cases.reduce((n: number, c: { runs: unknown[] }) => n + c.runs.length, 0);
        } catch {
          return 0;
        }
      };
      const deadline = Date.now() + 120_000;
      while (runs() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const doc = JSON.parse(readFileSync(json, 'utf8'));
      expect(doc.stopped).toMatch(/^not finished/);
      expect(runs()).toBeGreaterThanOrEqual(3);
      expect(doc.cases[0].runs[0].status).toBe('ok');
      const md = path.join(dir, 'from-killed.md');
      const r = bench(['--render', json, '--docs', md]);
      expect(r.status).toBe(0);
      expect(readFileSync(md, 'utf8')).toMatch(/\*\*This run did not finish\*\* \(not finished/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad option with one line and exit code 2', () => {
    const r = bench(['--quick', '--device', 'tpu', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--device tpu is not one of auto, gpu, gpu:NAME, cpu/);
    const n = bench(['--quick', '--max-cells', 'lots', '--out', out]);
    expect(n.status).toBe(2);
    expect(n.stderr).toMatch(/--max-cells lots is not a positive number/);
  });
});
