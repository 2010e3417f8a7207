export * from './descriptor.ts';
export {
  l2NormalizeKernel,
  l2NormalizeSubgroupKernel,
  l2NormalizeSubgroupVec4Kernel,
} from './l2-normalize.ts';
export { labelRankKernel } from './label-rank.ts';
export {
  LINEAR_XENT_COEFS,
  linearXentGradKernel,
  linearXentHvpKernel,
  maskFillKernel,
} from './linear-xent.ts';
export {
  MATMUL_TILE,
  MATMUL_TILE_128,
  matmulSmallKernel,
  matmulSmallSubgroupKernel,
  matmulTiled128Kernel,
  matmulTiledKernel,
  matmulTiledVec4Kernel,
} from './matmul.ts';
export {
  NLL_GRAD_KMAX,
  NLL_GRAD_TERMS,
  nllGradKernel,
  nllGradReduceKernel,
  nllGradSubgroupKernel,
} from './nll-grad.ts';
export {
  RADIX_SORT_DIGIT_BITS,
  RADIX_SORT_ITEMS,
  RADIX_SORT_MODE,
  RADIX_SORT_SCAN_BLOCK,
  radixSortDownsweepKernel,
  radixSortHistogramKernel,
  radixSortReduceKernel,
  radixSortScanKernel,
  radixSortScatterKernel,
} from './radix-sort.ts';
export {
  ROW_STATS_FIELDS,
  rowStatsKernel,
  rowStatsSubgroupKernel,
  rowStatsSubgroupVec4Kernel,
} from './row-stats.ts';
export { softmaxKernel, softmaxSubgroupKernel, softmaxSubgroupVec4Kernel } from './softmax.ts';
export {
  biasReluKernel,
  colSumKernel,
  reluBackwardKernel,
  sgdMomentumKernel,
  softmaxXentKernel,
} from './training.ts';
