import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Calibrator, CpuBackend, makeGroups, openArray } from '@ftcal/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf } from './expect-cli.ts';
import { scratch, syntheticSet, writeMatrix } from './files.ts';
import { type Golden, writeGolden } from './golden.ts';
import { BIN, ftcal } from './run-cli.ts';

async function readAll(path: string): Promise<{ data: Float32Array; rows: number; cols: number }> {
  const a = await openArray(path);
  try {
    return { data: await a.readRows(0, a.rows), rows: a.rows, cols: a.cols };
  } finally {
    await a.close();
  }
}

function expectSameValues(actual: Float32Array, wanted: Float32Array): void {
  expect(actual.length).toBe(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    if (!Object.is(actual[i], wanted[i])) throw new Error(`value ${i}: got ${actual[i]}, want ${wanted[i]}`);
  }
}

describe('ftcal apply (built binary)', () => {
  const s = scratch();
  let golden: Golden;
  let calibratorPath: string;

  beforeAll(async () => {
    golden = await writeGolden('basic', s.path);
    calibratorPath = s.path('cal.json');
    // nll fits both γ and T, so every part of the calibration shows in the outputs.
    const r = ftcal([
      'calibrate',
      '--logits',
      s.path('logits.npy'),
      '--labels',
      s.path('labels.npy'),
      '--groups',
      s.path('groups.json'),
      '--method',
      'nll',
      '--out',
      calibratorPath,
      '--device',
      'cpu',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => s.remove());

  it('writes what Calibrator.applyArray gives: logits, probabilities, log-probabilities, in any chunking', async () => {
    const calibrator = Calibrator.fromJSON(readFileSync(calibratorPath, 'utf8'));
    expect(calibrator.temperature).not.toBe(1);
    const z = await readAll(s.path('logits.npy'));
    const cpu = new CpuBackend();
    const outputs = [
      ['', 'logits'],
      ['--probs', 'probabilities'],
      ['--log-probs', 'log-probabilities'],
    ] as const;
    for (const [flag, kind] of outputs) {
      const out = s.path(`out-${kind}.npy`);
      const r = ftcal([
        'apply',
        '--calibrator',
        calibratorPath,
        '--logits',
        s.path('logits.npy'),
        '--out',
        out,
        '--chunk-rows',
        '7',
        '--device',
        'cpu',
        ...(flag ? [flag] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`wrote .*out-${kind}\\.npy: 200×12 float32`));
      const got = await readAll(out);
      expect([got.rows, got.cols]).toEqual([z.rows, z.cols]);
      expectSameValues(got.data, await calibrator.applyArray(cpu, z.data, z.rows, z.cols, kind));
    }
    const probs = (await readAll(s.path('out-probabilities.npy'))).data;
    for (let r = 0; r < z.rows; r++) {
      let sum = 0;
      for (let c = 0; c < z.cols; c++) sum += probs[r * z.cols + c]!;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
    const whole = ftcal([
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      s.path('logits.npy'),
      '--out',
      s.path('whole.npy'),
      '--probs',
      '--device',
      'cpu',
    ]);
    expect(whole.code).toBe(0);
    expect(readFileSync(s.path('whole.npy'))).toEqual(readFileSync(s.path('out-probabilities.npy')));
  });

  it('prints one JSON document, recognising the data the calibrator was fitted on', () => {
    const doc = jsonOf(
      ftcal([
        'apply',
        '--calibrator',
        calibratorPath,
        '--logits',
        s.path('logits.npy'),
        '--out',
        s.path('j.npy'),
        '--probs',
        '--device',
        'cpu',
        '--json',
      ]),
    );
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: 'apply',
      output: 'probabilities',
      rows: 200,
      cols: 12,
      method: 'nll',
      logitsAre: 'fitting data',
      nonFiniteRows: 0,
    });
  });

  it('warns (and still writes) when the file it was fitted on has changed; new data gets no warning', async () => {
    const changed = join(s.dir, 'retrained');
    mkdirSync(changed);
    const { logits } = syntheticSet(3, 200, 12, golden.seen);
    await writeMatrix(join(changed, 'logits.npy'), logits, 200, 12);
    const r = ftcal([
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      join(changed, 'logits.npy'),
      '--out',
      join(changed, 'out.npy'),
      '--device',
      'cpu',
      '--json',
    ]);
    expect(jsonOf(r).logitsAre).toBe('changed since fitting');
    expect(r.stderr).toMatch(
      /^ftcal: warning: .*logits\.npy differs from the 200×12 file of that name .*calibrate again$/m,
    );
    expect(existsSync(join(changed, 'out.npy'))).toBe(true);
    copyFileSync(join(changed, 'logits.npy'), s.path('test-logits.npy'));
    const fresh = ftcal([
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      s.path('test-logits.npy'),
      '--out',
      s.path('test-out.npy'),
      '--device',
      'cpu',
      '--json',
    ]);
    expect(jsonOf(fresh).logitsAre).toBe('new data');
    expect(fresh.stderr).not.toMatch(/warning/);
  });

  it('fails on NaN/+Inf rows with their count and first row, or writes them as NaN rows with --nan-policy skip', async () => {
    const z = await readAll(s.path('logits.npy'));
    const bad = z.data.slice();
    bad[37 * 12 + 4] = Number.NaN;
    bad[150 * 12] = Number.POSITIVE_INFINITY;
    bad[151 * 12 + 11] = Number.NEGATIVE_INFINITY; // a masked logit: legal
    await writeMatrix(s.path('nan.npy'), bad, 200, 12);
    const args = [
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      s.path('nan.npy'),
      '--probs',
      '--device',
      'cpu',
    ];
    const out = s.path('nan-out.npy');
    const r = ftcal([...args, '--out', out, '--chunk-rows', '50']);
    expectInputError(
      r,
      'nan.npy',
      /2 rows hold NaN or \+Infinity logits, first at row 37; .*--nan-policy skip/,
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(s.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    const skipped = ftcal([...args, '--out', out, '--nan-policy', 'skip']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toMatch(/2 rows with NaN\/\+Inf logits were written as NaN rows/);
    const got = (await readAll(out)).data;
    const calibrator = Calibrator.fromJSON(readFileSync(calibratorPath, 'utf8'));
    const want = await calibrator.applyArray(new CpuBackend(), bad, 200, 12, 'probabilities');
    for (let r = 0; r < 200; r++) {
      for (let c = 0; c < 12; c++) {
        const v = got[r * 12 + c]!;
        if (r === 37 || r === 150) expect(v).toBeNaN();
        else expect(v).toBe(want[r * 12 + c]);
      }
    }
  });

  it('checks the logits’ width against the calibrator before writing anything', async () => {
    const { logits } = syntheticSet(5, 20, 9, [0, 1, 2]);
    await writeMatrix(s.path('narrow.npy'), logits, 20, 9);
    const out = s.path('narrow-out.npy');
    const r = ftcal([
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      s.path('narrow.npy'),
      '--out',
      out,
      '--device',
      'cpu',
    ]);
    expectInputError(r, 'narrow.npy', /9 logits per row but .*cal\.json has 12 classes/);
    expect(existsSync(out)).toBe(false);
    const both = ftcal([
      'apply',
      '--calibrator',
      calibratorPath,
      '--logits',
      s.path('logits.npy'),
      '--out',
      out,
      '--probs',
      '--log-probs',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
  });

  describe('killed while writing a large output', () => {
    const rows = 400_000;
    const cols = 40;
    let big: string;
    let bigCalibrator: string;

    beforeAll(async () => {
      big = s.path('big-logits.npy');
      const data = new Float32Array(rows * cols);
      let x = 12345;
      for (let i = 0; i < data.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        data[i] = (x >>> 8) / 2 ** 22 - 2;
      }
      await writeMatrix(big, data, rows, cols);
      bigCalibrator = s.path('big-cal.json');
      const seen = Array.from({ length: 20 }, (_, c) => c);
      const absent = Array.from({ length: 20 }, (_, c) => c + 20);
      const c = new Calibrator({
        groups: makeGroups(cols, seen, absent),
        gamma: 1.25,
        temperature: 0.8,
        method: 'alg',
      });
      writeFileSync(bigCalibrator, JSON.stringify(c.toJSON()));
    });

    /** Starts apply, waits until the output's temp file holds data, sends `signal`, and waits for the exit. */
    async function interrupt(out: string, signal: NodeJS.Signals) {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'apply',
          '--calibrator',
          bigCalibrator,
          '--logits',
          big,
          '--out',
          out,
          '--probs',
          '--chunk-rows',
          '2000',
          '--device',
          'cpu',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      const prefix = `.${out.split('/').pop()}.tmp-`;
      let sent = false;
      const deadline = Date.now() + 60_000;
      while (!sent && Date.now() < deadline && child.exitCode === null) {
        const temp = readdirSync(s.dir).find((n) => n.startsWith(prefix));
        if (temp && (statSync(join(s.dir, temp), { throwIfNoEntry: false })?.size ?? 0) > 4 << 20) {
          child.kill(signal);
          sent = true;
        } else {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      const result = await exited;
      return { ...result, sent, stderr, temps: readdirSync(s.dir).filter((n) => n.startsWith(prefix)) };
    }

    it('SIGKILL mid-way leaves no file at the output path', async () => {
      const out = s.path('killed.npy');
      const r = await interrupt(out, 'SIGKILL');
      expect(r.sent, `apply finished before it could be killed: ${r.stderr}`).toBe(true);
      expect(r.signal).toBe('SIGKILL');
      expect(existsSync(out)).toBe(false);
      // What a crash can leave is the temp file beside it, never a partial output.
      expect(r.temps.length).toBeLessThanOrEqual(1);
    });

    it('SIGTERM mid-way removes the temp file as well', async () => {
      const out = s.path('terminated.npy');
      const r = await interrupt(out, 'SIGTERM');
      expect(r.sent, `apply finished before it could be stopped: ${r.stderr}`).toBe(true);
      expect(r.code).toBe(143);
      expect(r.stderr).toMatch(/interrupted \(SIGTERM\); nothing was written/);
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
      expect(existsSync(out)).toBe(false);
      expect(r.temps).toEqual([]);
    });
  });
});
