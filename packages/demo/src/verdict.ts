import type { DemoMethod, DemoRow } from './evaluate.ts';

/** What the numbers say, decided from them (never canned): did fine-tuning collapse U/Y, did γ restore it. */
export interface DemoVerdict {
  /** Fine-tuned U/Y is below half the pre-trained model's. */
  collapsed: boolean;
  /** NCM U/Y on the fine-tuned features fell by at most 1 point, or by under a quarter of the logits' U/Y loss. */
  featuresIntact: boolean;
  /** Per method: calibrated U/Y regained at least half of what fine-tuning lost, and Y/Y beats fine-tuned. */
  recovered: Partial<Record<DemoMethod, boolean>>;
  /** Deployable methods (no absent-class labels) that recovered it. */
  recoveredBy: DemoMethod[];
  sentences: string[];
}

const DEPLOYABLE: readonly DemoMethod[] = ['alg', 'pcv'];

const pct = (v: number) => `${v.toFixed(1)}%`;

export function demoVerdict(rows: readonly DemoRow[]): DemoVerdict {
  const pre = rows.find((r) => r.model === 'pre-trained' && r.method === null)!;
  const ft = rows.find((r) => r.model === 'fine-tuned' && r.method === null)!;
  const preU = pre.accuracy['U/Y'];
  const ftU = ft.accuracy['U/Y'];
  const collapsed = ftU < preU / 2;
  const sentences: string[] = [];
  sentences.push(
    collapsed
      ? `Fine-tuning on S collapsed U/Y from ${pct(preU)} to ${pct(ftU)} (S/Y ${pct(pre.accuracy['S/Y'])} → ${pct(ft.accuracy['S/Y'])}, Y/Y ${pct(pre.accuracy['Y/Y'])} → ${pct(ft.accuracy['Y/Y'])}).`
      : `Fine-tuning on S did not collapse U/Y this time: ${pct(preU)} before, ${pct(ftU)} after.`,
  );
  const ncmPre = pre.ncm['U/Y'];
  const ncmFt = ft.ncm['U/Y'];
  const ncmDrop = ncmPre - ncmFt;
  // The paper's point: the logits' U/Y collapses while nearest-class-mean accuracy on the features does not.
  const featuresIntact = ncmDrop <= 1 || ncmDrop < (preU - ftU) / 4;
  const ncmText = `NCM U/Y on the hidden features: ${pct(ncmPre)} pre-trained, ${pct(ncmFt)} fine-tuned`;
  sentences.push(
    ncmDrop <= -1
      ? `${ncmText}: the features for U improved; what collapsed was the logits' scale, not the features.`
      : ncmDrop <= 1
        ? `${ncmText}: the features for U survived fine-tuning; what collapsed was the logits' scale.`
        : featuresIntact
          ? `${ncmText}: the features for U lost ${ncmDrop.toFixed(1)} points, far less than the logits' U/Y lost (${(preU - ftU).toFixed(1)}).`
          : `${ncmText}: fine-tuning damaged the features for U as well, not only the logits.`,
  );
  const recovered: Partial<Record<DemoMethod, boolean>> = {};
  const lost = preU - ftU;
  for (const row of rows) {
    if (row.method === null) continue;
    const regained = lost > 0 ? (row.accuracy['U/Y'] - ftU) / lost : 0;
    recovered[row.method] = regained >= 0.5 && row.accuracy['Y/Y'] > ft.accuracy['Y/Y'];
  }
  const recoveredBy = DEPLOYABLE.filter((m) => recovered[m]);
  for (const m of DEPLOYABLE) {
    const row = rows.find((r) => r.method === m);
    if (!row) continue;
    const beats = row.accuracy['Y/Y'] > pre.accuracy['Y/Y'] ? ', above the pre-trained model' : '';
    // A γ far past the best trade-off restores U/Y by giving up S/Y; say so rather than call it a win.
    const sDrop = ft.accuracy['S/Y'] - row.accuracy['S/Y'];
    const cost =
      sDrop > 10 ? `; but S/Y paid for it (${pct(ft.accuracy['S/Y'])} → ${pct(row.accuracy['S/Y'])})` : '';
    sentences.push(
      recovered[m]
        ? `Calibration with γ = ${row.gamma.toFixed(2)} from ${m} (no absent-class labels) recovered it: U/Y ${pct(row.accuracy['U/Y'])}, S/Y ${pct(row.accuracy['S/Y'])}, Y/Y ${pct(row.accuracy['Y/Y'])}${beats}${cost}.`
        : `γ = ${row.gamma.toFixed(2)} from ${m} did not recover it: U/Y ${pct(row.accuracy['U/Y'])}, Y/Y ${pct(row.accuracy['Y/Y'])}.`,
    );
  }
  const oracle = rows.find((r) => r.method === 'oracle');
  if (oracle) {
    sentences.push(
      `The oracle γ = ${oracle.gamma.toFixed(2)} (chosen with test labels, an upper bound) reaches Y/Y ${pct(oracle.accuracy['Y/Y'])}.`,
    );
  }
  return { collapsed, featuresIntact, recovered, recoveredBy, sentences };
}
