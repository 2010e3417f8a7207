import type { CurveMark, CurvePoint, ReliabilityBin, ReportInput } from '../../src/report/types.ts';

/**
 * Synthetic report data with the shape of a real run: thresholds t per row, whether each row is right
 * when it stays in S∪O or moves to U, and the curve and marks computed from them by brute force
 * (every γ re-scans every row), independently of the engine's sweep.
 */

/**
 * Seeded mulberry32, as in gpu-harness.ts; copied so the report tests, which need no GPU, do not load
 * the WebGPU backend through the harness.
 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomNormal(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

export interface SyntheticRows {
  threshold: number[];
  absent: boolean[];
  correctIfSO: boolean[];
  correctIfU: boolean[];
}

export function syntheticRows(n: number, seed = 7): SyntheticRows {
  const next = rng(seed);
  const rows: SyntheticRows = { threshold: [], absent: [], correctIfSO: [], correctIfU: [] };
  for (let i = 0; i < n; i++) {
    const absent = next() < 0.35;
    rows.absent.push(absent);
    // Fine-tuning inflates seen logits: absent rows also sit mostly at t > 0, just less so.
    rows.threshold.push(Math.round((absent ? 1.5 : 4) * 100 + 200 * randomNormal(next)) / 100);
    rows.correctIfSO.push(!absent && next() < 0.9);
    rows.correctIfU.push(absent && next() < 0.75);
  }
  return rows;
}

export function accuracyAtGamma(rows: SyntheticRows, gamma: number): CurvePoint {
  let s = 0;
  let sc = 0;
  let u = 0;
  let uc = 0;
  rows.threshold.forEach((t, i) => {
    const correct = gamma > t ? rows.correctIfU[i] : rows.correctIfSO[i];
    if (rows.absent[i]) {
      u++;
      uc += correct ? 1 : 0;
    } else {
      s++;
      sc += correct ? 1 : 0;
    }
  });
  return { gamma, seen: (100 * sc) / s, unseen: (100 * uc) / u, overall: (100 * (sc + uc)) / (s + u) };
}

export function bruteCurve(rows: SyntheticRows): CurvePoint[] {
  const taus = [...new Set(rows.threshold)].sort((a, b) => a - b);
  const gammas = [taus[0]! - 1];
  for (let k = 0; k + 1 < taus.length; k++) gammas.push((taus[k]! + taus[k + 1]!) / 2);
  gammas.push(taus[taus.length - 1]! + 1);
  return gammas.map((g) => accuracyAtGamma(rows, g));
}

export function trapezoidAusuc(points: readonly CurvePoint[]): number {
  let area = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k]!;
    const b = points[k + 1]!;
    area += ((a.seen - b.seen) / 100) * ((a.unseen + b.unseen) / 200);
  }
  return area;
}

export function marksOf(points: readonly CurvePoint[], rows: SyntheticRows): CurveMark[] {
  const best = (score: (p: CurvePoint) => number) =>
    points.reduce((b, p) => (score(p) > score(b) ? p : b), points[0]!);
  const hm = (p: CurvePoint) => (2 * p.seen * p.unseen) / (p.seen + p.unseen);
  return [
    { label: 'γ=0', ...accuracyAtGamma(rows, 0) },
    { label: 'alg', ...accuracyAtGamma(rows, 2.4) },
    { label: 'oracle', ...best((p) => p.overall) },
    { label: 'hmean', ...best(hm) },
  ];
}

export function syntheticBins(seed: number, sharpness: number): ReliabilityBin[] {
  const next = rng(seed);
  const bins: ReliabilityBin[] = Array.from({ length: 15 }, (_, i) => ({
    lo: i / 15,
    hi: (i + 1) / 15,
    count: 0,
    meanConfidence: 0,
    accuracy: 0,
  }));
  for (let i = 0; i < 3000; i++) {
    const p = Math.min(1, 0.2 + 0.8 * next() ** sharpness);
    const bin = Math.min(14, Math.max(0, Math.ceil(p * 15) - 1));
    const b = bins[bin]!;
    b.count++;
    b.meanConfidence += p;
    // Over-confident before calibration: the true hit rate trails the confidence.
    b.accuracy += next() < p ** (sharpness > 1 ? 1 : 1.6) ? 1 : 0;
  }
  for (const b of bins) {
    b.meanConfidence = b.count ? b.meanConfidence / b.count : Number.NaN;
    b.accuracy = b.count ? b.accuracy / b.count : Number.NaN;
  }
  return bins;
}

export function eceOf(bins: readonly ReliabilityBin[]): number {
  const n = bins.reduce((a, b) => a + b.count, 0);
  return bins.reduce(
    (a, b) => (b.count ? a + (b.count / n) * Math.abs(b.accuracy - b.meanConfidence) : a),
    0,
  );
}

export function syntheticReport(n = 600): ReportInput {
  const rows = syntheticRows(n);
  const points = bruteCurve(rows);
  const marks = marksOf(points, rows);
  const ausuc = trapezoidAusuc(points);
  const before = syntheticBins(3, 0.6);
  const after = syntheticBins(3, 1.4);
  const table = (m: CurveMark) => ({
    gamma: m.gamma,
    temperature: 1,
    'Y/Y': m.overall!,
    'S/Y': m.seen,
    'U/Y': m.unseen,
    H: (2 * m.seen * m.unseen) / (m.seen + m.unseen),
    ausuc,
  });
  const seenT: number[] = [];
  const unseenT: number[] = [];
  rows.threshold.forEach((t, i) => {
    (rows.absent[i] ? unseenT : seenT).push(t);
  });
  return {
    evaluated: [
      ['logits', 'val_logits.npy (600×100, f32)'],
      ['labels', 'val_labels.npy'],
      ['groups', '60 seen, 40 absent, 0 other'],
    ],
    device: 'llvmpipe (LLVM 15.0.6, 256 bits), OpenGL ES, software',
    date: new Date('2025-03-01T12:00:00Z'),
    calibration: {
      method: 'alg',
      before: { ...table(marks[0]!), 'S/S': 91.2, 'U/U': 80.4, nll: 1.234, ece: eceOf(before), brier: 0.41 },
      after: { ...table(marks[1]!), 'S/S': 91.2, 'U/U': 80.4, nll: 0.987, ece: eceOf(after), brier: 0.33 },
    },
    methods: marks.slice(1).map((m) => ({ method: m.label, table: table(m) })),
    curve: { points, marks, ausuc },
    reliability: [
      { label: 'Before', bins: before, ece: eceOf(before) },
      { label: 'After (alg)', bins: after, ece: eceOf(after) },
    ],
    logitGap: { thresholds: { seen: seenT, unseen: unseenT }, markers: marks },
    classes: {
      seen: Array.from({ length: 60 }, (_, i) => `class_${i}`),
      absent: Array.from({ length: 40 }, (_, i) => `class_${60 + i}`),
    },
  };
}
