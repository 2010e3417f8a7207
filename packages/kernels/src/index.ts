/// <reference path="./wgsl.d.ts" />
export * from './descriptor.ts';
export { MATMUL_TILE, matmulSmallKernel, matmulTiledKernel, matmulTiledVec4Kernel } from './matmul.ts';
export { ROW_STATS_FIELDS, rowStatsKernel } from './row-stats.ts';
export { softmaxKernel } from './softmax.ts';
export {
  biasReluKernel,
  colSumKernel,
  reluBackwardKernel,
  sgdMomentumKernel,
  softmaxXentKernel,
} from './training.ts';
