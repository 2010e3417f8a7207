import { InputError, OPTION_KINDS, type OptionKind } from '@ftcal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexRanges, parseIndexList, parseNumber } from '../src/options.ts';

const KINDS = Object.keys(OPTION_KINDS) as OptionKind[];

/** What the validator gives back for `text`: the number, or the one-line message it refused with. */
function outcome(text: string, kind: OptionKind): number | string {
  try {
    return parseNumber('--x', text, kind);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message;
  }
}

/** Texts a user might type: numbers of every size and sign, and near misses (hex, `_`, words, spaces). */
const typed = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom(
    '',
    ' ',
    'inf',
    'Infinity',
    '-Infinity',
    'NaN',
    'nan',
    '0x10',
    '1_000',
    '1e',
    '.',
    '-0',
    '+1',
    '1e39',
    '3.5e38',
    '1e-39',
    '2.9e-39',
    '１',
  ),
  fc.string(),
  fc.tuple(fc.double(), fc.constantFrom(' ', '\n', 'e', 'x', '_')).map(([x, s]) => `${x}${s}`),
);

describe('the option validator (fast-check)', () => {
  it('accepts only values its kind allows, float32-safe where used, and refuses the rest in one line', () => {
    fc.assert(
      fc.property(typed, fc.constantFrom(...KINDS), (text, kind) => {
        const { ok, integer, want, example } = OPTION_KINDS[kind];
        const got = outcome(text, kind);
        if (typeof got === 'number') {
          expect(ok(got)).toBe(true);
          expect(Number.isFinite(got)).toBe(true);
          if (integer) expect(Number.isSafeInteger(got)).toBe(true);
          if (kind === 'gamma' || kind === 'temperature')
            expect(Number.isFinite(Math.fround(got))).toBe(true);
          if (kind === 'temperature') expect(Number.isFinite(Math.fround(1 / got))).toBe(true);
        } else {
          expect(got.startsWith(`--x: '`)).toBe(true);
          expect(got).toContain(`is not ${want}; pass one, e.g. --x ${example}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives back exactly the number a user wrote, whenever it is allowed', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.constantFrom(...KINDS), (x, kind) => {
        const { ok, integer } = OPTION_KINDS[kind];
        fc.pre(ok(x) && (!integer || Number.isSafeInteger(x)));
        expect(parseNumber('--x', String(x), kind)).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 3000 },
    );
  });

  it('every kind’s example is a value it accepts', () => {
    for (const kind of KINDS) expect(typeof outcome(OPTION_KINDS[kind].example, kind)).toBe('number');
  });

  it('index lists are checked against C before any range is expanded', () => {
    const range = fc
      .tuple(fc.nat(10 ** 12), fc.nat(10 ** 12))
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    fc.assert(
      fc.property(
        fc.array(range, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 2, max: 64 }),
        (ranges, c) => {
          const text = ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
          const top = Math.max(...ranges.map(([, hi]) => hi));
          if (top < c) {
            expect(parseIndexList('--seen', text, c)).toEqual(
              ranges.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k)),
            );
          } else {
            expect(() => parseIndexList('--seen', text, c)).toThrow(
              /^--seen: class \d+ is (outside|beyond)|^--seen: class '\d+' is beyond/,
            );
          }
        },
      ),
    );
    expect(() => indexRanges('--seen', '5-3')).toThrow(/runs backwards/);
    expect(() => indexRanges('--seen', '')).toThrow(/the class list is empty/);
  });
});
