import { readFileSync } from 'node:fs';
import { arraySource, type RowSource } from '../../src/io/row-source.ts';

/** A matrix as make_golden.py writes it: finite values, plus the flat indices of -Infinity entries. */
export interface EncodedMatrix {
  rows: number;
  cols: number;
  values: number[];
  negInf: number[];
}

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function decode(m: EncodedMatrix): Matrix {
  const data = Float32Array.from(m.values);
  for (const i of m.negInf) data[i] = Number.NEGATIVE_INFINITY;
  return { rows: m.rows, cols: m.cols, data };
}

export function sourceOf(m: Matrix, name = '<fixture>'): RowSource {
  return arraySource(m.data, m.rows, m.cols, name);
}

/** JSON has no NaN: make_golden.py writes null for it. */
export type Golden = number | null;

export interface GoldenTable {
  'Y/Y': Golden;
  'S/Y': Golden;
  'U/Y': Golden;
  'S/S': Golden;
  'U/U': Golden;
  H: Golden;
}

export interface GoldenBin {
  lo: Golden;
  hi: Golden;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

export interface GoldenMetrics {
  gamma: number;
  temperature: number;
  nll: number;
  brier: number;
  ece: number;
  eceEqualMass: number;
  bins: GoldenBin[];
  binsEqualMass: GoldenBin[];
  seen: { nll: number; brier: number; ece: number } | null;
  absent: { nll: number; brier: number; ece: number } | null;
}

export interface GoldenStat {
  count: number;
  mean: Golden;
  std: Golden;
}

export interface Fixture {
  name: string;
  numClasses: number;
  seen: number[];
  absent: number[];
  logits: Matrix;
  labels: Int32Array;
  train: { logits: Matrix; labels: Int32Array };
  folds: { seen: number[]; labels: Int32Array; logits: Matrix; pretrained: Matrix }[];
  features: { dim: number; reference: Matrix; referenceLabels: Int32Array; eval: Matrix };
  weights: Matrix;
  expected: {
    accuracy: { gamma: number; table: GoldenTable }[];
    curve: {
      points: { gamma: number; seen: number; unseen: number; overall: number }[];
      ausuc: number;
      distinctThresholds: number;
    };
    methods: {
      alg: number;
      oracle: number;
      hmean: number;
      constrained: Record<string, number>;
      pcv: number;
      pcvFolds: { gamma: number; pretrainedUnseen: number }[];
      nll: { gamma: number; temperature: number; nll: number };
      temperature: { gamma: number; temperature: number; nll: number };
    };
    metrics: GoldenMetrics[];
    ncm: GoldenTable;
    diagnostics: {
      logits: Record<string, Record<string, GoldenStat>>;
      maxLogits: Record<string, Record<string, GoldenStat>>;
      thresholds: Record<string, GoldenStat>;
      weightNorms: Record<string, GoldenStat>;
    };
  };
}

export const FIXTURES = ['basic', 'tied-thresholds', 'exact-ties'] as const;

const cache = new Map<string, Fixture>();

export function loadFixture(name: (typeof FIXTURES)[number]): Fixture {
  const hit = cache.get(name);
  if (hit) return hit;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON, decoded field by field below
  const raw: any = JSON.parse(readFileSync(new URL(`../golden/${name}.json`, import.meta.url), 'utf8'));
  const labels = (v: number[]) => Int32Array.from(v);
  const fx: Fixture = {
    ...raw,
    logits: decode(raw.logits),
    labels: labels(raw.labels),
    train: { logits: decode(raw.train.logits), labels: labels(raw.train.labels) },
    // biome-ignore lint/suspicious/noExplicitAny: raw JSON
    folds: raw.folds.map((f: any) => ({
      seen: f.seen,
      labels: labels(f.labels),
      logits: decode(f.logits),
      pretrained: decode(f.pretrained),
    })),
    features: {
      dim: raw.features.dim,
      reference: decode(raw.features.reference),
      referenceLabels: labels(raw.features.referenceLabels),
      eval: decode(raw.features.eval),
    },
    weights: decode(raw.weights),
  };
  cache.set(name, fx);
  return fx;
}

/** Golden null stands for NaN. */
export function expectValue(actual: number, golden: Golden, tol = 0): void {
  if (golden === null) {
    if (!Number.isNaN(actual)) throw new Error(`expected NaN, got ${actual}`);
    return;
  }
  const err = Math.abs(actual - golden);
  if (!(err <= tol * Math.max(1, Math.abs(golden)))) {
    throw new Error(`expected ${golden}, got ${actual} (|error| ${err} > tolerance ${tol})`);
  }
}

export function expectTable(actual: Record<string, number | undefined>, golden: GoldenTable, tol = 0): void {
  for (const key of ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H'] as const) {
    try {
      expectValue(actual[key]!, golden[key], tol);
    } catch (e) {
      throw new Error(`${key}: ${(e as Error).message}`);
    }
  }
}
