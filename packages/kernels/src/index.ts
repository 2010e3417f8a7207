/// <reference path="./wgsl.d.ts" />
export * from './descriptor.ts';
export { ROW_STATS_FIELDS, rowStatsKernel } from './row-stats.ts';
export { softmaxKernel } from './softmax.ts';
export {
  biasReluKernel,
  colSumKernel,
  reluBackwardKernel,
  sgdMomentumKernel,
  softmaxXentKernel,
} from './training.ts';
