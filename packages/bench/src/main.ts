import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, FtcalError, GpuContext, GpuPassTimer, planDevice, WebGpuBackend } from '@ftcal/core';
import { parseBenchArgs, USAGE, wantsHelp } from './args.ts';
import { type BenchContext, onEveryRun } from './context.ts';
import { machine } from './harness.ts';
import { openCpuMatmulPeers } from './peers/cpu-libraries.ts';
import { findNumpy } from './peers/numpy.ts';
import { openTfjs } from './peers/tfjs.ts';
import { preflight } from './preflight.ts';
import { renderSaved, writeCheckpoint, writeReports } from './report/write.ts';
import { type BenchDocument, type PeerStatus, SCHEMA_VERSION } from './results.ts';
import { bootstrapSuite } from './suites/bootstrap.ts';
import { cpuMatmulSuite } from './suites/cpu-matmul.ts';
import { curveSuite } from './suites/curve.ts';
import { endToEndSuite } from './suites/end-to-end.ts';
import { kernelSuite } from './suites/kernels.ts';
import { linearSuite } from './suites/linear.ts';
import { nllSuite } from './suites/nll.ts';
import { pageSuite } from './suites/page.ts';
import { scaleSuite } from './suites/scale.ts';
import { torchSuite } from './suites/torch.ts';

/** dist/bench.mjs lives in packages/bench/dist: the repository root is three folders up. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const opts = parseBenchArgs(argv, path.join(REPO_ROOT, 'docs', 'benchmarks.md'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (opts.render) {
    const target = opts.docs ?? path.join(REPO_ROOT, 'docs', 'benchmarks.md');
    await renderSaved(opts.render, target);
    log(`wrote ${target}`);
    return 0;
  }
  if (opts.json) {
    // stdout carries the JSON document alone; libraries that print (tfjs) are sent to stderr.
    console.log = (...a: unknown[]) => console.error(...a);
    console.info = console.log;
    console.warn = (...a: unknown[]) => console.error(...a);
  }
  const started = performance.now();
  const plan = await planDevice(opts.device, opts.adapter ? { adapter: opts.adapter } : {});
  log(plan.summary);
  const gpu = plan.found ? await GpuContext.open(plan.found) : null;
  const main = gpu ? new WebGpuBackend(gpu) : new CpuBackend();
  const timer = gpu ? new GpuPassTimer(gpu) : null;
  const m = machine();
  const peers: PeerStatus[] = [];
  const twin = gpu && !opts.gpuOnly ? new CpuBackend() : null;
  peers.push({
    name: 'ftcal CPU twin',
    available: twin !== null,
    note: twin
      ? `same process, ${twin.name} on ${m.cpu}`
      : opts.gpuOnly
        ? 'left out (--gpu-only)'
        : 'it is the backend under test (--device cpu)',
  });

  const numpy = opts.noPeers ? '--no-peers' : opts.gpuOnly ? '--gpu-only' : findNumpy();
  peers.push(
    typeof numpy === 'string'
      ? { name: 'NumPy', available: false, note: numpy }
      : {
          name: 'NumPy',
          available: true,
          version: numpy.version,
          note: `python ${numpy.python} subprocess on the same machine, timed inside Python`,
        },
  );

  let tfjs: Awaited<ReturnType<typeof openTfjs>> = 'not tried: the backend under test is the CPU';
  if (opts.noPeers) tfjs = '--no-peers';
  else if (plan.found) {
    log('peers: starting tfjs-backend-webgpu on the same adapter');
    tfjs = await openTfjs(plan.found);
  }
  peers.push(
    typeof tfjs === 'string'
      ? { name: 'tfjs-backend-webgpu', available: false, note: tfjs }
      : {
          name: 'tfjs-backend-webgpu',
          available: true,
          version: tfjs.version,
          note: `same process, its own device on ${tfjs.adapter}`,
        },
  );

  const cpuPeers =
    opts.suites.has('cpu-matmul') && !opts.noPeers
      ? await openCpuMatmulPeers(process.env.FTCAL_BENCH_PEERS, Math.min(m.cores, 8))
      : [];
  for (const p of cpuPeers) {
    peers.push(
      'matmul' in p
        ? { name: p.name, available: true, version: p.version, note: p.note }
        : { name: p.name, available: false, note: p.reason },
    );
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ftcal-bench-'));
  const ctx: BenchContext = {
    opts,
    machine: m,
    main,
    mainImpl: gpu ? 'ftcal-webgpu' : 'ftcal-cpu',
    mainDevice: gpu ? main.name : `${m.cpu} (TypeScript)`,
    gpu,
    timer,
    twin,
    numpy: typeof numpy === 'string' ? null : numpy,
    tfjs: typeof tfjs === 'string' ? null : tfjs,
    tmp,
    missing: new Set(),
    cases: [],
    log,
  };
  const doc: BenchDocument = {
    schemaVersion: SCHEMA_VERSION,
    tool: 'ftcal-bench',
    date: new Date().toISOString(),
    mode: opts.quick ? 'quick' : 'full',
    argv,
    machine: m,
    device: {
      preference: opts.device,
      backend: gpu ? 'webgpu' : 'cpu',
      name: main.name,
      adapter: plan.adapter
        ? {
            vendor: plan.adapter.vendor,
            architecture: plan.adapter.architecture,
            device: plan.adapter.device,
            description: plan.adapter.description,
          }
        : null,
      software: plan.adapter?.software ?? false,
      timing: !gpu
        ? 'wall time (CPU backend)'
        : timer?.timestamps
          ? 'wall time and GPU time (timestamp queries)'
          : `wall time only: the adapter has no 'timestamp-query' feature`,
    },
    peers,
    missing: [],
    cases: ctx.cases,
    durationS: 0,
    stopped: 'not finished: the run was killed, and this is what it had measured (written after every run)',
  };
  await mkdir(opts.out, { recursive: true });
  onEveryRun(() => {
    doc.missing = [...ctx.missing];
    doc.durationS = Math.round((performance.now() - started) / 100) / 10;
    writeCheckpoint(doc, opts.out);
  });
  // A run stopped by `timeout` (the GPU-machine recipe) still writes the cases it finished.
  const onStop = () => {
    doc.stopped = `SIGTERM after ${Math.round((performance.now() - started) / 1000)} s: later cases are absent`;
    doc.missing = [...ctx.missing];
    log(`bench: ${doc.stopped}`);
    writeReports(doc, opts.out, null).finally(() => process.exit(124));
  };
  process.once('SIGTERM', onStop);
  try {
    if (opts.preflight) {
      log('preflight: the adapter, two buffers, one resident matmul, one resident softmax');
      doc.preflight = await preflight(gpu, opts.quick);
      for (const c of doc.preflight)
        log(`  ${c.ok ? 'ok' : 'FAILED'} ${c.name} (${Math.round(c.ms)} ms): ${c.note}`);
      writeCheckpoint(doc, opts.out);
      if (doc.preflight.some((c) => !c.ok)) {
        doc.stopped = 'preflight failed: nothing was measured';
        await writeReports(doc, opts.out, null);
        log('bench: preflight failed; stopping before the run (exit 3)');
        return 3;
      }
    }
    // PyTorch first, with the GPU to itself: its own process, whose memory is freed when it exits.
    if (['kernels', 'nll', 'curve'].some((s) => opts.suites.has(s as never))) await torchSuite(ctx, peers);
    if (opts.suites.has('kernels')) await kernelSuite(ctx);
    if (opts.suites.has('nll')) await nllSuite(ctx);
    if (opts.suites.has('curve')) await curveSuite(ctx);
    if (opts.suites.has('end-to-end')) await endToEndSuite(ctx);
    if (opts.suites.has('scale')) await scaleSuite(ctx);
    if (opts.suites.has('page')) await pageSuite(ctx);
    if (opts.suites.has('linear')) await linearSuite(ctx);
    if (opts.suites.has('cpu-matmul')) await cpuMatmulSuite(ctx, twin ?? main, cpuPeers);
    if (opts.suites.has('bootstrap')) await bootstrapSuite(ctx);
  } finally {
    onEveryRun(null);
    for (const p of cpuPeers) if ('close' in p) await p.close();
    ctx.tfjs?.dispose();
    timer?.destroy();
    main.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
  process.off('SIGTERM', onStop);
  delete doc.stopped;
  doc.missing = [...ctx.missing];
  doc.durationS = Math.round((performance.now() - started) / 100) / 10;
  const written = await writeReports(doc, opts.out, opts.docs);
  for (const f of written) log(`wrote ${f}`);
  if (opts.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof FtcalError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(e.exitCode);
    }
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
