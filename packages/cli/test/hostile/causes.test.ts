import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyMatrix, writeLabels } from '../files.ts';
import { BIN } from '../run-cli.ts';
import { evaluateOn, expectOneLine, hostileWorld, LABELLED, snapshot } from './harness.ts';

/**
 * Hostile battery, errors that said too little: a message must give the cause (no rows in the file,
 * every row dropped and why, labels all in one group), name the file and not a method the user never
 * asked for; a pipe or device is not "an empty file".
 */
describe('hostile: every failure says its cause and names the file', () => {
  const w = hostileWorld('cause');
  const rows = 1000;

  beforeAll(async () => {
    writeFileSync(w.path('zero.npy'), npyMatrix([], 0, 10));
    await writeLabels(w.path('zero-labels.npy'), []);
    writeFileSync(w.path('nan.npy'), npyMatrix(new Float32Array(rows * 10).fill(Number.NaN), rows, 10));
    await writeLabels(
      w.path('labels-s.npy'),
      Array.from({ length: rows }, (_, r) => r % 5),
    );
    await writeLabels(
      w.path('labels-u.npy'),
      Array.from({ length: rows }, (_, r) => 5 + (r % 5)),
    );
    // Labels all in class 9, which the groups leave in O.
    writeFileSync(w.path('groups-o.json'), JSON.stringify({ seen: [0, 1, 2, 3, 4], absent: [5, 6, 7, 8] }));
    await writeLabels(w.path('labels-o.npy'), Array(rows).fill(9));
    execFileSync('mkfifo', [w.path('fifo.npy')]);
  });
  afterAll(() => w.remove());

  const zero = ['--logits', 'zero.npy', '--labels', 'zero-labels.npy', '--groups', 'groups.json'];
  const nan = [
    '--logits',
    'nan.npy',
    '--labels',
    'labels.npy',
    '--groups',
    'groups.json',
    '--nan-policy',
    'skip',
  ];
  const other = [
    '--logits',
    'logits.npy',
    '--labels',
    'labels-o.npy',
    '--groups',
    'groups-o.json',
    '--allow-other-labels',
  ];

  const cases: [string, string[], RegExp][] = [
    [
      'evaluate on a file with no rows',
      ['evaluate', ...zero],
      /zero\.npy: holds no rows; pass logits with at least one row/,
    ],
    [
      'calibrate on a file with no rows',
      ['calibrate', ...zero, '--out', 'c.json'],
      /zero\.npy: holds no rows/,
    ],
    ['curve on a file with no rows', ['curve', ...zero, '--out', 'c.csv'], /zero\.npy: holds no rows/],
    [
      'evaluate with every row dropped by --nan-policy skip',
      ['evaluate', ...nan],
      /nan\.npy: all 1000 rows were dropped \(1000 with NaN\/\+Inf logits\), none is left.*--nan-policy skip/,
    ],
    [
      'calibrate with every row dropped by --nan-policy skip',
      ['calibrate', ...nan, '--out', 'c.json'],
      /nan\.npy: all 1000 rows were dropped/,
    ],
    [
      'curve with every row dropped by --nan-policy skip',
      ['curve', ...nan, '--out', 'c.csv'],
      /nan\.npy: all 1000 rows were dropped/,
    ],
    [
      'report with every row dropped by --nan-policy skip',
      ['report', ...nan, '--out', 'r.html'],
      /nan\.npy: all 1000 rows were dropped/,
    ],
    [
      'evaluate with every row labelled in O and dropped',
      ['evaluate', ...other],
      /logits\.npy: all 1000 rows were dropped \(1000 labelled in O\).*--allow-other-labels/,
    ],
  ];

  it.each(cases)('%s', (_name, args, says) => {
    const r = w.run([...args, '--device', 'cpu']);
    const line = expectOneLine(r, { code: 2, says, afterDevice: true });
    expect(line).not.toMatch(/oracle|confidence metrics/);
    for (const out of ['c.json', 'c.csv', 'r.html']) expect(snapshot(w.path(out))).toBe('missing');
  });

  const oneGroup: [string, string, RegExp][] = [
    [
      'all in S',
      'labels-s.npy',
      /labels-s\.npy.*all in S \(1000 seen, none absent\).*labels of absent classes/,
    ],
    [
      'all in U',
      'labels-u.npy',
      /labels-u\.npy.*all in U \(1000 absent, none seen\).*labels of seen classes/,
    ],
  ];

  it.each(oneGroup)(
    'calibrate with labels %s names the labels file, not a method never asked for',
    (_name, labels, says) => {
      const r = w.run([
        'calibrate',
        '--logits',
        'logits.npy',
        '--labels',
        labels,
        '--groups',
        'groups.json',
        '--out',
        'c.json',
        '--device',
        'cpu',
      ]);
      const line = expectOneLine(r, { code: 2, says });
      expect(line).not.toMatch(/oracle|hmean|nll/);
      expect(snapshot(w.path('c.json'))).toBe('missing');
    },
  );

  it('calibrate --method oracle with labels all in S says so about the labels, before any work', () => {
    const r = w.run([
      'calibrate',
      '--logits',
      'logits.npy',
      '--labels',
      'labels-s.npy',
      '--groups',
      'groups.json',
      '--method',
      'oracle',
      '--out',
      'c.json',
      '--device',
      'cpu',
    ]);
    expectOneLine(r, { code: 2, says: /labels-s\.npy.*all in S/ });
  });

  it('a FIFO as --logits is "not a regular file", not "empty", and does not hang without a writer', () => {
    const r = w.run(evaluateOn('fifo.npy'));
    const line = expectOneLine(r, {
      code: 2,
      says: /fifo\.npy: is a named pipe, not a regular file; save it to a file/,
    });
    expect(line).not.toMatch(/empty/);
  });

  it('a FIFO with a writer is still refused as a pipe', () => {
    const writer = spawn('/bin/sh', ['-c', `cat logits.npy > fifo.npy`], { cwd: w.dir });
    const r = w.run(evaluateOn('fifo.npy'));
    expectOneLine(r, { code: 2, says: /is a named pipe/ });
    writer.kill();
  });

  it('a FIFO as --labels or --groups is refused the same way', () => {
    for (const [flag, file] of [
      ['--labels', 'fifo.npy'],
      ['--groups', 'fifo.npy'],
    ] as const) {
      const args = ['evaluate', ...LABELLED, '--device', 'cpu'];
      args[args.indexOf(flag) + 1] = file;
      expectOneLine(w.run(args), { code: 2, says: /fifo\.npy: is a named pipe/ });
    }
  });

  it('a character device as input is "not a regular file"', () => {
    const r = w.run(evaluateOn('/dev/zero'));
    expectOneLine(r, { code: 2, says: /\/dev\/zero: is a character device, not a regular file/ });
  });

  it('a process substitution (<(cat groups.json)) is refused with the same fix', () => {
    const r = execFileSync(
      '/bin/bash',
      [
        '-c',
        `${process.execPath} ${BIN} evaluate --logits logits.npy --labels labels.npy --groups <(cat groups.json) --device cpu 2>&1; echo "rc=$?"`,
      ],
      { cwd: w.dir, encoding: 'utf8' },
    );
    expect(r).toMatch(/^ftcal: \/dev\/fd\/\d+: is a named pipe, not a regular file; save it to a file/m);
    expect(r).toMatch(/rc=2/);
  });

  it('an empty regular file is still "the file is empty"', () => {
    writeFileSync(w.path('empty.npy'), '');
    const r = w.run(evaluateOn('empty.npy'));
    expectOneLine(r, { code: 2, says: /empty\.npy: the file is empty/ });
  });
});
