import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  evaluateOn,
  expectOneLine,
  expectOptionError,
  hostileWorld,
  LABELLED,
  shell,
  snapshot,
} from './harness.ts';

const NCM = [
  'ncm',
  '--features',
  'features.npy',
  '--labels',
  'labels.npy',
  '--ref-features',
  'ref-features.npy',
  '--ref-labels',
  'ref-labels.npy',
];
const FOLDS = ['--fold-logits', 'fold1-logits.npy', '--pretrained-logits', 'pretrained-logits.npy'];

/**
 * Hostile battery, crashes: values that used to reach a V8 fatal error, an allocation failure or an
 * internal error with a stack are one line, exit 2, before any work; failures of the disk are one line,
 * exit 1; a reader that goes away ends the run quietly.
 */
describe('hostile: no stack trace, no fatal error', () => {
  const w = hostileWorld('crash');
  afterAll(() => w.remove());

  const ranges: [string, string[], string][] = [
    [
      '--seen 0-99999999999 (expanded before it was checked)',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', '0-99999999999'],
      '--seen',
    ],
    [
      '--seen 99999999999',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', '99999999999'],
      '--seen',
    ],
    [
      '--seen 0-4 --absent 5-4294967296',
      [
        'evaluate',
        '--logits',
        'logits.npy',
        '--labels',
        'labels.npy',
        '--seen',
        '0-4',
        '--absent',
        '5-4294967296',
      ],
      '--absent',
    ],
    [
      '--seen 0-1e400 style digits',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', `0-${'9'.repeat(400)}`],
      '--seen',
    ],
    [
      '--fold-seen 0-99999999999',
      ['calibrate', ...LABELLED, ...FOLDS, '--fold-seen', '0-99999999999', '--out', 'c.json'],
      '--fold-seen',
    ],
    ['ncm --seen 0-4,99999999 (C inferred from the groups)', [...NCM, '--seen', '0-4,99999999'], '--seen'],
    ['ncm --num-classes 1e12', [...NCM, '--seen', '0-4', '--num-classes', '1000000000000'], '--num-classes'],
    ['--bins 1e9', ['evaluate', ...LABELLED, '--bins', '1000000000'], '--bins'],
    ['--bins 0', ['evaluate', ...LABELLED, '--bins', '0'], '--bins'],
    ['--bins -3', ['evaluate', ...LABELLED, '--bins', '-3'], '--bins'],
    ['--bins 2.5', ['evaluate', ...LABELLED, '--bins', '2.5'], '--bins'],
    ['--bins 1e400', ['evaluate', ...LABELLED, '--bins', '1e400'], '--bins'],
    ['--bins 0x10', ['evaluate', ...LABELLED, '--bins', '0x10'], '--bins'],
    ['calibrate --bins 1e9', ['calibrate', ...LABELLED, '--bins', '1000000000', '--out', 'c.json'], '--bins'],
    ['--chunk-rows 0', ['evaluate', ...LABELLED, '--chunk-rows', '0'], '--chunk-rows'],
    ['--chunk-rows 1e12', ['evaluate', ...LABELLED, '--chunk-rows', '1000000000000'], '--chunk-rows'],
    [
      '--chunk-rows 9007199254740993',
      ['evaluate', ...LABELLED, '--chunk-rows', '9007199254740993'],
      '--chunk-rows',
    ],
    [
      '--chunk-rows 1.5',
      ['apply', '--calibrator', 'x.json', '--logits', 'logits.npy', '--out', 'o.npy', '--chunk-rows', '1.5'],
      '--chunk-rows',
    ],
    [
      'logits --chunk-rows -1',
      [
        'logits',
        '--features',
        'features.npy',
        '--weights',
        'weights.npy',
        '--out',
        'l.npy',
        '--chunk-rows',
        '-1',
      ],
      '--chunk-rows',
    ],
    ['--odir 1e39,0', ['calibrate', ...LABELLED, '--odir', '1e39,0', '--out', 'c.json'], '--odir'],
    ['--odir 0,1e400', ['calibrate', ...LABELLED, '--odir', '0,1e400', '--out', 'c.json'], '--odir'],
    ['--odir 1,2,3', ['calibrate', ...LABELLED, '--odir', '1,2,3', '--out', 'c.json'], '--odir'],
    ['--num-classes 0', [...NCM, '--seen', '0-4', '--num-classes', '0'], '--num-classes'],
    ['--num-classes 2.5', [...NCM, '--seen', '0-4', '--num-classes', '2.5'], '--num-classes'],
    ['demo --seed -1', ['demo', '--seed', '-1', '--out', 'demo-out'], '--seed'],
  ];

  it.each(ranges)('%s is one line naming the flag, exit 2, before any work', (_name, args, flag) => {
    const r = w.run([...args, '--device', 'cpu']);
    expectOptionError(r, flag);
  });

  it('a legal 254-byte file name is written: the temp name beside it stays short', () => {
    const name = `${'c'.repeat(249)}.json`;
    const r = w.run(['calibrate', ...LABELLED, '--methods', 'oracle', '--out', name, '--device', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(w.path(name), 'utf8')).kind).toBe('ftcal-calibrator');
    expect(readdirSync(w.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a 256-byte file name is one line (ENAMETOOLONG), nothing left behind', () => {
    const name = `${'d'.repeat(251)}.json`;
    const r = w.run(['calibrate', ...LABELLED, '--methods', 'oracle', '--out', name, '--device', 'cpu']);
    expectOneLine(r, { code: 2, says: /name is too long/ });
    expect(readdirSync(w.dir).filter((f) => f.startsWith('.d'))).toEqual([]);
  });

  it('a directory part longer than the limit is one line', () => {
    const r = w.run(['calibrate', ...LABELLED, '--out', `${'e'.repeat(300)}/cal.json`, '--device', 'cpu']);
    expectOneLine(r, { code: 2, says: /too long/ });
  });

  it('an input path longer than PATH_MAX is one line', () => {
    const r = w.run(evaluateOn(`${'f/'.repeat(2100)}x.npy`));
    expectOneLine(r, { code: 2, says: /too long/ });
  });

  it('an input through a symlink loop is one line', () => {
    shell('ln -s loop-a loop-b && ln -s loop-b loop-a', w.dir);
    const r = w.run(evaluateOn('loop-a'));
    expectOneLine(r, { code: 2, says: /loop-a.*symbolic links/ });
  });

  it('an input under a regular file is one line (ENOTDIR)', () => {
    const r = w.run(evaluateOn('labels.npy/x.npy'));
    expectOneLine(r, { code: 2, says: /not a directory/ });
  });

  /**
   * A full and a read-only disk, made for real: a tiny tmpfs in a private mount namespace (as root, or
   * in a user namespace where the kernel allows one; elsewhere these two are skipped, saying why).
   */
  const mountable =
    spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k none "$0"', w.dir]).status === 0;

  function onTinyDisk(readOnly: boolean, args: string) {
    mkdirSync(w.path('disk'), { recursive: true });
    const ro = readOnly ? '&& mount -o remount,ro disk' : '&& head -c 60000 /dev/zero > disk/filler';
    return shell(
      `unshare -rm sh -c 'mount -t tmpfs -o size=64k none disk ${ro} && $FTCAL ${args}; echo "rc=$?" >&2; ls -a disk >&2'`,
      w.dir,
    );
  }

  it.runIf(mountable)('a full disk (ENOSPC) is one line, exit 1, no temp file left', () => {
    const r = onTinyDisk(false, `curve ${LABELLED.join(' ')} --out disk/curve.csv --device cpu`);
    expect(r.stderr).toMatch(/rc=1/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('ftcal: ') && !/using the CPU/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /disk\/curve\.csv: no space left on the device; free some space or write it elsewhere/,
    );
    expect(r.stderr).not.toMatch(/\.tmp|curve\.csv\n/);
  });

  it.runIf(mountable)('a read-only disk (EROFS) is one line, exit 1', () => {
    const r = onTinyDisk(true, `calibrate ${LABELLED.join(' ')} --out disk/cal.json --device cpu`);
    expect(r.stderr).toMatch(/rc=1/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('ftcal: ') && !/using the CPU/.test(l));
    expect(lines, r.stderr).toEqual([
      'ftcal: disk/cal.json: the file system is read-only; write it elsewhere',
    ]);
    expect(r.stderr).not.toMatch(/cal\.json\n/);
  });

  const pipes: [string, string][] = [
    ['calibrate --json | head -c 10', `calibrate ${LABELLED.join(' ')} --out p.json --device cpu --json`],
    ['curve --json | head -c 10', `curve ${LABELLED.join(' ')} --out p.csv --device cpu --json`],
    ['evaluate (the table) | head -c 10', `evaluate ${LABELLED.join(' ')} --device cpu`],
    ['--help | head -c 10', '--help'],
    ['doctor --json | head -c 10', 'doctor --json'],
  ];

  it.each(pipes)('a closed stdout ends quietly, exit 0: %s', (_name, args) => {
    const r = shell(`( $FTCAL ${args} 2>err.txt; echo $? > rc.txt ) | head -c 10 > /dev/null`, w.dir);
    expect(r.code).toBe(0);
    // (native noise, which doctor still printed before, is the native-noise family's)
    expect(readFileSync(w.path('err.txt'), 'utf8')).not.toMatch(/EPIPE|internal error|^\s+at .*\.m?js:\d+/m);
    expect(readFileSync(w.path('rc.txt'), 'utf8').trim()).toBe('0');
  });

  it('a mistake still exits 2 when stderr is a pipe nobody reads', () => {
    shell(
      '( $FTCAL evaluate --logits nope.npy --labels labels.npy --groups groups.json --device cpu 2>&1; echo $? > rc.txt ) | true',
      w.dir,
    );
    expect(readFileSync(w.path('rc.txt'), 'utf8').trim()).toBe('2');
  });

  it('refused options leave no output behind', () => {
    expect(snapshot(w.path('c.json'))).toBe('missing');
  });
});
