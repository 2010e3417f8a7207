import { describe, expect, it } from 'vitest';
import { openCsv, parseCsv } from '../../src/io/csv.ts';
import { expectAllRanges, expected, expectInputError, expectSameValues, fixture } from './helpers.ts';

describe('csv / text reader', () => {
  for (const name of ['savetxt.txt', 'header.csv', 'semicolon.csv']) {
    it(`${name} equals what NumPy's loadtxt reads`, async () => {
      const want = await expected(name);
      const source = await openCsv(fixture(name));
      expect(source.shape).toEqual(want.shape);
      expectSameValues(await source.readRowsF64(0, source.rows), want.values);
      await expectAllRanges(source, want.values);
      await source.close();
    });
  }

  it('detects a header row and keeps its names', async () => {
    const source = await openCsv(fixture('header.csv'));
    expect(source.columns).toEqual(['a', 'b', 'c', 'd']);
    expect((await openCsv(fixture('semicolon.csv'))).columns).toBeNull();
  });

  it('delimiters: comma, semicolon, tab, whitespace; CRLF; quoted numbers', () => {
    for (const text of [
      '1,2\n3,4\n',
      '1;2\r\n3;4\r\n',
      '1\t2\n3\t4',
      '  1   2\n3 4\n\n',
      '"1","2"\n"3","4"\n',
    ]) {
      const s = parseCsv(text, 't.csv');
      expect([s.rows, s.cols]).toEqual([2, 2]);
    }
  });

  it('errors name the file, line and column', async () => {
    await expectInputError(
      openCsv(fixture('ragged.csv')),
      /ragged\.csv: line 3 has 2 values but line 1 has 3; give every row/,
    );
    await expectInputError(
      openCsv(fixture('word.csv')),
      /word\.csv: line 3, column 2 'oops' is not a number/,
    );
    expect(() => parseCsv('1,,3\n', 'e.csv')).toThrow(/line 1, column 2 is empty/);
    expect(() => parseCsv('# only a comment\n\n', 'e.csv')).toThrow(/holds no rows of numbers/);
    expect(() => parseCsv('a,b\n1,2,3\n', 'h.csv')).toThrow(/line 2 has 3 values but the header has 2/);
    expect(() => parseCsv('1,0x10\n', 'x.csv')).toThrow(/'0x10' is not a number/);
  });

  it('labels from a text file of integers', async () => {
    const source = await openCsv(fixture('labels.txt'));
    expect(source.shape).toEqual([5, 1]);
    expectSameValues(await source.readRowsF64(0, 5), [2, 0, 3, 1, 1]);
  });
});
