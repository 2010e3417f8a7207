import { DOMAIN_B, type DomainShift } from './domain.ts';

/** Every size and hyperparameter of one demo run; a run is a pure function of this and the seed. */
export interface DemoConfig {
  /** Share of each digit's images used (quick runs use fewer). */
  use: number;
  /** Per-digit shares of pre-training (domain A) and fine-tuning (domain B); the rest is the test set. */
  pretrainShare: number;
  finetuneShare: number;
  hidden: number;
  seen: number[];
  absent: number[];
  domain: DomainShift;
  batchSize: number;
  momentum: number;
  weightDecay: number;
  pretrain: { epochs: number; lr: number };
  finetune: { epochs: number; lr: number };
  /**
   * Pseudo cross-validation: folds over S. Each fold model is fine-tuned like the main model (all rows of
   * its classes, the same number of SGD steps) and scored on every S row of the fine-tuning data.
   */
  pcv: { folds: number };
}

export function demoConfig(quick: boolean): DemoConfig {
  return {
    use: quick ? 0.3 : 1,
    pretrainShare: 0.5,
    finetuneShare: 0.3,
    hidden: 256,
    seen: [0, 1, 2, 3, 4],
    absent: [5, 6, 7, 8, 9],
    domain: DOMAIN_B,
    batchSize: 64,
    momentum: 0.9,
    weightDecay: 5e-4,
    pretrain: { epochs: quick ? 3 : 4, lr: 0.05 },
    finetune: { epochs: 3, lr: 0.005 },
    pcv: { folds: 2 },
  };
}
