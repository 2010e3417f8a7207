import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu.ts';
import { Calibrator } from '../../src/calib/calibrator.ts';
import { calibrate, evaluate } from '../../src/calib/evaluate.ts';
import { checkLabels, makeGroups } from '../../src/calib/groups.ts';
import { statsOfArray } from '../../src/calib/stats.ts';
import { type ErrorInfo, FtcalError, InputError, renderError } from '../../src/errors.ts';
import { fsError } from '../../src/io/fail.ts';
import { openArray, readGroupsFile, readLabels } from '../../src/io/index.ts';
import { arraySource } from '../../src/io/row-source.ts';

/**
 * Core's errors are structured (code, file, problem, fix, option) and never name a CLI flag: a fix that
 * names a library option holds the placeholder, and the message words it as a library caller writes it.
 */
const cpu = new CpuBackend();
const groups = makeGroups(4, [0, 1], [2, 3]);

async function caught(work: () => unknown): Promise<InputError> {
  try {
    await work();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    // One line with no flag of any front end in it, and the placeholder filled in.
    expect(err.message).not.toMatch(/\n|--[a-z]|\{option\}/);
    return err;
  }
  throw new Error('expected an InputError');
}

function info(e: FtcalError): ErrorInfo {
  return e.info;
}

describe('structured errors of calib', () => {
  it('NaN logits: code, file, the count and first row, and the nanPolicy option', async () => {
    const z = new Float32Array(3 * 4).fill(1);
    z[5] = Number.NaN;
    const e = await caught(() => accumulate(z, 3));
    expect(info(e)).toEqual({
      code: 'non-finite',
      file: '<memory>',
      problem: '1 rows hold NaN or +Infinity logits, first at row 1',
      fix: 'fix the model output or pass {option} to drop those rows',
      option: { name: 'nanPolicy', value: 'skip' },
    });
    expect(e.message).toMatch(/pass nanPolicy: 'skip' to drop those rows$/);
    // A front end words the same error with its own name for the option.
    expect(
      renderError(e, ({ name, value }) => (name === 'nanPolicy' ? `--nan-policy ${value}` : undefined)),
    ).toMatch(/pass --nan-policy skip to drop those rows$/);
  });

  it('labels in O name the source and the allowOtherLabels option', async () => {
    const g = makeGroups(4, [0], [1]);
    const e = await caught(() => checkLabels(Int32Array.from([0, 2]), g, { what: 'train.npy' }));
    expect(e.code).toBe('labels');
    expect(e.file).toBe('train.npy');
    expect(e.option).toEqual({ name: 'allowOtherLabels', value: true });
    expect(e.message).toMatch(/add the class to the absent group or pass allowOtherLabels: true to drop/);
  });

  it('group errors name where the lists came from', async () => {
    const e = await caught(() => makeGroups(4, [0, 1], [1, 2], 'groups.json'));
    expect(info(e)).toMatchObject({
      code: 'groups',
      file: 'groups.json',
      problem: 'class 1 is both seen and absent',
    });
    const byDefault = await caught(() => makeGroups(4, []));
    expect(byDefault.message).toBe('class groups: the seen list is empty; name the fine-tuning classes');
  });

  it('bad numeric options name the option: γ, T, bins, chunk rows, δ', async () => {
    const logits = arraySource(new Float32Array([3, 1, 0, 0, 0, 0, 2, 1]), 2, 4);
    const labels = Int32Array.from([0, 2]);
    const cases: [() => Promise<unknown>, string][] = [
      [() => evaluate(cpu, { logits, labels, groups, gamma: Number.NaN }), 'gamma'],
      [() => evaluate(cpu, { logits, labels, groups, temperature: 0 }), 'temperature'],
      [() => evaluate(cpu, { logits, labels, groups, bins: 0 }), 'bins'],
      [() => evaluate(cpu, { logits, labels, groups, chunkRows: 1.5 }), 'chunkRows'],
      [
        () => calibrate(cpu, { logits, labels, groups, methods: ['constrained'], maxSeenDrop: -1 }),
        'maxSeenDrop',
      ],
    ];
    for (const [run, option] of cases) {
      const e = await caught(run);
      expect(e.code, option).toBe('option');
      expect(e.option, option).toEqual({ name: option });
      expect(e.fix).toMatch(/ as \{option\}$/);
      expect(e.message).toMatch(new RegExp(` as ${option}$`));
    }
  });

  it('a method without its input names the input option', async () => {
    const logits = arraySource(new Float32Array(8), 2, 4);
    const e = await caught(() =>
      calibrate(cpu, { logits, labels: Int32Array.from([0, 2]), groups, methods: ['alg'] }),
    );
    expect(info(e)).toMatchObject({ code: 'unsupported', option: { name: 'train' } });
    expect(e.message).toBe('alg needs the fine-tuning training logits and labels; pass train or drop alg');
  });

  it('a calibrator file with bad groups names the file and the field once', async () => {
    const json = { ...new Calibrator({ groups, gamma: 1, temperature: 1, method: 'alg' }).toJSON() };
    json.groups = { ...json.groups, absent: [1, 2, 3] };
    const e = await caught(() => Calibrator.fromJSON(json, 'cal.json'));
    expect(e.message).toBe(
      'cal.json: "groups": class 1 is both seen and absent; pass a calibrator file written by ftcal',
    );
  });
});

describe('structured errors of io', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftcal-errors-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a missing file is a file-access error; a malformed one is a bad-file error', async () => {
    const missing = await caught(() => openArray(join(dir, 'nope.npy')));
    expect(info(missing)).toEqual({
      code: 'file-access',
      file: join(dir, 'nope.npy'),
      problem: 'no such file',
      fix: 'check the path',
    });
    await writeFile(join(dir, 'text.npy'), 'not an array');
    const bad = await caught(() => openArray(join(dir, 'text.npy')));
    expect(bad.code).toBe('bad-file');
    expect(bad.file).toBe(join(dir, 'text.npy'));
  });

  it('a full or read-only disk is a one-line runtime failure (exit 1); other fs errors pass through', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    for (const [code, problem] of [
      ['ENOSPC', 'no space left on the device'],
      ['EDQUOT', 'the disk quota is exhausted'],
      ['EROFS', 'the file system is read-only'],
    ]) {
      const e = fsError('out.npy', errno(code!)) as FtcalError;
      expect(e).toBeInstanceOf(FtcalError);
      expect(e).not.toBeInstanceOf(InputError);
      expect(e.exitCode).toBe(1);
      expect(info(e)).toMatchObject({ code: 'output', file: 'out.npy', problem });
    }
    const missing = fsError('in.npy', errno('ENOENT')) as FtcalError;
    expect([missing.exitCode, missing.code]).toEqual([2, 'file-access']);
    for (const [code, exit, problem] of [
      ['EIO', 1, 'an I/O error on the device'],
      ['EFBIG', 1, 'the file would grow past'],
      ['EMFILE', 1, 'too many open files'],
      ['ENAMETOOLONG', 2, 'the name is too long'],
      ['ELOOP', 2, 'too many symbolic links'],
      ['ENOTDIR', 2, 'a parent of this path is not a directory'],
    ] as const) {
      const e = fsError('f.npy', errno(code)) as FtcalError;
      expect([e.exitCode, e.message.startsWith(`f.npy: ${problem}`)], code).toEqual([exit, true]);
      expect(e.message).toMatch(/; \S/);
    }
    const other = errno('ECONNRESET');
    expect(fsError('in.npy', other)).toBe(other);
  });

  it('labels and groups files get their own codes; a names-free name entry points at classNames', async () => {
    await writeFile(join(dir, 'labels.csv'), '0\n1.5\n');
    expect((await caught(() => readLabels(join(dir, 'labels.csv')))).code).toBe('labels');
    await writeFile(join(dir, 'groups.json'), JSON.stringify({ seen: ['cat'] }));
    const e = await caught(() => readGroupsFile(join(dir, 'groups.json')));
    expect(e.code).toBe('groups');
    expect(e.option).toEqual({ name: 'classNames' });
    expect(e.message).toMatch(/pass classNames \(one name per line\) or use indices$/);
  });
});

function accumulate(z: Float32Array, rows: number) {
  return statsOfArray(cpu, z, rows, 4, { groups });
}
