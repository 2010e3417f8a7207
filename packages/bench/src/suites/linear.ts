import os from 'node:os';
import {
  type Backend,
  FITTED_LINEAR_METHODS,
  type FittedLinearMethod,
  fitLinear,
  type LinearFitResult,
  openNpy,
  ResidentLogits,
  readNpyLabels,
} from '@ftcal/core';
import { type BenchContext, newCase, recordRun, skipped, unavailable, withTiming } from '../context.ts';
import { pow10 } from '../data.ts';
import { externalTiming } from '../harness.ts';
import { runTorchLinearPeer, type TorchLinearCase, type TorchLinearResult } from '../peers/torch-linear.ts';
import type { Case } from '../results.ts';
import { groupsOf, writeSynthetic } from './end-to-end.ts';

interface Size {
  rows: number;
  cols: number;
  /** Whether the CPU backend fits this size (DESIGN.md's bench: 10⁶×10³ is for the GPU only). */
  cpu: boolean;
}

function sizes(quick: boolean): Size[] {
  if (quick) return [{ rows: 2000, cols: 10, cpu: true }];
  // 10⁴×100 is the scaled-down size a software adapter can take (--max-e2e-cells 1e6 keeps only it).
  return [
    { rows: 10_000, cols: 100, cpu: true },
    { rows: 100_000, cols: 100, cpu: true },
    { rows: 1_000_000, cols: 1000, cpu: false },
  ];
}

/** LBFGS iterations the peer may take at most (its own stop is the same max |∂L/∂θ| as ftcal's). */
const TORCH_MAX_ITER = 500;

function fitNote(r: LinearFitResult): string {
  const d = r.details;
  const solver = d.hessian === 'exact' ? 'exact Hessian' : `${d.hessianProducts} Hessian-vector products`;
  const stop = d.converged ? 'converged' : `stopped: ${d.stopReason}`;
  return `loss ${d.loss.toFixed(7)}, ${d.iterations} Newton steps (${solver}), ${d.passes} passes, max|grad| ${d.gradNorm.toExponential(1)}, ${stop}`;
}

function torchCheck(t: TorchLinearResult, ftcalLoss: number | undefined): string {
  const rel =
    ftcalLoss === undefined ? '' : `, Δ/ftcal ${((t.loss! - ftcalLoss) / ftcalLoss).toExponential(1)}`;
  const stop = t.converged ? 'converged' : 'stopped short of the tolerance';
  return `loss ${t.loss!.toFixed(7)}${rel}, ${t.iterations} LBFGS iterations, ${t.evaluations} evaluations, max|grad| ${t.grad_max!.toExponential(1)}, ${stop}`;
}

/**
 * The linear family's fits (DESIGN.md §1.1) at N = 10⁴ and 10⁵, C = 100 (CPU and GPU) and N = 10⁶, C = 10³ (GPU),
 * each method once, timed from the rows in host memory to the fitted map (the device upload included),
 * beside a PyTorch LBFGS of the same objective in a subprocess (torch_linear_peer.py, timed from its
 * tensors on the device), both stopping at the same max |∂L/∂θ|. The final losses are compared.
 */
export async function linearSuite(ctx: BenchContext): Promise<void> {
  const cpu: Backend | null = ctx.main.kind === 'cpu' ? ctx.main : ctx.twin;
  const gpu: Backend | null = ctx.main.kind === 'webgpu' ? ctx.main : null;
  for (const size of sizes(ctx.opts.quick)) {
    const { rows, cols } = size;
    const label = `N=${pow10(rows)} C=${pow10(cols)}`;
    const mine = FITTED_LINEAR_METHODS.map((m) =>
      newCase(ctx, 'linear', `linear fit: ${m}`, label, { rows, cols }, { rows }),
    );
    if (rows * cols > ctx.opts.maxE2eCells) {
      for (const c of mine)
        skipped(c, ctx.mainImpl, ctx.mainDevice, 'in-process', `N·C over --max-e2e-cells`);
      continue;
    }
    ctx.log(`linear: writing ${label}`);
    const files = await writeSynthetic(ctx.tmp, rows, cols);
    const groups = groupsOf(cols);
    const labels = await readNpyLabels(files.labels);
    const source = await openNpy(files.logits);
    const losses = new Map<string, number>();
    // One set of fitting rows for every fit: the GPU's copy is uploaded once and shared by the four.
    const fitRows = ResidentLogits.of(source, { labels });
    try {
      const backends: [Backend | null, string, boolean][] = [
        [cpu, 'ftcal-cpu', size.cpu],
        [gpu, 'ftcal-webgpu', true],
      ];
      for (const [backend, impl, runs] of backends) {
        if (!backend) continue;
        for (const [i, method] of FITTED_LINEAR_METHODS.entries()) {
          const c = mine[i]!;
          if (!runs) {
            skipped(c, impl, backend.name, 'in-process', 'the CPU fits this size only in the GPU run');
            continue;
          }
          ctx.log(`  ${c.op} ${label} on ${impl}`);
          const t0 = performance.now();
          try {
            const r = await fitLinear(backend, fitRows, groups, method);
            const ms = performance.now() - t0;
            losses.set(`${impl}:${method}`, r.details.loss);
            recordRun(c, {
              ...withTiming(c, { impl, device: backend.name, mode: 'in-process' }, externalTiming([ms], 0)),
              note: fitNote(r),
            });
          } catch (e) {
            recordRun(c, {
              impl,
              device: backend.name,
              mode: 'in-process',
              status: 'failed',
              note: (e as Error).message.split('\n')[0],
            });
          }
        }
      }
    } finally {
      fitRows.release();
      await source.close();
    }
    await torchRuns(ctx, mine, files, groups.codes, losses, size.cpu && cpu !== null, gpu !== null);
  }
}

async function torchRuns(
  ctx: BenchContext,
  mine: Case[],
  files: { logits: string; labels: string },
  codes: Uint32Array,
  losses: Map<string, number>,
  onCpu: boolean,
  onGpu: boolean,
): Promise<void> {
  // Torch's CPU LBFGS beside ftcal's CPU fit, its CUDA one beside the WebGPU fit (none with --gpu-only's CPU half).
  const devices: ['cpu' | 'cuda', string][] = [];
  if (onCpu) devices.push(['cpu', 'ftcal-cpu']);
  if (onGpu) devices.push(['cuda', 'ftcal-webgpu']);
  for (const [device, against] of devices) {
    const impl = `torch-lbfgs-${device}`;
    if (ctx.opts.noPeers) {
      for (const c of mine) unavailable(c, impl, device, 'subprocess', '--no-peers');
      continue;
    }
    const tolerance = device === 'cpu' ? 1e-6 : 1e-4;
    const cases: TorchLinearCase[] = FITTED_LINEAR_METHODS.map((method: FittedLinearMethod) => ({
      id: method,
      logits: files.logits,
      labels: files.labels,
      groups: [...codes],
      method,
      tolerance,
      max_iter: TORCH_MAX_ITER,
    }));
    ctx.log(`  peers: PyTorch LBFGS on ${device} (torch_linear_peer.py)`);
    let doc: Awaited<ReturnType<typeof runTorchLinearPeer>>;
    try {
      doc = await runTorchLinearPeer(device, cases, os.availableParallelism());
    } catch (e) {
      doc = { available: false, reason: (e as Error).message };
    }
    for (const [i, c] of mine.entries()) {
      if (!doc.available) {
        unavailable(c, impl, device, 'subprocess', doc.reason);
        continue;
      }
      const t = doc.results.find((r) => r.id === FITTED_LINEAR_METHODS[i]);
      const deviceName = `${doc.device} (torch ${doc.torch}, ${doc.threads} threads)`;
      if (!t || t.error || t.seconds === undefined) {
        recordRun(c, {
          impl,
          device: deviceName,
          mode: 'subprocess',
          status: 'failed',
          note: t?.error ?? 'no result',
        });
        continue;
      }
      recordRun(c, {
        ...withTiming(
          c,
          { impl, device: deviceName, mode: 'subprocess' },
          externalTiming([t.seconds * 1000], 0),
        ),
        check: torchCheck(t, losses.get(`${against}:${FITTED_LINEAR_METHODS[i]}`)),
      });
    }
  }
}
