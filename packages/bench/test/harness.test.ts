import { describe, expect, it } from 'vitest';
import { measure, summarize } from '../src/harness.ts';

describe('bench harness', () => {
  it('summarizes with the median and the extremes', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(() => summarize([])).toThrow(/no values/);
  });

  it('runs the warm-up calls, then repetitions up to the cap', async () => {
    let calls = 0;
    const t = await measure(
      async () => {
        calls++;
      },
      { warmup: 2, reps: 5, budgetMs: 1e9 },
    );
    expect(calls).toBe(7);
    expect(t).toMatchObject({ warmup: 2, reps: 5, gpuMs: null, passes: null });
  });

  it('stops at the fewest repetitions once the budget is spent', async () => {
    let calls = 0;
    const t = await measure(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
      },
      { warmup: 0, reps: 50, minReps: 2, budgetMs: 0 },
    );
    expect(t.reps).toBe(2);
    expect(calls).toBe(2);
  });
});
