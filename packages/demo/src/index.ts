export type { DemoConfig } from './config.ts';
export { DEMO_METHODS, type DemoMethod, type DemoRow } from './evaluate.ts';
export { forward as mlpForward, gradients as mlpGradients, initMlp, type Mlp } from './mlp.ts';
export type { DemoProgress } from './pipeline.ts';
export { demoReportInput } from './report.ts';
export { type DemoOptions, type DemoResult, type DemoRun, runDemo } from './run.ts';
export { type TrainOptions, type TrainResult, train as trainMlp } from './train.ts';
export {
  type BiasReluOptions,
  type SgdMomentumOptions,
  type SgdMomentumResult,
  type SoftmaxXentResult,
  type TrainingBackend,
  type TrainingOps,
  trainingOps,
  withTraining,
} from './training.ts';
export type { DemoVerdict } from './verdict.ts';
