import { readFileSync, writeFileSync } from 'node:fs';
import { writeLabels, writeMatrix } from './files.ts';

/**
 * Core's golden fixtures (packages/core/test/golden/*.json, computed by make_golden.py with NumPy): the
 * independent numbers the CLI's output is checked against.
 */
interface EncodedMatrix {
  rows: number;
  cols: number;
  values: number[];
  negInf: number[];
}

type Table = Record<'Y/Y' | 'S/Y' | 'U/Y' | 'S/S' | 'U/U' | 'H', number | null>;

export interface Golden {
  numClasses: number;
  seen: number[];
  absent: number[];
  expected: {
    accuracy: { gamma: number; table: Table }[];
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
      nll: { gamma: number; temperature: number; nll: number };
      temperature: { gamma: number; temperature: number; nll: number };
    };
    metrics: { gamma: number; temperature: number; nll: number; brier: number; ece: number }[];
    ncm: Table;
  };
}

function decode(m: EncodedMatrix): Float32Array {
  const data = Float32Array.from(m.values);
  for (const i of m.negInf) data[i] = Number.NEGATIVE_INFINITY;
  return data;
}

/** Writes a fixture's arrays as the files a user would pass, and returns the expected values. */
export async function writeGolden(name: string, path: (file: string) => string): Promise<Golden> {
  // biome-ignore lint/suspicious/noExplicitAny: raw fixture JSON, read field by field below
  const raw: any = JSON.parse(
    readFileSync(new URL(`../../core/test/golden/${name}.json`, import.meta.url), 'utf8'),
  );
  const matrix = (file: string, m: EncodedMatrix) => writeMatrix(path(file), decode(m), m.rows, m.cols);
  await matrix('logits.npy', raw.logits);
  await writeLabels(path('labels.npy'), raw.labels);
  await matrix('fit-logits.npy', raw.train.logits);
  await writeLabels(path('fit-labels.npy'), raw.train.labels);
  for (const [i, f] of raw.folds.entries()) {
    await matrix(`fold${i}-logits.npy`, f.logits);
    await matrix(`fold${i}-pretrained.npy`, f.pretrained);
    await writeLabels(path(`fold${i}-labels.npy`), f.labels);
  }
  await matrix('features.npy', raw.features.eval);
  await matrix('ref-features.npy', raw.features.reference);
  await writeLabels(path('ref-labels.npy'), raw.features.referenceLabels);
  await matrix('weights.npy', raw.weights);
  writeFileSync(path('groups.json'), JSON.stringify({ seen: raw.seen, absent: raw.absent }));
  return raw as Golden;
}

/** Golden null stands for NaN, which JSON output prints as null too. */
/** The labelled-set arguments for the files `writeGolden` wrote, on the CPU backend. */
export function labelledArgs(path: (file: string) => string): string[] {
  return [
    '--logits',
    path('logits.npy'),
    '--labels',
    path('labels.npy'),
    '--groups',
    path('groups.json'),
    '--device',
    'cpu',
  ];
}

export function expectClose(actual: number | null, golden: number | null, tol: number, what: string): void {
  if (golden === null || actual === null) {
    if (golden !== actual) throw new Error(`${what}: expected ${golden}, got ${actual}`);
    return;
  }
  const err = Math.abs(actual - golden);
  if (!(err <= tol * Math.max(1, Math.abs(golden)))) {
    throw new Error(`${what}: expected ${golden}, got ${actual} (|error| ${err} > ${tol})`);
  }
}

export function expectTable(
  actual: Record<string, number | null>,
  golden: Table,
  tol: number,
  what: string,
): void {
  for (const key of ['Y/Y', 'S/Y', 'U/Y', 'S/S', 'U/U', 'H'] as const) {
    expectClose(actual[key] ?? null, golden[key], tol, `${what} ${key}`);
  }
}
