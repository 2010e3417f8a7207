import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInputError, jsonOf } from './expect-cli.ts';
import {
  f32Bytes,
  npyBytes,
  npyMatrix,
  safetensors,
  scratch,
  syntheticSet,
  writeLabels,
  writeMatrix,
  zipArchive,
} from './files.ts';
import { labelledArgs } from './golden.ts';
import { ftcal } from './run-cli.ts';

/**
 * DESIGN.md §4 through the command line: every bad input ends in exit code 2 and one line on stderr
 * that names the file and the fix, with nothing on stdout and no stack trace.
 */
describe('bad input (built binary)', () => {
  const s = scratch();
  const rows = 30;
  const cols = 10;
  const { logits, labels } = syntheticSet(21, rows, cols, [0, 1, 2, 3, 4]);

  beforeAll(async () => {
    await writeMatrix(s.path('logits.npy'), logits, rows, cols);
    await writeLabels(s.path('labels.npy'), labels);
    writeFileSync(s.path('groups.json'), JSON.stringify({ seen: [0, 1, 2, 3, 4], absent: [5, 6, 7, 8, 9] }));
  });
  afterAll(() => s.remove());

  /** evaluate with the good files, any of them replaced. */
  function evaluate(over: { logits?: string; labels?: string; groups?: string } = {}, ...extra: string[]) {
    return ftcal([
      'evaluate',
      '--logits',
      over.logits ?? s.path('logits.npy'),
      '--labels',
      over.labels ?? s.path('labels.npy'),
      '--groups',
      over.groups ?? s.path('groups.json'),
      '--device',
      'cpu',
      ...extra,
    ]);
  }

  /** calibrate with the good files into `out`. */
  const calibrate = (out: string, ...extra: string[]) =>
    ftcal(['calibrate', ...labelledArgs(s.path), '--out', out, ...extra]);

  it('labels for a different number of rows than the logits', async () => {
    await writeLabels(s.path('short-labels.npy'), labels.subarray(0, 25));
    expectInputError(
      evaluate({ labels: s.path('short-labels.npy') }),
      'short-labels.npy',
      /25 labels for the 30 rows of .*logits\.npy; pass the labels of the same rows/,
    );
  });

  it('class groups that do not fit the logits’ classes, and a class-names file of the wrong length', () => {
    writeFileSync(s.path('wide-groups.json'), JSON.stringify({ seen: [0, 1, 2], absent: [10, 11] }));
    expectInputError(
      evaluate({ groups: s.path('wide-groups.json') }),
      'wide-groups.json',
      /absent class 10 is out of range: the head has 10 classes/,
    );
    writeFileSync(s.path('names.txt'), 'a\nb\nc\n');
    writeFileSync(s.path('named-groups.json'), JSON.stringify({ seen: ['a'] }));
    expectInputError(
      evaluate({ groups: s.path('named-groups.json') }, '--class-names', s.path('names.txt')),
      'names.txt',
      /lists 3 class names but the head has 10 classes/,
    );
  });

  it('labels outside the head’s classes', async () => {
    const bad = Int32Array.from(labels);
    bad[7] = 12;
    await writeLabels(s.path('range-labels.npy'), bad);
    expectInputError(
      evaluate({ labels: s.path('range-labels.npy') }),
      'range-labels.npy',
      /label 12 at row 7 is outside \[0, 10\)/,
    );
  });

  it('labels in O fail, and --allow-other-labels drops their rows instead', () => {
    writeFileSync(s.path('o-groups.json'), JSON.stringify({ seen: [0, 1, 2, 3, 4], absent: [5, 6, 7] }));
    const inO = Array.from(labels).filter((y) => y >= 8).length;
    const first = Array.from(labels).findIndex((y) => y >= 8);
    expect(inO).toBeGreaterThan(0);
    const line = expectInputError(
      evaluate({ groups: s.path('o-groups.json') }),
      'labels.npy',
      new RegExp(`${inO} labels are in O .*first at row ${first}`),
    );
    expect(line).toMatch(
      /add the class to the absent group or pass --allow-other-labels to drop those rows$/,
    );
    const doc = jsonOf(evaluate({ groups: s.path('o-groups.json') }, '--allow-other-labels', '--json'));
    expect(doc.data.dropped.otherLabel).toBe(inO);
    expect(doc.data.rows).toBe(rows - inO);
    expect(doc.groups.other).toEqual([8, 9]);
  });

  it('overlapping and empty groups, from a file or inline', () => {
    writeFileSync(s.path('overlap.json'), JSON.stringify({ seen: [0, 1, 2, 3], absent: [3, 4, 5] }));
    expectInputError(
      evaluate({ groups: s.path('overlap.json') }),
      'overlap.json',
      /class 3 is both seen and absent/,
    );
    writeFileSync(s.path('empty.json'), JSON.stringify({ seen: [], absent: [1, 2] }));
    expectInputError(evaluate({ groups: s.path('empty.json') }), 'empty.json', /the seen group is empty/);
    writeFileSync(s.path('all-seen.json'), JSON.stringify({ seen: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }));
    expectInputError(
      evaluate({ groups: s.path('all-seen.json') }),
      'all-seen.json',
      /the absent list is empty/,
    );
    const inline = ftcal([
      'evaluate',
      '--logits',
      s.path('logits.npy'),
      '--labels',
      s.path('labels.npy'),
      '--seen',
      '0-4',
      '--absent',
      '4-9',
      '--device',
      'cpu',
    ]);
    expectInputError(inline, '--seen/--absent', /class 4 is both seen and absent/);
  });

  it('NaN and +Inf logits: the count and the first row; --nan-policy skip drops those rows', async () => {
    const bad = logits.slice();
    bad[4 * cols + 2] = Number.NaN;
    bad[9 * cols + 7] = Number.POSITIVE_INFINITY;
    bad[11 * cols + 1] = Number.NaN;
    bad[12 * cols + 6] = Number.NEGATIVE_INFINITY; // a masked class: legal
    await writeMatrix(s.path('nan.npy'), bad, rows, cols);
    expectInputError(
      evaluate({ logits: s.path('nan.npy') }),
      'nan.npy',
      /3 rows hold NaN or \+Infinity logits, first at row 4; fix the model output or pass --nan-policy skip to drop those rows$/,
    );
    const skipped = jsonOf(evaluate({ logits: s.path('nan.npy') }, '--nan-policy', 'skip', '--json'));
    expect(skipped.data.dropped.nonFinite).toBe(3);
    expect(skipped.data.rows).toBe(rows - 3);
    // The same rows removed by hand give the same table.
    const keep = Array.from({ length: rows }, (_, r) => r).filter((r) => ![4, 9, 11].includes(r));
    const kept = new Float32Array(keep.length * cols);
    keep.forEach((r, i) => {
      kept.set(bad.subarray(r * cols, (r + 1) * cols), i * cols);
    });
    await writeMatrix(s.path('kept.npy'), kept, keep.length, cols);
    await writeLabels(
      s.path('kept-labels.npy'),
      keep.map((r) => labels[r]!),
    );
    const byHand = jsonOf(
      evaluate({ logits: s.path('kept.npy'), labels: s.path('kept-labels.npy') }, '--json'),
    );
    expect(skipped.table).toEqual(byHand.table);
  });

  it('malformed, truncated and absurd .npy files, and unknown dtypes', () => {
    const v2 = new Uint8Array(64);
    v2.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 2, 0]);
    new DataView(v2.buffer).setUint32(8, 2_000_000_000, true);
    const cases: [string, Uint8Array, RegExp][] = [
      [
        'not-npy.npy',
        Buffer.from('this is not an array file at all, just text\n'),
        /not a \.npy file \(no .*NUMPY magic\)/,
      ],
      [
        'bad-header.npy',
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, ", f32Bytes([1, 2, 3])),
        /unreadable header/,
      ],
      [
        'truncated.npy',
        npyMatrix(logits, rows, cols).subarray(0, 200),
        /truncated: header says 30×10 f4 \(1200 bytes\) but only 72 data bytes follow/,
      ],
      [
        'huge-header.npy',
        npyBytes(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
          f32Bytes([1, 2, 3, 4]),
          65000,
        ),
        /the header claims 65000 bytes but the file has/,
      ],
      ['absurd-header.npy', v2, /header length 2000000000 is absurd/],
      [
        'absurd-shape.npy',
        npyBytes(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 100000000), }",
          f32Bytes([1, 2]),
        ),
        /too large to be a real array/,
      ],
      [
        'complex.npy',
        npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(32)),
        /unsupported dtype '<c8'/,
      ],
      [
        'object.npy',
        npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(32)),
        /unsupported dtype '\|O'/,
      ],
    ];
    for (const [name, bytes, problem] of cases) {
      writeFileSync(s.path(name), bytes);
      expectInputError(evaluate({ logits: s.path(name) }), name, problem);
    }
  });

  it('an .npz zip bomb: a small archive claiming a huge inflated size, or inflating past its claim', () => {
    const member = npyMatrix(logits, rows, cols);
    writeFileSync(
      s.path('claims-huge.npz'),
      zipArchive([{ name: 'logits.npy', data: member, deflate: true, claimedSize: 0xfffffff0 }]),
    );
    expectInputError(
      evaluate({ logits: s.path('claims-huge.npz') }),
      'claims-huge.npz',
      /more than DEFLATE can expand/,
    );
    const zeros = new Uint8Array(member.length + (16 << 20));
    zeros.set(member);
    writeFileSync(
      s.path('bomb.npz'),
      zipArchive([{ name: 'logits.npy', data: zeros, deflate: true, claimedSize: member.length }]),
    );
    expectInputError(
      evaluate({ logits: s.path('bomb.npz') }),
      'bomb.npz',
      /decompresses to more than the \d+ bytes it declares \(a zip bomb\?\)/,
    );
  });

  it('a tensor missing from an .npz or a .safetensors file', () => {
    writeFileSync(
      s.path('arrays.npz'),
      zipArchive([{ name: 'logits.npy', data: npyMatrix(logits, rows, cols) }]),
    );
    expectInputError(
      evaluate({ logits: `${s.path('arrays.npz')}:scores` }),
      'arrays.npz',
      /no array 'scores' in the archive \(it holds: logits\)/,
    );
    const good = jsonOf(evaluate({ logits: `${s.path('arrays.npz')}:logits` }, '--json'));
    expect(good.data.rows).toBe(rows);
    writeFileSync(
      s.path('model.safetensors'),
      safetensors({ logits: { dtype: 'F32', shape: [rows, cols], data: f32Bytes(logits) } }),
    );
    expectInputError(
      evaluate({ logits: `${s.path('model.safetensors')}:scores` }),
      'model.safetensors',
      /scores/,
    );
  });

  it('a missing file, whichever input it is', () => {
    expectInputError(evaluate({ logits: s.path('nope.npy') }), 'nope.npy', /no such file; check the path/);
    expectInputError(evaluate({ labels: s.path('nope-labels.npy') }), 'nope-labels.npy', /no such file/);
    expectInputError(evaluate({ groups: s.path('nope.json') }), 'nope.json', /no such file/);
    const r = ftcal([
      'apply',
      '--calibrator',
      s.path('nope-cal.json'),
      '--logits',
      s.path('logits.npy'),
      '--out',
      s.path('out.npy'),
      '--device',
      'cpu',
    ]);
    expectInputError(r, 'nope-cal.json', /no such file; check the path/);
  });

  it('an output in a directory that does not exist, refused before any work', () => {
    const out = s.path('no-such-dir/cal.json');
    const r = calibrate(out);
    expectInputError(r, out, /the directory .*no-such-dir does not exist; create it or pass another --out/);
    // Refused before the device was even chosen.
    expect(r.stderr).not.toMatch(/using the CPU backend/);
  });

  it('an output that is an input, another output or not a regular file is refused; the input is untouched', () => {
    mkdirSync(s.path('sub'), { recursive: true });
    symlinkSync(s.path('logits.npy'), s.path('link.npy'));
    const before = readFileSync(s.path('logits.npy'));
    for (const out of [s.path('sub/../logits.npy'), s.path('link.npy')]) {
      expectInputError(
        calibrate(out, '--methods', 'oracle'),
        out,
        /is this run's input --logits .*logits\.npy and would be overwritten; pass another --out/,
      );
    }
    expectInputError(calibrate(s.path('groups.json')), 'groups.json', /is this run's input --groups/);
    // Through a link, never /dev/null itself: were the guard broken, a run as root would replace it.
    symlinkSync('/dev/null', s.path('null-link'));
    expectInputError(
      calibrate(s.path('null-link')),
      'null-link',
      /is a character device, not a regular file/,
    );
    const curve = ftcal([
      'curve',
      ...labelledArgs(s.path),
      '--out',
      s.path('curve.csv'),
      '--plot',
      s.path('sub/../curve.csv'),
    ]);
    expectInputError(curve, 'curve.csv', /--out writes it already; give --plot another file/);
    expect(readFileSync(s.path('logits.npy')).equals(before)).toBe(true);
    expect(existsSync(s.path('curve.csv'))).toBe(false);
  });

  it('a bad calibrator file: not JSON, not a calibrator, or a broken field', () => {
    const files: [string, string, RegExp][] = [
      ['not-json.json', '{"kind": "ftcal-calibrator", ', /not valid JSON/],
      ['other.json', JSON.stringify({ seen: [0, 1] }), /"kind" is not "ftcal-calibrator"/],
      [
        'bad-gamma.json',
        JSON.stringify({
          schemaVersion: 1,
          kind: 'ftcal-calibrator',
          groups: { numClasses: 10, seen: [0, 1, 2, 3, 4], absent: [5, 6, 7, 8, 9], other: [] },
          gamma: 'large',
          temperature: 1,
          method: 'alg',
          provenance: { fingerprints: [], created: '2026-01-01T00:00:00Z' },
        }),
        /"gamma" must be a finite number/,
      ],
    ];
    for (const [name, text, problem] of files) {
      writeFileSync(s.path(name), text);
      const out = s.path('cal-out.npy');
      const r = ftcal([
        'apply',
        '--calibrator',
        s.path(name),
        '--logits',
        s.path('logits.npy'),
        '--out',
        out,
        '--device',
        'cpu',
      ]);
      expectInputError(r, name, problem);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('usage mistakes exit 2 too: a missing option, a bad number', () => {
    const missing = ftcal(['evaluate', '--logits', s.path('logits.npy'), '--groups', s.path('groups.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^ftcal: --labels: required by evaluate, not given; pass --labels <file>\n$/,
    );
    const nan = evaluate({}, '--gamma', 'abc');
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/^ftcal: --gamma: 'abc' is not a finite number/);
    const zeroT = evaluate({}, '--temperature', '0');
    expect(zeroT.code).toBe(2);
    expect(zeroT.stderr).toMatch(/^ftcal: --temperature: '0' is not a number > 0/);
  });
});
