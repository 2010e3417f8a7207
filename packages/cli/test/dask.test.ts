import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from './expect-cli.ts';
import { scratch, syntheticSet, writeLabels, writeMatrix } from './files.ts';
import { BIN, ftcal } from './run-cli.ts';

const RECIPE = fileURLToPath(new URL('../../../examples/dask/map_reduce.py', import.meta.url));

/** A Python with Dask distributed: $PYTHON, Debian's (scripts/setup.sh installs python3-distributed), or python3. */
function daskPython(): string {
  for (const python of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (!python) continue;
    if (spawnSync(python, ['-c', 'import dask.distributed'], { encoding: 'utf8' }).status === 0)
      return python;
  }
  throw new Error('no python3 with dask.distributed (Debian: python3-distributed); run scripts/setup.sh');
}

describe('the Dask recipe (examples/dask): map on a LocalCluster, reduce with ftcal', () => {
  const s = scratch();
  const rows = [700, 1, 333];
  const cols = 16;
  const seen = [0, 1, 2, 3, 4, 5, 6, 7];

  beforeAll(async () => {
    const total = rows.reduce((a, b) => a + b, 0);
    const { logits, labels } = syntheticSet(21, total, cols, seen);
    await writeMatrix(s.path('all.npy'), logits, total, cols);
    await writeLabels(s.path('all-labels.npy'), labels);
    let at = 0;
    for (const [i, n] of rows.entries()) {
      await writeMatrix(s.path(`logits-${i}.npy`), logits.slice(at * cols, (at + n) * cols), n, cols);
      await writeLabels(s.path(`labels-${i}.npy`), labels.slice(at, at + n));
      at += n;
    }
    writeFileSync(s.path('groups.json'), JSON.stringify({ seen }));
  });
  afterAll(() => s.remove());

  it('runs one ftcal stats task per shard on 2 worker processes; the merged evaluation equals one run', () => {
    const r = spawnSync(
      daskPython(),
      [
        RECIPE,
        '--ftcal',
        `${process.execPath} ${BIN}`,
        '--logits',
        s.path('logits-*.npy'),
        '--labels',
        s.path('labels-*.npy'),
        '--groups',
        s.path('groups.json'),
        '--stats-dir',
        s.path('stats'),
        '--workers',
        '2',
        '--',
        'evaluate',
        '--gamma',
        '2',
        '--device',
        'cpu',
        '--json',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 tasks on 2 workers/);
    for (const [i, n] of rows.entries()) expect(r.stderr).toContain(`logits-${i}.npy: ${n} rows ->`);
    const merged = JSON.parse(r.stdout);
    const single = jsonOf(
      ftcal([
        'evaluate',
        '--logits',
        s.path('all.npy'),
        '--labels',
        s.path('all-labels.npy'),
        '--groups',
        s.path('groups.json'),
        '--gamma',
        '2',
        '--device',
        'cpu',
        '--json',
      ]),
    );
    const { labels: _l, stats: _s, ...rest } = merged;
    const { labels: _m, ...want } = single;
    expect({ ...rest, data: { ...rest.data, source: '' } }).toEqual({
      ...want,
      data: { ...want.data, source: '' },
    });
    expect(merged.data.source).toMatch(/3 statistics files/);
  });
});
