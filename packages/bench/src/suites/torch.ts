import type { BenchContext } from '../context.ts';
import { describe, newCase, recordRun, withTiming } from '../context.ts';
import { pow10 } from '../data.ts';
import { externalTiming } from '../harness.ts';
import { runTorchPeer, type TorchConfig, type TorchResult } from '../peers/torch.ts';
import type { Case, PeerStatus, Run } from '../results.ts';

/**
 * Sizes for torch_peer.py: the bench's largest row shape within --max-cells (10⁶×1000, 4 GB of logits,
 * in a full run) so its softmax and row statistics sit beside ftcal's resident column, and the 4096³
 * matmul where --max-flops allows it.
 */
export function torchConfig(ctx: BenchContext): TorchConfig {
  const { quick, maxCells, maxFlops, reps } = ctx.opts;
  const device = process.env.FTCAL_TORCH_DEVICE === 'cpu' ? ({ device: 'cpu' } as const) : {};
  if (quick) {
    return {
      ...device,
      matmul: 256,
      rows: 10_000,
      cols: 100,
      curve_rows: 10_000,
      curve_cols: 100,
      reps,
      lbfgs_iters: 5,
    };
  }
  const cols = 1000;
  const rows = Math.min(1_000_000, 10 ** Math.floor(Math.log10(Math.max(maxCells / cols, 10))));
  let matmul = 4096;
  while (matmul > 64 && 2 * matmul ** 3 > maxFlops) matmul /= 2;
  return { ...device, matmul, rows, cols, curve_rows: rows, curve_cols: cols, reps };
}

interface Placement {
  suite: Case['suite'];
  op: string;
  label: string;
  impl: string;
}

/** Where a torch result goes: beside ftcal's case of the same op and shape where there is one. */
function placement(r: TorchResult): Placement | null {
  const s = r.shape ?? {};
  const rowLabel = `N=${pow10(s.rows ?? 0)} C=${pow10(s.cols ?? 0)}`;
  switch (r.op) {
    case 'matmul-fp32':
    case 'matmul-tf32':
      return {
        suite: 'kernels',
        op: 'matmul square',
        label: `${s.m}×${s.n}×${s.k}`,
        impl: r.op === 'matmul-fp32' ? 'torch-cuda' : 'torch-cuda-tf32',
      };
    case 'softmax-gamma-T':
      return { suite: 'kernels', op: 'softmax', label: rowLabel, impl: 'torch-cuda' };
    case 'rowstats':
      return { suite: 'kernels', op: 'row statistics', label: rowLabel, impl: 'torch-cuda' };
    case 'log_softmax':
      return { suite: 'kernels', op: 'log-softmax (plain)', label: rowLabel, impl: 'torch-cuda' };
    case 'copy':
      return {
        suite: 'kernels',
        op: 'device-to-device copy',
        label: `${((s.bytes ?? 0) / 2 ** 30).toFixed(2)} GiB`,
        impl: 'torch-cuda',
      };
    case 'curve':
      return { suite: 'curve', op: 'exact γ curve + AUSUC (resident)', label: rowLabel, impl: 'torch-cuda' };
    case 'nll-fit-lbfgs':
      return { suite: 'nll', op: NLL_FIT_OP, label: rowLabel, impl: 'torch-cuda-lbfgs' };
    default:
      return null;
  }
}

function extras(r: TorchResult): string | undefined {
  if (r.op === 'matmul-fp32') return 'FP32, TF32 off';
  if (r.op === 'matmul-tf32') return 'TF32 on (context only: lower precision)';
  if (r.op === 'curve') return `AUSUC ${Number(r.ausuc).toFixed(4)}, ${r.points} points`;
  if (r.op === 'nll-fit-lbfgs')
    return `γ ${Number(r.gamma).toFixed(3)}, T ${Number(r.temperature).toFixed(3)}, NLL ${Number(r.nll).toFixed(4)}, ${r.evaluations} evaluations`;
  if (r.op === 'copy') return 'read + write bytes';
  return undefined;
}

/** The case where ftcal's Newton fit and torch's LBFGS fit of (γ, T) sit side by side (suites/nll.ts). */
export const NLL_FIT_OP = 'NLL fit of (γ, T)';

/**
 * Runs the PyTorch CUDA peer once, before anything of ftcal's (its own process on the same GPU, with the
 * device to itself), and files its measurements into the result document: each opens the case of its
 * op and shape, which ftcal's runs then join. Its status goes into `peers`; without torch or CUDA it is
 * listed as not available with the reason, as NumPy is. PYTHON names the interpreter (python3 otherwise).
 */
export async function torchSuite(ctx: BenchContext, peers: PeerStatus[]): Promise<void> {
  if (ctx.opts.noPeers) {
    peers.push({ name: 'PyTorch (CUDA)', available: false, note: '--no-peers' });
    return;
  }
  const config = torchConfig(ctx);
  ctx.log('peers: PyTorch CUDA (torch_peer.py)');
  let doc: Awaited<ReturnType<typeof runTorchPeer>>;
  try {
    doc = await runTorchPeer(config);
  } catch (e) {
    peers.push({ name: 'PyTorch (CUDA)', available: false, note: (e as Error).message.split('\n')[0]! });
    return;
  }
  if (!doc.available) {
    peers.push({ name: 'PyTorch (CUDA)', available: false, note: doc.reason });
    ctx.log(`  PyTorch: not available (${doc.reason})`);
    return;
  }
  const onGpu = doc.timer !== 'wall';
  peers.push({
    name: onGpu ? 'PyTorch (CUDA)' : 'PyTorch (CPU check)',
    available: true,
    version: doc.torch,
    note: onGpu
      ? `python ${doc.python} subprocess on ${doc.device} (CUDA ${doc.cuda}), timed with CUDA events after warm-up; inputs made on the device`
      : `python ${doc.python} subprocess on ${doc.device}, wall-clock times: FTCAL_TORCH_DEVICE=cpu runs the script on torch's CPU backend to check it end to end, not as a peer`,
  });
  const device = `${doc.device} (torch ${doc.torch})`;
  for (const r of doc.results) {
    const where = placement(r);
    if (!where) continue;
    const c =
      ctx.cases.find((k) => k.suite === where.suite && k.op === where.op && k.label === where.label) ??
      newCase(ctx, where.suite, where.op, where.label, r.shape ?? {}, r.work ?? {});
    const impl = onGpu ? where.impl : where.impl.replace('torch-cuda', 'torch-cpu');
    const meta = { impl, device, mode: 'subprocess' as const };
    let run: Run;
    if (r.error || !r.ms?.length) {
      run = { ...meta, status: 'failed', note: r.error ?? 'no timings' };
    } else {
      run = withTiming(c, meta, externalTiming(r.ms, Number(config.warmup ?? 2)));
      if (onGpu) run.deviceTimed = true;
      run.note = `${onGpu ? 'CUDA-event time' : 'wall time on the CPU'}${extras(r) ? `; ${extras(r)}` : ''}`;
    }
    recordRun(c, run);
    ctx.log(`  ${c.op} ${c.label} ${describe(run)}`);
  }
}
