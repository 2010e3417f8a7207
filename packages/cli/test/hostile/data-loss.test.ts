import { execFileSync } from 'node:child_process';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { safetensors, zipArchive } from '../files.ts';
import { expectOneLine, hostileWorld, LABELLED, snapshot, stderrLines } from './harness.ts';

/**
 * Hostile battery, data loss (DESIGN.md §4): an output that is one of the run's inputs (however it is
 * spelled), another output of the same run, or anything but a regular file or a missing path is refused
 * before any work, and the path is left exactly as it was.
 */
describe('hostile: no input is ever overwritten, no special file replaced', () => {
  const w = hostileWorld('loss');

  beforeAll(() => {
    mkdirSync(w.path('sub'));
    symlinkSync('logits.npy', w.path('link-logits.npy'));
    symlinkSync('.', w.path('here'));
    linkSync(w.path('logits.npy'), w.path('hard-logits.npy'));
    // Never /dev itself: were the guard broken, a test run as root would replace the system's files.
    symlinkSync('/dev/null', w.path('link-null'));
    symlinkSync('/proc/self/fd/1', w.path('link-stdout'));
    symlinkSync('c.csv', w.path('dangling-to-c'));
    execFileSync('mkfifo', [w.path('fifo')]);
    writeFileSync(w.path('a.csv'), 'old a\n');
    linkSync(w.path('a.csv'), w.path('b.svg'));
    // The same logits inside an .npz and a .safetensors file, picked by member name.
    const npy = new Uint8Array(readFileSync(w.path('logits.npy')));
    writeFileSync(w.path('data.npz'), zipArchive([{ name: 'logits.npy', data: npy }]));
    writeFileSync(
      w.path('model.safetensors'),
      safetensors({ logits: { dtype: 'F32', shape: [1000, 10], data: npy.subarray(npy.length - 40000) } }),
    );
  });
  const server = createServer();
  beforeAll(() => new Promise<void>((done) => server.listen(w.path('socket'), done)));
  afterAll(() => {
    server.close();
    w.remove();
  });

  /** [command args, the refused output, what the line says]: each must leave every path untouched. */
  const cases: [string, string[], string, RegExp][] = [
    [
      'apply --out = --logits',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'logits.npy',
      /input --logits/,
    ],
    [
      'apply --out = --calibrator',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'cal.json',
      /input --calibrator/,
    ],
    [
      'apply --out through a symlink',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'link-logits.npy',
      /input --logits/,
    ],
    [
      'apply --out spelled sub/../',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'sub/../logits.npy',
      /input --logits/,
    ],
    [
      'apply --out through a linked directory',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'here/logits.npy',
      /input --logits/,
    ],
    [
      'apply --out a hard link of --logits',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'hard-logits.npy',
      /input --logits/,
    ],
    [
      'apply --out ./ spelling',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      './logits.npy',
      /input --logits/,
    ],
    [
      'apply --out the .npz holding --logits',
      ['apply', '--calibrator', 'cal.json', '--logits', 'data.npz:logits'],
      'data.npz',
      /input --logits/,
    ],
    [
      'apply --out the .safetensors holding --logits',
      ['apply', '--calibrator', 'cal.json', '--logits', 'model.safetensors:logits'],
      'model.safetensors',
      /input --logits/,
    ],
    ['calibrate --out = --labels', ['calibrate', ...LABELLED], 'labels.npy', /input --labels/],
    ['calibrate --out = --groups', ['calibrate', ...LABELLED], 'groups.json', /input --groups/],
    [
      'calibrate --out = --class-names',
      ['calibrate', ...LABELLED, '--class-names', 'class-names.txt'],
      'class-names.txt',
      /input --class-names/,
    ],
    [
      'calibrate --out = --fit-logits',
      ['calibrate', ...LABELLED, '--fit-logits', 'fit-logits.npy', '--fit-labels', 'fit-labels.npy'],
      'fit-logits.npy',
      /input --fit-logits/,
    ],
    [
      'calibrate --out = the second --fold-logits',
      [
        'calibrate',
        ...LABELLED,
        '--fold-logits',
        'fold1-logits.npy',
        '--fold-seen',
        '0-2',
        '--fold-logits',
        'fold2-logits.npy',
        '--fold-seen',
        '2-4',
        '--pretrained-logits',
        'pretrained-logits.npy',
      ],
      'fold2-logits.npy',
      /input --fold-logits/,
    ],
    ['report --out = --logits', ['report', ...LABELLED], 'logits.npy', /input --logits/],
    [
      'report --out = --labels through a symlinked dir',
      ['report', ...LABELLED],
      'here/sub/../labels.npy',
      /input --labels/,
    ],
    [
      'logits --out = --features',
      ['logits', '--features', 'features.npy', '--weights', 'weights.npy', '--bias', 'bias.npy'],
      'features.npy',
      /input --features/,
    ],
    [
      'logits --out = --weights',
      ['logits', '--features', 'features.npy', '--weights', 'weights.npy', '--bias', 'bias.npy'],
      'weights.npy',
      /input --weights/,
    ],
    [
      'logits --out = --bias',
      ['logits', '--features', 'features.npy', '--weights', 'weights.npy', '--bias', 'bias.npy'],
      'bias.npy',
      /input --bias/,
    ],
    ['curve --out = --logits', ['curve', ...LABELLED], 'logits.npy', /input --logits/],
    ['curve --out a symlink to /dev/null', ['curve', ...LABELLED], 'link-null', /not a regular file/],
    [
      'apply --out a symlink to /dev/null',
      ['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy'],
      'link-null',
      /not a regular file/,
    ],
    [
      'logits --out a FIFO',
      ['logits', '--features', 'features.npy', '--weights', 'weights.npy'],
      'fifo',
      /not a regular file/,
    ],
    ['calibrate --out a directory', ['calibrate', ...LABELLED], 'sub', /is a directory/],
    [
      'calibrate --out a link to /proc/self/fd/1 (a pipe here)',
      ['calibrate', ...LABELLED],
      'link-stdout',
      /not a regular file/,
    ],
    ['report --out a unix socket', ['report', ...LABELLED], 'socket', /not a regular file/],
  ];

  it.each(cases)('%s is refused before any work', (_name, args, out, says) => {
    w.calibrator();
    const watched = [
      'logits.npy',
      'cal.json',
      'labels.npy',
      'groups.json',
      'features.npy',
      'fifo',
      'link-null',
      'socket',
    ];
    const before = watched.map((p) => snapshot(w.path(p)));
    const r = w.run([...args, '--out', out, '--device', 'cpu']);
    const line = expectOneLine(r, { code: 2, says });
    expect(line).toContain(out);
    expect(line).toMatch(/; pass another --out|; pass a file name to --out|; give --out another/);
    expect(watched.map((p) => snapshot(w.path(p)))).toEqual(before);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  /** curve writes two outputs: they may not be one file, however the second is spelled. */
  const twoOutputs: [string, string, string][] = [
    ['the same name', 'c.csv', 'c.csv'],
    ['a ./ spelling', 'c.csv', './c.csv'],
    ['a sub/../ spelling', 'c.csv', 'sub/../c.csv'],
    ['a dangling symlink to --out', 'c.csv', 'dangling-to-c'],
    ['two hard links of one existing file', 'a.csv', 'b.svg'],
    ['--plot = --calibrator', 'c.csv', 'cal.json'],
  ];

  beforeEach(() => rmSync(w.path('c.csv'), { force: true }));

  it.each(twoOutputs)('curve --out and --plot naming one file (%s) is refused', (_name, out, plot) => {
    w.calibrator();
    const before = ['a.csv', 'b.svg', 'cal.json'].map((p) => snapshot(w.path(p)));
    const r = w.run([
      'curve',
      ...LABELLED,
      '--calibrator',
      'cal.json',
      '--out',
      out,
      '--plot',
      plot,
      '--device',
      'cpu',
    ]);
    expectOneLine(r, { code: 2, says: /--out writes it already|input --calibrator/ });
    expect(snapshot(w.path('c.csv'))).toBe('missing');
    expect(['a.csv', 'b.svg', 'cal.json'].map((p) => snapshot(w.path(p)))).toEqual(before);
  });

  it('an output that is a symlink to a regular file is written through: the link stays a link', () => {
    writeFileSync(w.path('sub/target.json'), 'old\n');
    symlinkSync('sub/target.json', w.path('out-link.json'));
    w.calibrator('out-link.json');
    expect(lstatSync(w.path('out-link.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(w.path('out-link.json'))).toBe('sub/target.json');
    expect(JSON.parse(readFileSync(w.path('sub/target.json'), 'utf8')).kind).toBe('ftcal-calibrator');
  });

  it('an output under a regular file (not a directory) is one line', () => {
    const r = w.run(['calibrate', ...LABELLED, '--out', 'logits.npy/cal.json', '--device', 'cpu']);
    expectOneLine(r, { code: 2, says: /logits\.npy is not a directory/ });
  });

  it('an empty --out is one line', () => {
    const r = w.run(['calibrate', ...LABELLED, '--out', '', '--device', 'cpu']);
    expectOneLine(r, { code: 2, says: /--out/ });
  });

  it('an --out ending in a slash names a directory, not a file: one line', () => {
    const r = w.run(['calibrate', ...LABELLED, '--out', 'newdir/', '--device', 'cpu']);
    expectOneLine(r, { code: 2, says: /--out/ });
    expect(snapshot(w.path('newdir'))).toBe('missing');
  });

  it('refusals come before any work: no device line', () => {
    const r = w.run(['apply', '--calibrator', 'cal.json', '--logits', 'logits.npy', '--out', 'logits.npy']);
    expect(stderrLines(r)).toHaveLength(1);
  });
});
