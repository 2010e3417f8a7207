import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ClassGroups,
  CpuBackend,
  createNpyWriter,
  evaluate,
  openNpy,
  readNpyLabels,
  writeNpy,
} from '@ftcal/core';
import {
  type BenchContext,
  budget,
  describe,
  newCase,
  recordRun,
  timeRun,
  unavailable,
  withTiming,
} from '../context.ts';
import { syntheticLogits } from '../data.ts';
import { externalTiming } from '../harness.ts';
import { cliPath, peerScript } from '../paths.ts';
import { lastLine, runPeerScript, runProcess } from '../process.ts';
import type { Case, Run } from '../results.ts';
import { groupsOf, writeSynthetic } from './end-to-end.ts';

/**
 * DESIGN.md §6 at scale on the CPU: `ftcal evaluate` end to end on one file against NumPy and PyTorch
 * doing the same work as their users write it, each in one run; then the same rows as 3 shards, each
 * through `ftcal stats`, merged by `evaluate --stats`, against the single run. The CLI runs as a user runs
 * it (a child process, measured by peers/measure.py for its peak RSS and CPU time).
 */

interface Measured {
  code: number;
  wall_ms: number;
  user_s: number;
  sys_s: number;
  max_rss_kb: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process, with its wall time, CPU time and peak RSS. */
async function cli(ctx: BenchContext, args: string[]): Promise<Measured> {
  const out = path.join(ctx.tmp, 'measure.json');
  const python = process.env.PYTHON ?? 'python3';
  const r = await runProcess(python, [
    peerScript('measure.py')!,
    out,
    '--',
    process.execPath,
    cliPath()!,
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`ftcal ${args[0]} exited ${r.code}: ${lastLine(r.stderr)}`);
  return { ...JSON.parse(await readFile(out, 'utf8')), stdout: r.stdout, stderr: r.stderr };
}

const mb = (kb: number) => `${Math.round(kb / 1024)} MB`;

/** Times repeated child-process runs as one Run, with the last run's RSS and CPU use in its note. */
async function timeCli(
  ctx: BenchContext,
  c: Case,
  impl: string,
  once: () => Promise<{ wallMs: number; rssKb: number; cpuS: number; stdout: string }>,
  note: (last: { rssKb: number; cpuS: number; wallMs: number }) => string,
): Promise<{ run: Run; stdout: string }> {
  const b = budget(ctx, true);
  const walls: number[] = [];
  let last = { wallMs: 0, rssKb: 0, cpuS: 0, stdout: '' };
  let r: Run;
  try {
    for (let i = 0; i < (b.warmup ?? 1); i++) await once();
    let spent = 0;
    while (walls.length < b.reps && (walls.length < (b.minReps ?? 1) || spent < b.budgetMs)) {
      last = await once();
      walls.push(last.wallMs);
      spent += last.wallMs;
    }
    r = withTiming(
      c,
      { impl, device: `${ctx.machine.cpu} (CLI)`, mode: 'subprocess', note: note(last) },
      externalTiming(walls, b.warmup ?? 1),
    );
  } catch (e) {
    r = { impl, device: ctx.machine.cpu, mode: 'subprocess', status: 'failed', note: (e as Error).message };
  }
  recordRun(c, r);
  ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
  return { run: r, stdout: last.stdout };
}

interface PeerDoc {
  available?: boolean;
  reason?: string;
  torch?: string;
  numpy?: string;
  threads?: number;
  results?: {
    id: string;
    wall_ms?: number[];
    error?: string;
    max_rss_kb?: number;
    ausuc?: number;
    nll?: number;
  }[];
}

/** A Python peer's evaluate job (numpy_peer.py or torch_cpu_peer.py) as a Run beside ftcal's. */
async function peerEvaluate(
  ctx: BenchContext,
  c: Case,
  impl: string,
  script: string,
  pythons: (string | undefined)[],
  job: Record<string, unknown>,
  check: (r: { ausuc?: number; nll?: number }) => string,
): Promise<void> {
  const b = budget(ctx, true);
  const jobs = [
    { ...job, id: impl, op: 'evaluate', reps: b.reps, budget_ms: b.budgetMs, warmup: b.warmup ?? 1 },
  ];
  let reason = 'no python';
  for (const python of pythons) {
    if (!python) continue;
    const doc = await runPeerScript<PeerDoc>(python, peerScript(script)!, jobs).catch((e: Error) => {
      reason = `${python}: ${e.message}`;
      return null;
    });
    if (!doc) continue;
    if (doc.available === false) {
      reason = doc.reason ?? 'not available';
      continue;
    }
    const res = doc.results?.[0];
    if (!res?.wall_ms) {
      reason = res?.error ?? 'no result';
      break;
    }
    const threads = doc.threads ? `, ${doc.threads} threads` : '';
    const version = doc.torch ? `PyTorch ${doc.torch}` : `NumPy ${doc.numpy}`;
    const run: Run = withTiming(
      c,
      {
        impl,
        device: `${ctx.machine.cpu} (${version}${threads})`,
        mode: 'subprocess',
        note: `peak RSS ${mb(res.max_rss_kb ?? 0)}; timed inside Python`,
      },
      externalTiming(res.wall_ms, b.warmup ?? 1),
    );
    run.check = check(res);
    recordRun(c, run);
    ctx.log(`  ${c.op} ${c.label} ${describe(run)}`);
    return;
  }
  const r: Run = { impl, device: ctx.machine.cpu, mode: 'subprocess', status: 'not available', note: reason };
  recordRun(c, r);
  ctx.log(`  ${c.op} ${c.label} ${describe(r)}`);
}

/** Rows [r0, r1) of the synthetic set as one shard file (the same rows writeSynthetic writes). */
async function writeShard(dir: string, name: string, r0: number, r1: number, cols: number) {
  const logits = path.join(dir, `${name}.npy`);
  const labelsPath = path.join(dir, `${name}-labels.npy`);
  const writer = await createNpyWriter(logits, 'float32', [r1 - r0, cols]);
  const labels = new Int32Array(r1 - r0);
  for (let r = r0; r < r1; r += 50_000) {
    const chunk = syntheticLogits(r, Math.min(50_000, r1 - r), cols, 3);
    labels.set(chunk.labels, r - r0);
    await writer.writeRows(chunk.z);
  }
  await writer.commit();
  await writeNpy(labelsPath, labels);
  return { logits, labels: labelsPath };
}

/** The evaluation JSON without what names its inputs, which differ between one file and shards. */
function comparable(text: string): string {
  const { labels: _l, stats: _s, data, ...rest } = JSON.parse(text);
  return JSON.stringify({ ...rest, data: { ...data, source: null } });
}

export async function scaleSuite(ctx: BenchContext): Promise<Case[]> {
  const [rows, cols] = ctx.opts.quick ? [20_000, 100] : [200_000, 1000];
  const label = `N=${rows.toLocaleString('en')} C=${cols}`;
  ctx.log(`scale: evaluate end to end against NumPy and PyTorch CPU, and stats ×3 + merge, at ${label}`);
  const shape = { rows, cols };
  const evalCase = newCase(ctx, 'scale', 'evaluate end to end (.npy)', label, shape, {
    bytes: rows * cols * 4,
  });
  evalCase.baseline = 'ftcal-cpu';
  const shardCase = newCase(ctx, 'scale', 'stats ×3 shards + evaluate --stats', label, shape, {
    bytes: rows * cols * 4,
  });
  shardCase.baseline = 'ftcal-cli';
  const noCli = 'packages/cli/dist/ftcal.mjs is missing: build the CLI first';
  const files = await writeSynthetic(ctx.tmp, rows, cols);
  const groups: ClassGroups = groupsOf(cols);
  const groupsFile = path.join(ctx.tmp, 'scale-groups.json');
  await writeFile(groupsFile, JSON.stringify({ seen: groups.seen }));

  // ftcal in-process (core's evaluate on the CPU backend, both cores), the library as it is embedded.
  const cpu = ctx.main.kind === 'cpu' ? ctx.main : new CpuBackend();
  const evalFile = async () => {
    const logits = await openNpy(files.logits);
    try {
      return await evaluate(cpu, { logits, labels: await readNpyLabels(files.labels), groups });
    } finally {
      await logits.close();
    }
  };
  const ours = await timeRun(
    ctx,
    evalCase,
    { impl: 'ftcal-cpu', device: `${ctx.machine.cpu} (${cpu.name})`, mode: 'in-process' },
    evalFile,
    { heavy: true },
  );
  const ref = ours.status === 'ok' ? await evalFile() : null;
  if (ref) ours.check = `AUSUC ${ref.table.ausuc.toFixed(6)}, NLL ${ref.table.nll.toFixed(6)}`;
  const agree = (r: { ausuc?: number; nll?: number }) =>
    ref
      ? `AUSUC ${r.ausuc?.toFixed(6)} vs ftcal ${ref.table.ausuc.toFixed(6)}; NLL ${r.nll?.toFixed(6)} vs ${ref.table.nll.toFixed(6)}`
      : '';

  const single = [
    'evaluate',
    '--logits',
    files.logits,
    '--labels',
    files.labels,
    '--groups',
    groupsFile,
    '--device',
    'cpu',
    '--json',
  ];
  const cpuNote = (l: { rssKb: number; cpuS: number; wallMs: number }) =>
    `peak RSS ${mb(l.rssKb)}; CPU time ${(l.cpuS / (l.wallMs / 1000)).toFixed(2)}× the wall time (${ctx.machine.cores} cores)`;
  const once = (args: string[]) => async () => {
    const m = await cli(ctx, args);
    return { wallMs: m.wall_ms, rssKb: m.max_rss_kb, cpuS: m.user_s + m.sys_s, stdout: m.stdout };
  };
  const oneRun = cliPath() ? await timeCli(ctx, evalCase, 'ftcal-cli', once(single), cpuNote) : null;
  if (oneRun) recordRun(shardCase, { ...oneRun.run });
  else
    for (const c of [evalCase, shardCase]) unavailable(c, 'ftcal-cli', ctx.machine.cpu, 'subprocess', noCli);

  const job = {
    logits: files.logits,
    labels: files.labels,
    groups: [...groups.codes],
    gamma: 0,
    temperature: 1,
  };
  const python = process.env.PYTHON ?? 'python3';
  await peerEvaluate(ctx, evalCase, 'numpy', 'numpy_peer.py', [python], job, agree);
  await peerEvaluate(
    ctx,
    evalCase,
    'torch-cpu',
    'torch_cpu_peer.py',
    [process.env.TORCH_PYTHON, python, '/usr/bin/python3'],
    job,
    agree,
  );

  if (!oneRun) unavailable(shardCase, 'ftcal-shards', ctx.machine.cpu, 'subprocess', noCli);
  else {
    const cuts = [0, Math.round(rows / 3), Math.round((2 * rows) / 3), rows];
    const shards: { logits: string; labels: string }[] = [];
    for (let i = 0; i < 3; i++)
      shards.push(await writeShard(ctx.tmp, `shard-${i}`, cuts[i]!, cuts[i + 1]!, cols));
    const outs = shards.map((_, i) => path.join(ctx.tmp, `shard-${i}.stats.npz`));
    const phases = { map: 0, reduce: 0, rss: 0 };
    let merged = '';
    const pipeline = async () => {
      let map = 0;
      let rss = 0;
      let cpuS = 0;
      for (const [i, s] of shards.entries()) {
        const m = await cli(ctx, [
          'stats',
          '--logits',
          s.logits,
          '--labels',
          s.labels,
          '--groups',
          groupsFile,
          '--device',
          'cpu',
          '--out',
          outs[i]!,
        ]);
        map += m.wall_ms;
        rss = Math.max(rss, m.max_rss_kb);
        cpuS += m.user_s + m.sys_s;
      }
      const red = await cli(ctx, ['evaluate', '--stats', ...outs, '--device', 'cpu', '--json']);
      Object.assign(phases, { map, reduce: red.wall_ms, rss: Math.max(rss, red.max_rss_kb) });
      merged = red.stdout;
      return {
        wallMs: map + red.wall_ms,
        rssKb: phases.rss,
        cpuS: cpuS + red.user_s + red.sys_s,
        stdout: red.stdout,
      };
    };
    const sharded = await timeCli(ctx, shardCase, 'ftcal-shards', pipeline, () => '');
    if (sharded.run.status === 'ok') {
      let bytes = 0;
      for (const o of outs) bytes += (await stat(o)).size;
      sharded.run.note =
        `map (3 × ftcal stats, one after another) ${Math.round(phases.map)} ms, reduce ${Math.round(phases.reduce)} ms; ` +
        `statistics files ${mb(bytes / 1024)} for ${mb((rows * cols * 4) / 1024)} of logits; peak RSS ${mb(phases.rss)}`;
      sharded.run.check =
        comparable(merged) === comparable(oneRun.stdout)
          ? 'the merged evaluation equals the single run (every field but the source names)'
          : 'DIFFERENT from the single run';
    }
  }
  if (cpu !== ctx.main) cpu.dispose();
  return [evalCase, shardCase];
}
