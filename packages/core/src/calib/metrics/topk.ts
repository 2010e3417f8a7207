import type { AccumulatorJob, Backend } from '../../backend/backend.ts';
import { labelRankRow } from '../../cpu/label-rank.ts';
import type { ChunkAccumulator, DeviceChunk } from '../accumulators.ts';
import { percent } from '../accuracy.ts';
import { ABSENT, SEEN } from '../groups.ts';
import { checkOption } from '../option-checks.ts';

/** The accuracy-table keys top-k reports (DESIGN.md §1.2), as "Y/Y@5". */
export const TOP_K_SPLITS = ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U'] as const;
export type TopKKey = `${(typeof TOP_K_SPLITS)[number]}@${number}`;

/** Top-k accuracies in percent, keyed "Y/Y@k" … "U/U@k"; NaN for an empty label group. */
export type TopKTable = Partial<Record<TopKKey, number>>;

/** The pass's top-k job: the label's rank at bias γ, counted against k. */
export interface TopKParams {
  k: number;
  gamma: number;
}

/**
 * State words, all integer counts (so any split of the rows, and any merge of shards, gives the same
 * state): rows labelled in S and in U, and of those whose label is in the top k of all classes and of
 * their own group.
 */
const SEEN_ROWS = 0;
const ABSENT_ROWS = 1;
const SEEN_TOP_Y = 2;
const ABSENT_TOP_Y = 3;
const SEEN_TOP_OWN = 4;
const ABSENT_TOP_OWN = 5;

/** k of top-k: a whole number ≥ 2 (k = 1 is the accuracy table itself). */
export function checkTopK(k: number): void {
  checkOption(k, 'topK', 'k of top-k accuracy', 'topK');
}

function count(state: Float64Array, group: number, rankY: number, rankOwn: number, k: number): void {
  if (group === SEEN) {
    state[SEEN_ROWS]!++;
    if (rankY < k) state[SEEN_TOP_Y]!++;
    if (rankOwn < k) state[SEEN_TOP_OWN]!++;
  } else if (group === ABSENT) {
    state[ABSENT_ROWS]!++;
    if (rankY < k) state[ABSENT_TOP_Y]!++;
    if (rankOwn < k) state[ABSENT_TOP_OWN]!++;
  }
}

/**
 * Top-k accuracy splits (DESIGN.md §1.2) as a chunk accumulator of the one pass (calib/accumulators.ts):
 * each counted row's label rank at γ, by the CPU twin of the label-rank kernel while the row is in cache,
 * or, on the WebGPU backend, by the kernel itself (Backend.labelRanks) for the whole chunk. Rows
 * labelled in O belong to neither split and are not counted.
 */
export const topKAccumulator: ChunkAccumulator<TopKParams> = {
  stateLength: () => 6,
  addRow(state, params, chunk, r) {
    if (!chunk.labels) return;
    const y = chunk.labels[r]!;
    const { rankY, rankOwn } = labelRankRow(
      chunk.z,
      r * chunk.cols,
      chunk.cols,
      chunk.groups,
      y,
      params.gamma,
    );
    count(state, chunk.groups[y]!, rankY, rankOwn, params.k);
  },
  async addChunk(backend: Backend, state: Float64Array, params: TopKParams, chunk: DeviceChunk) {
    const { z, rows, cols, groups, labels, counted } = chunk;
    if (!labels) return;
    const ranks = await backend.labelRanks(z, rows, cols, { groups, labels, gamma: params.gamma });
    for (let r = 0; r < rows; r++) {
      if (counted[r]) count(state, groups[labels[r]!]!, ranks.rankY[r]!, ranks.rankOwn[r]!, params.k);
    }
  },
};

/** The pass job for top-k at (γ, the pass's T); γ alone decides the ranks. */
export function topKJob(k: number, gamma: number): AccumulatorJob {
  checkTopK(k);
  return { name: 'topK', params: { k, gamma } satisfies TopKParams };
}

/** The top-k table from a topK job's state. */
export function topKTable(state: Float64Array, k: number): TopKTable {
  return {
    [`Y/Y@${k}`]: percent(state[SEEN_TOP_Y]! + state[ABSENT_TOP_Y]!, state[SEEN_ROWS]! + state[ABSENT_ROWS]!),
    [`S/Y@${k}`]: percent(state[SEEN_TOP_Y]!, state[SEEN_ROWS]!),
    [`U/Y@${k}`]: percent(state[ABSENT_TOP_Y]!, state[ABSENT_ROWS]!),
    [`S/S@${k}`]: percent(state[SEEN_TOP_OWN]!, state[SEEN_ROWS]!),
    [`U/U@${k}`]: percent(state[ABSENT_TOP_OWN]!, state[ABSENT_ROWS]!),
  };
}
