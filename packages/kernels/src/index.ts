/// <reference path="./wgsl.d.ts" />
export * from './descriptor.ts';
export { softmaxKernel } from './softmax.ts';
export {
  biasReluKernel,
  colSumKernel,
  reluBackwardKernel,
  sgdMomentumKernel,
  softmaxXentKernel,
} from './training.ts';
