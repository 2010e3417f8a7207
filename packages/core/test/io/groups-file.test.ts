import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGroups, readClassNames, readGroupsFile } from '../../src/io/groups-file.ts';
import { expectInputError, fixture, withTempDir } from './helpers.ts';

describe('class groups files', () => {
  it('JSON with indices, sorted, absent kept', async () => {
    expect(await readGroupsFile(fixture('groups.json'), { numClasses: 6 })).toEqual({
      seen: [0, 2, 4],
      absent: [1, 3],
    });
  });

  it('JSON with names through a class-names file', async () => {
    expect(await readClassNames(fixture('names.txt'))).toEqual([
      'cat',
      'dog',
      'fish',
      'bird',
      'frog',
      'red fox',
    ]);
    expect(await readGroupsFile(fixture('groups_names.json'), { classNames: fixture('names.txt') })).toEqual({
      seen: [0, 1],
      absent: [5],
    });
  });

  it('a text list of seen indices (lines, commas, spaces, comments) leaves absent to the default', async () => {
    expect(await readGroupsFile(fixture('seen.txt'), { numClasses: 6 })).toEqual({
      seen: [1, 3, 4],
      absent: null,
    });
    expect(parseGroups('0 2 5\n', 'g.txt')).toEqual({ seen: [0, 2, 5], absent: null });
  });

  it('a text list of names, one per line (names may hold spaces)', async () => {
    expect(await readGroupsFile(fixture('seen_names.txt'), { classNames: fixture('names.txt') })).toEqual({
      seen: [2, 5],
      absent: null,
    });
  });

  it('clear errors: overlap, range, unknown names, no names file, duplicates, empty, bad JSON', async () => {
    await expectInputError(
      readGroupsFile(fixture('overlap.json')),
      /overlap\.json: class 1 is both seen and absent; put each class in one group/,
    );
    await expectInputError(
      readGroupsFile(fixture('groups.json'), { numClasses: 4 }),
      /seen class 4 is out of range: the head has 4 classes \(0\.\.3\)/,
    );
    await expectInputError(
      readGroupsFile(fixture('groups_names.json')),
      /seen entry 'dog' is a name but no class-names file was given/,
    );
    await expectInputError(
      readGroupsFile(fixture('groups_names.json'), { classNames: ['cat', 'dog'] }),
      /absent class 'red fox' is not in the class names/,
    );
    await expectInputError(
      readGroupsFile(fixture('groups.json'), { numClasses: 5, classNames: fixture('names.txt') }),
      /names\.txt: lists 6 class names but the head has 5 classes/,
    );
    expect(() => parseGroups('{"seen": [1, 1]}', 'g.json')).toThrow(/seen lists class 1 twice/);
    expect(() => parseGroups('{"seen": [], "absent": [1]}', 'g.json')).toThrow(/the seen group is empty/);
    expect(() => parseGroups('{"seen": [0], "absent": []}', 'g.json')).toThrow(/the absent group is empty/);
    expect(() => parseGroups('{"seen": [0], "unseen": [1]}', 'g.json')).toThrow(
      /unknown key unseen; use only "seen" and "absent"/,
    );
    expect(() => parseGroups('{"seen": [0.5]}', 'g.json')).toThrow(/seen entry 0.5 is not a class index/);
    expect(() => parseGroups('{"seen": [0', 'g.json')).toThrow(/is not valid JSON/);
    expect(() => parseGroups('# nothing\n', 'g.txt')).toThrow(/the seen group is empty/);
    await expectInputError(readGroupsFile(fixture('nope.json')), /nope\.json: no such file/);
  });

  it('class-names files: duplicates and holes are errors', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'dup.txt'), 'a\nb\na\n');
      await expectInputError(readClassNames(join(dir, 'dup.txt')), /class name 'a' appears on lines 1 and 3/);
      await writeFile(join(dir, 'hole.txt'), 'a\n\nb\n');
      await expectInputError(readClassNames(join(dir, 'hole.txt')), /line 2 is empty/);
    });
  });
});
