import { fmtMs } from '../context.ts';
import { type BenchDocument, type Case, type Run, speedup } from '../results.ts';

const IMPL_ORDER = [
  'page-cpu',
  'page-webgpu',
  'node-evaluate',
  'ftcal-webgpu',
  'ftcal-webgpu-fallback',
  'ftcal-cpu',
  'ftcal-shards',
  'numpy',
  'torch-cpu',
  'tfjs-webgpu',
  'torch-cuda',
  'torch-cuda-tf32',
  'torch-cuda-lbfgs',
  'paper-curve-ts',
  'paper-curve-numpy',
  'ftcal-cli',
  'numpy-script',
  'tfjs-wasm',
  'ort-web',
  'ort-node',
];

const IMPL_TITLE: Record<string, string> = {
  'page-cpu': 'page, CPU backend',
  'page-webgpu': 'page, navigator.gpu',
  'node-evaluate': 'core evaluate() in Node',
  'ftcal-webgpu': 'ftcal WebGPU',
  'ftcal-webgpu-fallback': 'ftcal WebGPU, no-subgroup variant',
  'ftcal-cpu': 'ftcal CPU',
  'ftcal-shards': 'ftcal stats ×3 + evaluate --stats',
  numpy: 'NumPy',
  'torch-cpu': 'PyTorch CPU',
  'tfjs-webgpu': 'tfjs WebGPU',
  'torch-cuda': 'PyTorch CUDA',
  'torch-cuda-tf32': 'PyTorch CUDA, TF32',
  'torch-cuda-lbfgs': 'PyTorch CUDA, LBFGS',
  'paper-curve-ts': "paper's re-scan (TS)",
  'paper-curve-numpy': "paper's re-scan (NumPy)",
  'ftcal-cli': 'ftcal CLI',
  'numpy-script': 'NumPy script',
  'tfjs-wasm': 'tfjs-backend-wasm (XNNPACK)',
  'ort-web': 'onnxruntime-web (MLAS, wasm)',
  'ort-node': 'onnxruntime-node (MLAS, native)',
  'ftcal-pass': 'the pass (statistics)',
  'ftcal-bootstrap': 'bootstrap (B replicates)',
};

function column(r: Run): string {
  return `${r.impl}|${r.mode === 'resident' ? 'resident' : 'call'}`;
}

function columnTitle(key: string): string {
  const [impl = '', mode] = key.split('|');
  const title = IMPL_TITLE[impl] ?? impl;
  return mode === 'resident' ? `${title}, device-resident` : title;
}

function columnRank(key: string): number {
  const [impl = '', mode] = key.split('|');
  const i = IMPL_ORDER.indexOf(impl);
  return (i < 0 ? IMPL_ORDER.length : i) * 2 + (mode === 'resident' ? 1 : 0);
}

function fmtThroughput(r: Run): string {
  if (!r.throughput) return '';
  const v = r.throughput.value;
  const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2);
  let out = ` · ${s} ${r.throughput.unit}`;
  if (r.gpuThroughput) out += ` (GPU time: ${r.gpuThroughput.value.toPrecision(3)})`;
  return out;
}

function fmtRatio(x: number): string {
  if (x >= 10) return x.toFixed(0);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** One table cell: median [min–max] · throughput (× speed-up of ftcal over this peer). */
function cell(c: Case, r: Run | undefined, notes: string[]): string {
  if (!r) return '';
  if (r.status !== 'ok' || !r.timing) {
    const text = `${r.status}${r.note ? `: ${r.note}` : ''}`;
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `${r.status} [${i + 1}]`;
  }
  const t = r.timing.wallMs;
  let s = `${fmtMs(t.median)} [${fmtMs(t.min)}–${fmtMs(t.max)}]${fmtThroughput(r)}`;
  if (r.timing.gpuMs) s += `; GPU ${fmtMs(r.timing.gpuMs.median)}`;
  if (r.impl !== c.baseline) {
    const x = speedup(c, r);
    if (x !== null) s += ` (**${fmtRatio(x)}×**${r.deviceTimed ? ' vs ftcal’s device time' : ''})`;
  }
  if (r.note) {
    let i = notes.indexOf(r.note);
    if (i < 0) i = notes.push(r.note) - 1;
    s += ` [${i + 1}]`;
  }
  return s;
}

function table(cases: Case[]): string {
  const keys = [...new Set(cases.flatMap((c) => c.runs.map(column)))].sort(
    (a, b) => columnRank(a) - columnRank(b),
  );
  const notes: string[] = [];
  const lines = [
    `| shape | ${keys.map(columnTitle).join(' | ')} |`,
    `| --- | ${keys.map(() => '---').join(' | ')} |`,
  ];
  for (const c of cases) {
    lines.push(
      `| ${c.label} | ${keys
        .map((k) =>
          cell(
            c,
            c.runs.find((r) => column(r) === k),
            notes,
          ),
        )
        .join(' | ')} |`,
    );
  }
  const checks = cases.flatMap((c) =>
    c.runs.filter((r) => r.check).map((r) => `${c.label}, ${IMPL_TITLE[r.impl] ?? r.impl}: ${r.check}`),
  );
  let out = lines.join('\n');
  if (notes.length) out += `\n\n${notes.map((n, i) => `[${i + 1}] ${n}`).join('  \n')}`;
  if (checks.length)
    out += `\n\n<details><summary>agreement checks</summary>\n\n${checks.map((c) => `- ${c}`).join('\n')}\n\n</details>`;
  return out;
}

const SUITE_ORDER: Case['suite'][] = [
  'kernels',
  'nll',
  'curve',
  'end-to-end',
  'scale',
  'page',
  'cpu-matmul',
  'linear',
  'bootstrap',
];

const size = (c: Case) => c.work.flops ?? c.work.bytes ?? c.work.rows ?? c.work.keys ?? 0;

/**
 * The cases in report order: by suite, then each op's cases from small to large. A peer that runs first
 * (PyTorch) opens some cases before ftcal's smaller ones, so document order is not the report's.
 */
function ordered(cases: Case[]): Case[] {
  const ops = [...new Set(cases.map((c) => c.op))];
  return [...cases].sort(
    (a, b) =>
      SUITE_ORDER.indexOf(a.suite) - SUITE_ORDER.indexOf(b.suite) ||
      ops.indexOf(a.op) - ops.indexOf(b.op) ||
      size(a) - size(b),
  );
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    m.set(k, [...(m.get(k) ?? []), it]);
  }
  return m;
}

const SUITE_TITLE: Record<Case['suite'], string> = {
  kernels: 'Kernels',
  nll: 'The (γ, T) NLL fit: its gradient pass and its Newton fit on resident logits',
  curve: 'γ curve: exact sweep vs the paper’s re-scan',
  'end-to-end': 'End to end',
  scale: 'At scale on the CPU: one pass, NumPy and PyTorch beside it, and sharded statistics',
  page: 'The web page in headless Chromium',
  'cpu-matmul': 'CPU matmul: ftcal’s WebAssembly kernel, NumPy and the libraries it could have used',
  linear: 'Linear family fits vs PyTorch LBFGS',
  bootstrap: 'Bootstrap intervals against the pass they read',
};

const SUITE_INTRO: Record<Case['suite'], string> = {
  nll:
    'The calibration gradient pass (K = 8 candidates, as every Newton iteration evaluates its line ' +
    'search) over logits already on the device (core’s ResidentLogits and its device copy): the variant ' +
    'the device picks (one subgroup per row where it has subgroups) beside the no-subgroup variant. Then ' +
    'the whole Newton fit of (γ, T) (core’s nllMethod): with the logits uploaded once and read from the ' +
    'device by every pass (device-resident), and uploaded again for every pass (no device copy), beside ' +
    'PyTorch’s LBFGS fit of the same objective. Its agreement checks give each fit’s passes and final NLL.',
  linear:
    'Each fitted method of the linear family (DESIGN.md §1.1) once on the synthetic logits, from the rows in ' +
    'host memory to the fitted map (the device upload included), and a PyTorch LBFGS (strong Wolfe, float32) ' +
    'of the same objective in a subprocess, timed from its tensors on the device. Both stop at the same ' +
    "max |∂L/∂θ| (1e-6 on the CPU, 1e-4 on the GPU); the notes give the final losses (LBFGS's re-evaluated " +
    'in float64) and how each got there.',
  bootstrap:
    'The bootstrap (DESIGN.md §1.2) resamples the per-row statistics of the one pass instead of reading ' +
    'the logits again: one sort of the thresholds, then O(N) per replicate. The ratio beside the ' +
    'bootstrap is its time over the pass’s: below 1, B replicates cost less than the pass that made ' +
    'their statistics. The logits ' +
    'are three distinct synthetic chunks handed out in turn, so 10⁶×10³ needs no 4 GB array.',
  kernels:
    'Each call takes host arrays and returns host arrays (upload, kernel, read-back), as `Backend` does; ' +
    '"device-resident" calls reuse buffers already on the GPU and wait for the queue, with no copies. ' +
    'Softmax and row statistics GB/s count the logits read (and, for softmax, the probabilities written).',
  curve:
    'ftcal builds the exact curve from row statistics and one sort, O(N·C + N log N). The paper’s code ' +
    're-takes the argmax of every row at every breakpoint, O(N²·C). Both give the same points and AUSUC ' +
    '(checked below). C = 100, half the classes absent.',
  'end-to-end':
    'Synthetic logits (half the classes absent, seen logits inflated as after fine-tuning) written to a ' +
    'temporary .npy and streamed back through core’s npy reader by row ranges. `evaluate` is core’s ' +
    'evaluate(): statistics pass, accuracy table, exact γ curve and AUSUC, then NLL/ECE/Brier. ' +
    '`calibrate --method nll` is core’s calibrate() with the Newton fit of (γ, T); its row lists the ' +
    'fit (iterations, final gradient norm) under "agreement checks". The demo training step is one ' +
    'forward/backward/SGD-with-momentum step of `pnpm demo`’s MLP (the demo package’s initMlp and mlpGradients); ' +
    'GFLOP/s counts its six matmuls.',
  scale:
    'One file of synthetic logits (as above). "evaluate end to end" is the whole evaluation from the .npy ' +
    '(statistics, exact curve, AUSUC, NLL/ECE/Brier, diagnostics): core’s evaluate() on the CPU backend in ' +
    'this process (the baseline), the CLI as a child process (start-up included; its note gives the peak RSS ' +
    'and CPU time over wall time), and the NumPy and PyTorch peers (packages/bench/src/peers/numpy_peer.py ' +
    'and torch_cpu_peer.py: np.load with mmap, masked max/argmax, logsumexp, the exact curve, NLL/ECE/Brier ' +
    'from a softmax, the logit moments, as their users write it; timed inside Python, imports excluded). ' +
    '"stats ×3 shards" splits the same rows into three files, runs `ftcal stats` on each, one after another, ' +
    'and merges them with `evaluate --stats`, against the single CLI run; its check compares the two JSON ' +
    'documents.',
  page:
    'The page (packages/web, as `ftcal web --save` writes it) opened from disk in headless Chromium, the ' +
    'synthetic .npy handed to its file input as a user picks it. "load + evaluate" runs from the Evaluate ' +
    'click to the results drawn: one streamed statistics pass, the exact curve, the method picks, the ' +
    'first table and plots; each device in a fresh browser, so WebGPU’s start-up is in the figure. ' +
    '"move γ" is one slider step redrawn from the statistics. Beside them, core’s evaluate() in Node on ' +
    'the same file.',
  'cpu-matmul':
    'The CPU backend’s matmul (a WebAssembly SIMD kernel on the worker threads, docs/kernels.md) against ' +
    'NumPy’s (OpenBLAS) and against XNNPACK (tfjs-backend-wasm) and MLAS (onnxruntime-web, ' +
    'onnxruntime-node) where FTCAL_BENCH_PEERS names a folder they are installed in; host arrays in and ' +
    'out for every library. `ftcal logits` runs the built CLI as a user does, a fresh process each time, ' +
    'against a NumPy script doing np.load, f @ w.T + b and np.save on the same files.',
};

export function markdown(doc: BenchDocument): string {
  const m = doc.machine;
  const d = doc.device;
  const out: string[] = [];
  out.push('# ftcal benchmarks');
  out.push('');
  out.push(
    `Generated by \`pnpm bench ${doc.argv.join(' ')}\` on ${doc.date.slice(0, 10)} (${doc.mode} mode, ${doc.durationS} s). ` +
      'Each figure is the median wall time over repetitions after one warm-up call, with [min–max]; ' +
      'throughput is computed from the median. **N×** after a peer’s figure is that peer’s median over ' +
      'ftcal’s: above 1, ftcal is faster. Regenerate with `pnpm bench` (JSON in `bench-results/`).',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push('| | |');
  out.push('| --- | --- |');
  out.push(`| CPU | ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB |`);
  out.push(`| OS | ${m.platform} |`);
  out.push(`| Node | ${m.node} |`);
  out.push(
    `| load average at start | ${m.loadAverage} on ${m.cores} cores${m.loadAverage > m.cores / 2 ? ': the machine was shared with other work, so wall times are noisy' : ''} |`,
  );
  out.push(`| ftcal backend | ${d.name} |`);
  out.push(
    `| adapter is software | ${d.software ? 'yes: GPU figures measure a CPU rasteriser, not a GPU' : 'no'} |`,
  );
  out.push(`| timing | ${d.timing} |`);
  out.push('');
  if (doc.stopped) {
    out.push(`**This run did not finish** (${doc.stopped}).`);
    out.push('');
  }
  if (doc.preflight) {
    out.push('## Preflight');
    out.push('');
    out.push('| check | result | time | |');
    out.push('| --- | --- | --- | --- |');
    for (const c of doc.preflight)
      out.push(`| ${c.name} | ${c.ok ? 'ok' : '**failed**'} | ${fmtMs(c.ms)} | ${c.note} |`);
    out.push('');
  }
  const summary = summaryLines(doc);
  if (summary.length) {
    out.push('## Summary');
    out.push('');
    out.push(
      `At the largest size each op ran at, ftcal’s median (${IMPL_TITLE[doc.cases[0]?.baseline ?? ''] ?? 'ftcal'}) and each peer’s time over it:`,
    );
    out.push('');
    out.push(...summary);
    out.push('');
  }
  out.push('## Peers');
  out.push('');
  out.push('| peer | available | version | how it ran, or why not |');
  out.push('| --- | --- | --- | --- |');
  for (const p of doc.peers)
    out.push(`| ${p.name} | ${p.available ? 'yes' : 'no'} | ${p.version ?? ''} | ${p.note} |`);
  for (const [suite, cases] of groupBy(ordered(doc.cases), (c) => c.suite)) {
    out.push('');
    out.push(`## ${SUITE_TITLE[suite as Case['suite']]}`);
    out.push('');
    out.push(SUITE_INTRO[suite as Case['suite']]);
    for (const [op, opCases] of groupBy(cases, (c) => c.op)) {
      out.push('');
      out.push(`### ${op}`);
      out.push('');
      out.push(table(opCases));
    }
  }
  out.push('');
  out.push('## Not available in this build');
  out.push('');
  out.push(
    doc.missing.length
      ? doc.missing.map((x) => `- ${x}`).join('\n')
      : 'Every benchmarked piece of ftcal was present; runs marked "not available" above say why.',
  );
  out.push('');
  out.push('## GPU machine');
  out.push('');
  out.push(gpuMachine(doc));
  out.push('');
  return out.join('\n');
}

/** One line per op: its largest case where ftcal ran, with every peer's ratio there. */
function summaryLines(doc: BenchDocument): string[] {
  const lines: string[] = [];
  for (const [op, cases] of groupBy(ordered(doc.cases), (c) => c.op)) {
    const ran = cases.filter((c) =>
      c.runs.some((r) => r.impl === c.baseline && r.status === 'ok' && r.mode !== 'resident'),
    );
    const c = ran.at(-1);
    if (!c) continue;
    const base = c.runs.find((r) => r.impl === c.baseline && r.status === 'ok' && r.mode !== 'resident')!;
    const peers = c.runs
      .filter((r) => r.impl !== c.baseline && r.status === 'ok' && speedup(c, r) !== null)
      .map(
        (r) =>
          `${IMPL_TITLE[r.impl] ?? r.impl} ${fmtRatio(speedup(c, r)!)}×${r.deviceTimed ? ' (device times)' : ''}`,
      );
    lines.push(
      `- **${op}**, ${c.label}: ${fmtMs(base.timing!.wallMs.median)}${fmtThroughput(base)}${peers.length ? `; ${peers.join(', ')}` : ''}`,
    );
  }
  return lines;
}

/** How the open H100/H200 figures get measured (scripts/gpu-run.sh); kept in the rendered report. */
const GPU_RECIPE = [
  'The H100/H200 figures are still open: this report was not measured on one. The targets there (issue 12),',
  'as ratios in one run with PyTorch in a subprocess on the same GPU: matmul FP32 ≥ 1.0× cuBLAS SGEMM (TF32',
  'off) at 4096³ and 8192³; softmax ≥ 0.9× torch log_softmax; row statistics ≥ 0.8× device copy bandwidth;',
  'exact curve + AUSUC ≥ 2× torch; the (γ, T) NLL fit ≥ 10× torch LBFGS at equal final loss. Ratios against',
  'PyTorch use ftcal’s device time (the device-resident run’s timestamp-query time, else its wall time),',
  'never a round trip with its PCIe copies: PyTorch’s are CUDA-event times of work on data already there.',
  '',
  'To measure them, on the project machine after `bash scripts/setup.sh`: `bash scripts/gpu-run.sh` packs',
  '`../shared/gpu-kit` into `.gpu-kit/` (Node, the Vulkan/EGL loaders and Dawn, about 31 MiB; git-ignored),',
  'bundles the bench with its Python peers, writes the device command (`.gpu-kit/device-run.sh`), checks',
  'the bundle on the CPU and prints the one device call: `run(command: "OUT=$OUT bash .gpu-kit/run.sh bash',
  '.gpu-kit/device-run.sh", carry: [".gpu-kit"], timeout_s: 590)`. That call does the whole device check in',
  'under 10 minutes with start-up: PyTorch first (`PYTHON=/opt/torch/.venv/bin/python`, where the image',
  'keeps torch), then a 20-second preflight (the adapter, a 256 MiB and a 4e9-byte buffer, one resident',
  '4096³ matmul, one resident softmax over 4e9 bytes; a failure stops the run, exit 3), then the kernels, the',
  'nll suite and the GPU half of the curve suite (`--gpu-only`: no CPU twin, NumPy or paper re-scan), under',
  '`timeout -k 15 330`; then, in a second bench process under `timeout -k 15 190`, the linear family’s fits',
  '(`--only linear --gpu-only`: vector, matrix, dirichlet and affine at 10⁴×100, 10⁵×100 and 10⁶×10³, each',
  'beside PyTorch CUDA’s LBFGS of the same objective) into `$OUT/linear/`. Every measurement is written to',
  '`bench-full.json` as it is taken, so a run the limit stops keeps what it measured. `bash',
  'scripts/gpu-run.sh --verify` runs the same command on this',
  'machine with SwiftShader standing in for the GPU (`--quick` sizes; PyTorch on its CPU backend where',
  '/usr/bin/python3 has torch) to check it end to end.',
].join('\n');

function gpuMachine(doc: BenchDocument): string {
  const a = doc.device.adapter;
  const name = `${a?.device ?? ''} ${a?.description ?? ''}`;
  if (a && !doc.device.software && /H100|H200/i.test(name)) {
    return `The figures above were measured on ${name.trim()}.`;
  }
  return GPU_RECIPE;
}
