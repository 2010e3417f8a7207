import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyMatrix } from '../files.ts';
import { BIN } from '../run-cli.ts';
import { DEVICE_LINE, hostileWorld, LABELLED, stderrLines } from './harness.ts';

/**
 * Hostile battery, native noise (DESIGN.md §2): Dawn, Mesa and EGL print to the process's stderr
 * when adapters are probed (XDG_RUNTIME_DIR errors, a Vulkan warning ending in a path on Dawn's build
 * machine, limits "artificially reduced"). None of it may reach the user's terminal; ftcal's own device
 * line must. The environment is the user's: nothing here sets variables that would hide the noise.
 */
describe('hostile: only ftcal speaks on stderr', () => {
  const w = hostileWorld('noise');
  beforeAll(() => {
    // Large enough that apply is still streaming when the crash test kills it.
    const rows = 400_000;
    writeFileSync(w.path('big.npy'), npyMatrix(new Float32Array(rows * 10).fill(0.5), rows, 10));
    w.calibrator('c.json');
  });
  afterAll(() => w.remove());
  const env = { XDG_RUNTIME_DIR: undefined, FTCAL_PROGRESS: undefined };

  const runs: [string, string[]][] = [
    ['evaluate --device auto', ['evaluate', ...LABELLED, '--device', 'auto']],
    ['evaluate (auto by default)', ['evaluate', ...LABELLED]],
    ['evaluate --device gpu', ['evaluate', ...LABELLED, '--device', 'gpu']],
    ['calibrate --device auto', ['calibrate', ...LABELLED, '--methods', 'oracle', '--out', 'c.json']],
    [
      'calibrate --device gpu',
      ['calibrate', ...LABELLED, '--methods', 'oracle', '--out', 'c.json', '--device', 'gpu'],
    ],
    [
      'apply --device gpu',
      ['apply', '--calibrator', 'c.json', '--logits', 'logits.npy', '--out', 'p.npy', '--device', 'gpu'],
    ],
    [
      'logits --device gpu',
      [
        'logits',
        '--features',
        'features.npy',
        '--weights',
        'weights.npy',
        '--out',
        'l.npy',
        '--device',
        'gpu',
      ],
    ],
    ['curve --device auto', ['curve', ...LABELLED, '--out', 'c.csv']],
  ];

  it.each(runs)('%s: stderr is the device line and nothing else', (_name, args) => {
    const r = w.run(args, env);
    if (r.code !== 0 && /no WebGPU adapter/.test(r.stderr) && process.env.FTCAL_REQUIRE_GPU !== '1') return;
    expect(r.code, r.stderr).toBe(0);
    expect(stderrLines(r), r.stderr).toHaveLength(1);
    expect(stderrLines(r)[0]).toMatch(DEVICE_LINE);
  });

  it('doctor prints its report on stdout and nothing on stderr', () => {
    for (const args of [['doctor'], ['doctor', '--json']]) {
      const r = w.run(args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });

  it('a crash is not hidden: a run killed by a signal shows what the drivers printed', async () => {
    // The command runs in a child whose fd 2 is captured; kill that child as a crash would end it.
    const parent = spawn(
      process.execPath,
      [
        BIN,
        'apply',
        '--calibrator',
        'c.json',
        '--logits',
        'big.npy',
        '--out',
        'big-out.npy',
        '--device',
        'gpu',
      ],
      {
        cwd: w.dir,
        env: { ...process.env, ...env },
      },
    );
    let stderr = '';
    parent.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const closed = new Promise((resolve) => parent.on('close', resolve));
    while (!/using WebGPU|no WebGPU adapter/.test(stderr) && parent.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (/no WebGPU adapter/.test(stderr) && process.env.FTCAL_REQUIRE_GPU !== '1') return;
    const child = Number(execFileSync('pgrep', ['-P', String(parent.pid)], { encoding: 'utf8' }).trim());
    process.kill(child, 'SIGSEGV');
    expect(await closed).toBe(128 + 11);
    // Whatever the driver printed on the way (on llvmpipe: limits "artificially reduced") now shows.
    expect(
      stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('ftcal: ')).length,
    ).toBeGreaterThan(0);
  });

  it('a failing run on --device auto is the device line and the error, nothing else', () => {
    const r = w.run(
      ['evaluate', '--logits', 'logits.npy', '--labels', 'fit-labels.npy', '--groups', 'groups.json'],
      env,
    );
    expect(r.code).toBe(2);
    expect(stderrLines(r).filter((l) => !DEVICE_LINE.test(l))).toHaveLength(1);
    expect(stderrLines(r).every((l) => l.startsWith('ftcal: '))).toBe(true);
  });
});
