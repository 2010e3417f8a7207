import { describe, expect, it } from 'vitest';
import { ResidentLogits } from '../src/backend/resident-logits.ts';
import { InputError } from '../src/errors.ts';
import { arraySource, type RowSource } from '../src/io/row-source.ts';

/** A 10×3 source whose value at (r, c) is r·10 + c, counting the rows each read asks for. */
function countingSource(rows = 10, cols = 3): RowSource & { reads: [number, number][] } {
  const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.floor(i / cols) * 10 + (i % cols));
  const inner = arraySource(data, rows, cols, 'counted.npy');
  const reads: [number, number][] = [];
  return {
    ...inner,
    reads,
    readRows(start: number, count: number) {
      reads.push([start, count]);
      // A fresh copy, as a file reader gives: held chunks must not depend on the caller's array.
      return inner.readRows(start, count).then((z) => z.slice());
    },
  };
}

const labels = Int32Array.from({ length: 10 }, (_, r) => r % 3);

async function collect(logits: ResidentLogits) {
  const out: { r0: number; rows: number; first: number[]; labels: number[] }[] = [];
  await logits.forEach((c) => {
    out.push({
      r0: c.r0,
      rows: c.rows,
      first: Array.from(c.z.subarray(0, c.cols)),
      labels: Array.from(c.labels ?? []),
    });
  });
  return out;
}

describe('ResidentLogits on the host', () => {
  it('plans chunks of the kept rows with their row ranges and labels, dropping what keep drops', async () => {
    const keep = Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
    const logits = ResidentLogits.of(countingSource(), { labels, keep, chunkRows: 4 });
    expect([logits.rows, logits.cols, logits.chunks, logits.labelled]).toEqual([6, 3, 3, true]);
    expect([0, 1, 2].map((i) => logits.range(i))).toEqual([
      { r0: 0, rows: 3 },
      { r0: 3, rows: 2 },
      { r0: 5, rows: 1 },
    ]);
    expect(await collect(logits)).toEqual([
      { r0: 0, rows: 3, first: [0, 1, 2], labels: [0, 2, 0] },
      { r0: 3, rows: 2, first: [60, 61, 62], labels: [0, 1] },
      { r0: 5, rows: 1, first: [80, 81, 82], labels: [2] },
    ]);
    expect(logits.labelsOf(1)).toEqual(Int32Array.of(0, 1));
  });

  it('reads the source once when everything fits, and holds its own copy of the data', async () => {
    const source = countingSource();
    const logits = ResidentLogits.of(source, { labels, chunkRows: 4 });
    expect(logits.resident).toBe(true);
    const first = await collect(logits);
    expect(await collect(logits)).toEqual(first);
    expect(source.reads).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
  });

  it('holds the chunks that fit and re-reads only the rest on every pass', async () => {
    const source = countingSource();
    // Two chunks of 4 rows × 3 columns × 4 bytes fit in 100 bytes; the third is streamed.
    const logits = ResidentLogits.of(source, { labels, chunkRows: 4, residentBytes: 100 });
    expect([logits.resident, logits.residentRows]).toEqual([false, 8]);
    const first = await collect(logits);
    source.reads.length = 0;
    expect(await collect(logits)).toEqual(first);
    expect(source.reads).toEqual([[8, 2]]);
    // Released, it reads everything again (and holds it again).
    logits.release();
    source.reads.length = 0;
    await collect(logits);
    expect(source.reads).toHaveLength(3);
  });

  it('streams everything with residentBytes 0', async () => {
    const source = countingSource();
    const logits = ResidentLogits.of(source, { chunkRows: 5, residentBytes: 0 });
    await collect(logits);
    await collect(logits);
    expect(source.reads).toHaveLength(4);
    expect(logits.residentRows).toBe(0);
    expect(logits.labelsOf(0)).toBeNull();
  });

  it('checks the labels once, when made', () => {
    const bad = Int32Array.from(labels);
    bad[7] = 3;
    const e = (() => {
      try {
        ResidentLogits.of(countingSource(), { labels: bad });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(/label 3 at row 7 is outside \[0, 3\)/);
    expect(() => ResidentLogits.of(countingSource(), { labels: labels.subarray(1) })).toThrow(
      /counted.npy: 10 rows of logits but 9 labels/,
    );
  });

  it('keeps one copy per owner, made once, released with the logits; a failed one is not kept', async () => {
    const logits = ResidentLogits.of(countingSource());
    const owner = {};
    let made = 0;
    let released = 0;
    const make = async () => {
      made++;
      return { release: () => void released++ };
    };
    const a = await logits.copyFor(owner, make);
    expect(await logits.copyFor(owner, make)).toBe(a);
    expect(made).toBe(1);
    await expect(logits.copyFor({}, () => Promise.reject(new Error('no memory')))).rejects.toThrow(
      'no memory',
    );
    logits.release();
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toBe(1);
    await logits.copyFor(owner, make);
    expect(made).toBe(2);
  });

  it('stops at the first failing chunk, with its error', async () => {
    const logits = ResidentLogits.of(countingSource(), { chunkRows: 2 });
    let seen = 0;
    await expect(
      logits.forEach(() => {
        if (++seen === 2) throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(seen).toBe(2);
  });
});
