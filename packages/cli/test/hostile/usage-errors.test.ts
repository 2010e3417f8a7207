import { afterAll, describe, expect, it } from 'vitest';
import {
  evaluateOn,
  expectOneLine,
  expectOptionError,
  hostileWorld,
  LABELLED,
  stderrLines,
} from './harness.ts';

const EVALUATE = ['evaluate', ...LABELLED, '--device', 'cpu'];

/**
 * Hostile battery, usage mistakes: every one is ONE line, `ftcal: --flag: <problem>; <fix>`, exit 2,
 * before any work, never commander's `error: …` plus `(run with --help for usage)`.
 */
describe('hostile: every usage mistake is one line with a fix', () => {
  const w = hostileWorld('usage');
  afterAll(() => w.remove());

  const values: [string, string, string, RegExp][] = [
    ['--gamma inf', '--gamma', 'inf', /'inf' is not a finite number/],
    ['--gamma abc', '--gamma', 'abc', /'abc' is not a/],
    ['--gamma empty', '--gamma', '', /'' is not a/],
    ['--gamma 0x10 (hex is not a decimal number)', '--gamma', '0x10', /'0x10'/],
    ['--gamma 1_000', '--gamma', '1_000', /'1_000'/],
    ['--gamma 1e', '--gamma', '1e', /'1e'/],
    ['--temperature 0', '--temperature', '0', /> 0/],
    ['--temperature -1', '--temperature', '-1', /> 0/],
    ['--temperature nan', '--temperature', 'nan', /'nan'/],
    ['--temperature -0', '--temperature', '-0', /> 0/],
    ['--bins abc', '--bins', 'abc', /whole number/],
    ['--nan-policy drop (a bad choice)', '--nan-policy', 'drop', /'drop' is not one of error, skip/],
    ['--device tpu (a bad choice)', '--device', 'tpu', /'tpu' is not one of auto, gpu, gpu:NAME, cpu/],
    ['--device GPU (choices are exact)', '--device', 'GPU', /'GPU' is not one of/],
  ];

  it.each(values)('%s', (_name, flag, value, says) => {
    const r = w.run([...EVALUATE, flag, value]);
    const line = expectOptionError(r, flag, says);
    expect(line).toMatch(/; (pass|use|choose|give)/);
  });

  it('--gamma=inf (the = spelling) is the same one line', () => {
    expectOptionError(w.run([...EVALUATE, '--gamma=inf']), '--gamma', /'inf'/);
  });

  it('a negative γ is a value, not an option', () => {
    const r = w.run([...EVALUATE, '--gamma', '-3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).gamma).toBe(-3);
  });

  it('an option missing its value (at the end) is one line', () => {
    expectOptionError(w.run([...EVALUATE, '--gamma']), '--gamma', /needs a value/);
  });

  it('an option whose value is the next flag is one line naming both', () => {
    expectOptionError(
      w.run(['evaluate', ...LABELLED, '--gamma', '--device', 'cpu']),
      '--gamma',
      /'--device'/,
    );
  });

  const mistakes: [string, string[], string, RegExp][] = [
    ['an unknown option', [...EVALUATE, '--gama', '1'], '--gama', /unknown option.*did you mean --gamma/],
    ['an unknown short option', [...EVALUATE, '-x'], '-x', /unknown option/],
    ['an unknown option at the top level', ['--gamma', '1'], '--gamma', /unknown option/],
    [
      'a missing required option',
      ['evaluate', '--logits', 'logits.npy', '--groups', 'groups.json'],
      '--labels',
      /required/,
    ],
    [
      'a missing required --out',
      ['apply', '--calibrator', 'c.json', '--logits', 'logits.npy'],
      '--out',
      /required/,
    ],
    [
      'a bad --method choice',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--method', 'foo'],
      '--method',
      /'foo' is not one of/,
    ],
    [
      'a bad --methods list',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--methods', 'alg,foo'],
      '--methods',
      /'foo' is not a method/,
    ],
    [
      'an empty --methods list',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--methods', ','],
      '--methods',
      /at least one/,
    ],
    [
      'conflicting --probs and --log-probs',
      [
        'apply',
        '--calibrator',
        'c.json',
        '--logits',
        'logits.npy',
        '--out',
        'o.npy',
        '--probs',
        '--log-probs',
      ],
      '--probs',
      /cannot be used with --log-probs/,
    ],
    [
      '--max-seen-drop abc',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--max-seen-drop', 'abc'],
      '--max-seen-drop',
      /'abc'/,
    ],
    [
      '--odir 1e-3 (one weight)',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--odir', '1e-3'],
      '--odir',
      /is not λ,μ/,
    ],
    [
      '--odir a,b',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--odir', 'a,b'],
      '--odir',
      /'a' is not a finite number ≥ 0/,
    ],
    [
      '--odir 1,-1 (a negative weight)',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--odir', '1,-1'],
      '--odir',
      /'-1' is not a finite number ≥ 0/,
    ],
    [
      '--bias without --weights',
      ['calibrate', ...LABELLED, '--out', 'c.json', '--method', 'wa', '--bias', 'labels.npy'],
      '--bias',
      /without its weights.*--weights W --bias b/,
    ],
    [
      '--seen empty',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', ''],
      '--seen',
      /empty|no class/,
    ],
    [
      '--seen 5-3 (backwards)',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', '5-3'],
      '--seen',
      /backwards/,
    ],
    [
      '--seen a-b',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', 'a-b'],
      '--seen',
      /not a class index/,
    ],
    [
      '--seen -1',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', '-1'],
      '--seen',
      /not a class index/,
    ],
    [
      '--seen 10 for 10 classes',
      ['evaluate', '--logits', 'logits.npy', '--labels', 'labels.npy', '--seen', '10'],
      '--seen',
      /10/,
    ],
  ];

  it.each(mistakes)('%s', (_name, args, flag, says) => {
    const r = w.run([
      ...args,
      ...(args.includes('--device') || args[0] === '--gamma' ? [] : ['--device', 'cpu']),
    ]);
    expectOptionError(r, flag, says);
  });

  it('an excess argument is one line', () => {
    expectOneLine(w.run([...EVALUATE, 'extra']), {
      code: 2,
      says: /unexpected argument 'extra'.*evaluate takes only options/,
    });
  });

  it('an unknown command is one line with the nearest command', () => {
    expectOneLine(w.run(['evalute']), { code: 2, says: /unknown command 'evalute'.*did you mean evaluate/ });
  });

  it('no command at all is one line listing the commands', () => {
    expectOneLine(w.run([]), { code: 2, says: /no command.*evaluate.*calibrate/ });
  });

  it('help unknown-command is one line', () => {
    expectOneLine(w.run(['help', 'nope']), { code: 2, says: /unknown command 'nope'/ });
  });

  it('--groups with --seen is one line', () => {
    expectOneLine(w.run([...EVALUATE, '--seen', '0-4']), { code: 2, says: /either --groups FILE or --seen/ });
  });

  it('--help, -h, help evaluate and --version still print to stdout and exit 0', () => {
    for (const args of [['--help'], ['-h'], ['help', 'evaluate'], ['evaluate', '--help'], ['--version']]) {
      const r = w.run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(stderrLines(r)).toEqual([]);
    }
  });

  it('a file name or value with a newline in it still gives one line', () => {
    const r = w.run(evaluateOn('bad\nname.npy'));
    expectOneLine(r, { code: 2, says: /bad\\nname\.npy/ });
    expectOptionError(w.run([...EVALUATE, '--gamma', '1\n2']), '--gamma', /'1\\n2'/);
  });
});
