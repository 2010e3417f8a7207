import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf } from './expect-cli.ts';
import { scratch, syntheticSet, writeLabels, writeMatrix } from './files.ts';
import { type CliResult, ftcal } from './run-cli.ts';

/**
 * The bundled binary starts its worker threads from cpu-worker.js, the CPU worker program the build copies
 * beside ftcal.mjs (tools/esbuild.mjs): this checks that path as users run it. The CPU backend uses its workers from 2 M values of work: 2,600 × 1,000
 * logits for rowStats, and for nllGrad 400 × 1,000 logits times the 8 line-search candidates of a Newton pass.
 */
describe('ftcal on CPU worker threads (built binary)', () => {
  const s = scratch();
  const rows = 2600;
  const cols = 1000;
  const smallRows = 400;
  const seen = Array.from({ length: 500 }, (_, c) => c);

  beforeAll(async () => {
    const { logits, labels } = syntheticSet(31, rows, cols, seen);
    await writeMatrix(s.path('logits.npy'), logits, rows, cols);
    await writeLabels(s.path('labels.npy'), labels);
    const small = syntheticSet(32, smallRows, cols, seen);
    await writeMatrix(s.path('small.npy'), small.logits, smallRows, cols);
    await writeLabels(s.path('small-labels.npy'), small.labels);
    writeFileSync(s.path('groups.json'), JSON.stringify({ seen }));
  });
  afterAll(() => s.remove());

  const inputs = (name = 'logits', labels = 'labels') => [
    '--logits',
    s.path(`${name}.npy`),
    '--labels',
    s.path(`${labels}.npy`),
    '--groups',
    s.path('groups.json'),
    '--device',
    'cpu',
  ];
  // Node's own worker_threads debug log says when a worker thread really starts.
  const run = (args: string[], threads: number) =>
    ftcal(args, { FTCAL_CPU_THREADS: String(threads), NODE_DEBUG: 'worker' });
  const workersStarted = (r: CliResult) => r.stderr.match(/created Worker with ID/g)?.length ?? 0;

  it('evaluate gives the same document on 2 threads as on 1, the workers really run, and the process exits', () => {
    const one = run(['evaluate', ...inputs(), '--temperature', '1.5', '--json'], 1);
    const two = run(['evaluate', ...inputs(), '--temperature', '1.5', '--json'], 2);
    expect(workersStarted(one)).toBe(0);
    expect(workersStarted(two)).toBe(2);
    expect(two.stderr).not.toMatch(/worker threads failed|Warning/);
    const [a, b] = [jsonOf(one), jsonOf(two)];
    expect([a.backend, b.backend]).toEqual([
      'cpu (TypeScript, WebAssembly SIMD matmul, 1 thread)',
      'cpu (TypeScript, WebAssembly SIMD matmul, 2 threads)',
    ]);
    expect({ ...b, backend: null }).toEqual({ ...a, backend: null });
    expect(b.data.rows).toBe(rows);
  });

  it('calibrate --method nll finds the same γ and T on 2 threads as on 1 (the Newton passes on the workers)', () => {
    const out = (t: number) => ['--method', 'nll', '--out', s.path(`nll-${t}.json`), '--json'];
    const one = run(['calibrate', ...inputs('small', 'small-labels'), ...out(1)], 1);
    const two = run(['calibrate', ...inputs('small', 'small-labels'), ...out(2)], 2);
    expect(workersStarted(two)).toBe(2);
    expect(two.stderr).not.toMatch(/worker threads failed|Warning/);
    const [a, b] = [jsonOf(one), jsonOf(two)];
    expect(b.method).toBe('nll');
    expect([b.gamma, b.temperature]).toEqual([a.gamma, a.temperature]);
    expect(b.methods).toEqual(a.methods);
    expect(b.after).toEqual(a.after);
    expect(b.confidenceAfter).toEqual(a.confidenceAfter);
  });

  it('a bad FTCAL_CPU_THREADS is one line naming it, exit 2', () => {
    const r = ftcal(['evaluate', ...inputs()], { FTCAL_CPU_THREADS: 'lots' });
    expectInputError(r, 'FTCAL_CPU_THREADS', /'lots' is not a whole number/);
  });
});
