"""PyTorch CUDA peer for ftcal's bench: the GPU targets' reference numbers on the same machine.

Reads one JSON config on stdin, prints one JSON document on stdout:
  {"available": true, "torch": version, "cuda": version, "device": name, "results": [...]}
or {"available": false, "reason": "..."} when torch cannot be imported or sees no CUDA device.
Each result: {"id", "op", "shape", "work": {"flops"|"bytes"}, "ms": [...], "timer": "cuda-events", ...}.
Times are CUDA-event intervals around each call after warm-up calls (device time of the queued work).
Inputs are generated on the device with a fixed seed: nothing crosses PCIe inside a timed call.

"device": "cpu" in the config runs the same measurements on torch's CPU backend, timed with
time.perf_counter (results then carry "timer": "wall"): a way to check the script end to end where torch
has no CUDA (Debian's python3-torch). Its CUDA path is unverified until a run on a GPU machine.
"""

import json
import platform
import sys
import time

GIB = 2**30

DEFAULTS = {
    "matmul": 4096,
    # ≥ 1 GiB of f32 logits for the bandwidth figures.
    "rows": 2**18,
    "cols": 1024,
    "curve_rows": 1_000_000,
    "curve_cols": 1000,
    "gamma": 1.0,
    "temperature": 1.5,
    "lbfgs_iters": 20,
    "warmup": 2,
    "reps": 10,
    "seed": 0,
    "device": "cuda",
}


def config_from(text):
    """The config with defaults filled in; unknown keys are an error so a typo does not go unnoticed."""
    given = json.loads(text) if text.strip() else {}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(unknown)}")
    cfg = dict(DEFAULTS, **given)
    for key in ("matmul", "rows", "cols", "curve_rows", "curve_cols", "lbfgs_iters", "reps"):
        if not isinstance(cfg[key], int) or cfg[key] < 1:
            raise ValueError(f"{key} must be a positive integer, got {cfg[key]!r}")
    if cfg["device"] not in ("cuda", "cpu"):
        raise ValueError(f"device must be cuda or cpu, got {cfg['device']!r}")
    return cfg


def groups_for(cols):
    """Class groups as the bench's syntheticGroups: the first half seen (0), the rest absent (1)."""
    return [0 if c < cols // 2 else 1 for c in range(cols)]


def logits_bytes(rows, cols):
    return rows * cols * 4


def probe(device):
    """(torch module, None) or (None, reason)."""
    try:
        import torch  # noqa: PLC0415 - optional dependency, probed at run time
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        return None, f"python {platform.python_version()} cannot import torch ({type(e).__name__}: {e})"
    if device == "cuda" and not torch.cuda.is_available():
        return None, f"torch {torch.__version__} sees no CUDA device (torch.version.cuda={torch.version.cuda})"
    return torch, None


def cuda_timed(torch, fn, warmup, reps):
    """Milliseconds per call after warm-up: CUDA events on the GPU, perf_counter on the CPU backend."""
    out = None
    for _ in range(warmup):
        out = fn()
    on_gpu = torch.cuda.is_available() and torch.cuda.is_initialized()
    if on_gpu:
        torch.cuda.synchronize()
    ms = []
    for _ in range(reps):
        if not on_gpu:
            t0 = time.perf_counter()
            out = fn()
            ms.append((time.perf_counter() - t0) * 1000)
            continue
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        out = fn()
        end.record()
        end.synchronize()
        ms.append(start.elapsed_time(end))
    return ms, out


def synthetic(torch, rows, cols, seed, device):
    """Logits with a fine-tuned look: absent classes pushed down, labels over all classes."""
    g = torch.Generator(device=device).manual_seed(seed)
    z = torch.randn(rows, cols, generator=g, device=device, dtype=torch.float32)
    labels = torch.randint(0, cols, (rows,), generator=g, device=device)
    z[torch.arange(rows, device=device), labels] += 3.0
    groups = torch.tensor(groups_for(cols), device=device)
    z[:, groups == 1] -= 2.0
    return z, labels, groups


def group_max(torch, z, idx):
    sub = z.index_select(1, idx)
    values, arg = sub.max(dim=1)  # CUDA max returns the first maximum: DESIGN.md's lowest-index rule
    return values, idx[arg]


def row_stats(torch, z, labels, groups, temperature):
    s_idx = torch.nonzero(groups == 0).flatten()
    u_idx = torch.nonzero(groups == 1).flatten()
    so_idx = torch.nonzero(groups != 1).flatten()
    max_so, arg_so = group_max(torch, z, so_idx)
    max_u, arg_u = group_max(torch, z, u_idx)
    zt = z / temperature
    return {
        "maxSO": max_so,
        "argSO": arg_so,
        "maxU": max_u,
        "argU": arg_u,
        "label": z.gather(1, labels[:, None])[:, 0],
        "lseSO": torch.logsumexp(zt.index_select(1, so_idx), dim=1),
        "lseU": torch.logsumexp(zt.index_select(1, u_idx), dim=1),
    }


def exact_curve(torch, st, labels, groups):
    """DESIGN.md's exact γ curve and AUSUC: sorted thresholds and cumulative counts, all on the device."""
    t = st["maxSO"].double() - st["maxU"].double()
    in_u = groups[labels] == 1
    seen_ok = (~in_u) & (st["argSO"] == labels)
    unseen_ok = in_u & (st["argU"] == labels)
    n_s = int((~in_u).sum())
    n_u = int(in_u.sum())
    tau = torch.unique(t[torch.isfinite(t)])  # sorted
    if tau.numel() == 0:
        gammas = torch.zeros(1, dtype=torch.float64, device=t.device)
    else:
        mids = (tau[:-1] + tau[1:]) / 2
        gammas = torch.cat((tau[:1] - 1, mids, tau[-1:] + 1))
    # A row goes to U iff γ > t: seen rows stay correct while t >= γ, unseen ones once t < γ.
    ts, _ = torch.sort(t[seen_ok])
    tu, _ = torch.sort(t[unseen_ok])
    seen_n = ts.numel() - torch.searchsorted(ts, gammas, right=False)
    unseen_n = torch.searchsorted(tu, gammas, right=False)
    seen = seen_n.double() / max(1, n_s)
    unseen = unseen_n.double() / max(1, n_u)
    ausuc = torch.sum((seen[:-1] - seen[1:]) * (unseen[:-1] + unseen[1:]) / 2)
    return gammas, seen, unseen, ausuc


def nll_fit(torch, z, labels, groups, iters):
    """(γ, T) minimising mean NLL with torch.optim.LBFGS on (γ, log T); T > 0 by construction."""
    u = (groups == 1).float()
    gamma = torch.zeros((), device=z.device, requires_grad=True)
    log_t = torch.zeros((), device=z.device, requires_grad=True)
    opt = torch.optim.LBFGS([gamma, log_t], max_iter=iters, line_search_fn="strong_wolfe")
    evals = [0]

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy((z + gamma * u) / log_t.exp(), labels)
        loss.backward()
        evals[0] += 1
        return loss

    loss = opt.step(closure)
    return float(gamma.detach()), float(log_t.detach().exp()), float(loss.detach()), evals[0]


TIMER = {"cuda": "cuda-events", "cpu": "wall"}


def run_all(torch, cfg):
    dev = torch.device(cfg["device"])

    def result(op, shape, work, ms, **extra):
        return {"id": f"{op} {shape}", "op": op, "shape": shape, "work": work, "ms": ms, "timer": TIMER[cfg["device"]], **extra}

    def free():
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    w, r = cfg["warmup"], cfg["reps"]
    out = []

    def attempt(name, fn):
        try:
            out.append(fn())
        except Exception as e:  # noqa: BLE001 - one failing measurement must not hide the others
            out.append({"id": name, "op": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"})
        free()

    n = cfg["matmul"]

    def matmul(tf32):
        def go():
            torch.backends.cuda.matmul.allow_tf32 = tf32
            torch.backends.cudnn.allow_tf32 = tf32
            a = torch.randn(n, n, device=dev)
            b = torch.randn(n, n, device=dev)
            ms, _ = cuda_timed(torch, lambda: a @ b, w, r)
            return result(
                "matmul-tf32" if tf32 else "matmul-fp32", {"m": n, "n": n, "k": n}, {"flops": 2 * n**3}, ms
            )

        return go

    attempt("matmul-fp32", matmul(False))
    attempt("matmul-tf32", matmul(True))
    torch.backends.cuda.matmul.allow_tf32 = False

    rows, cols = cfg["rows"], cfg["cols"]
    shape = {"rows": rows, "cols": cols}
    cells = rows * cols

    def bandwidth():
        z, labels, groups = synthetic(torch, rows, cols, cfg["seed"], dev)
        u = (groups == 1).float()
        gamma, temp = cfg["gamma"], cfg["temperature"]
        got = []
        ms, _ = cuda_timed(torch, lambda: torch.log_softmax(z, dim=1), w, r)
        got.append(result("log_softmax", shape, {"bytes": 8 * cells}, ms))
        ms, _ = cuda_timed(torch, lambda: torch.softmax((z + gamma * u) / temp, dim=1), w, r)
        got.append(result("softmax-gamma-T", shape, {"bytes": 8 * cells}, ms, gamma=gamma, temperature=temp))
        dst = torch.empty_like(z)
        ms, _ = cuda_timed(torch, lambda: dst.copy_(z), w, r)
        got.append(result("copy", {"bytes": 4 * cells}, {"bytes": 8 * cells}, ms, note="read + write bytes"))
        del dst
        ms, st = cuda_timed(torch, lambda: row_stats(torch, z, labels, groups, temp), w, r)
        got.append(
            result(
                "rowstats",
                shape,
                {"bytes": 4 * cells + 48 * rows},
                ms,
                argSO_sum=int(st["argSO"].sum()),
                temperature=temp,
            )
        )
        return got

    try:
        out.extend(bandwidth())
    except Exception as e:  # noqa: BLE001
        out.append({"id": "bandwidth", "op": "bandwidth", "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"})
    free()

    crow, ccol = cfg["curve_rows"], cfg["curve_cols"]
    cshape = {"rows": crow, "cols": ccol}

    def curve():
        z, labels, groups = synthetic(torch, crow, ccol, cfg["seed"] + 1, dev)
        st = row_stats(torch, z, labels, groups, 1.0)
        ms, got = cuda_timed(torch, lambda: exact_curve(torch, st, labels, groups), w, r)
        gammas, _, _, ausuc = got
        total, _ = cuda_timed(
            torch, lambda: exact_curve(torch, row_stats(torch, z, labels, groups, 1.0), labels, groups), 1, r
        )
        return result(
            "curve",
            cshape,
            {"rows": crow},
            ms,
            ausuc=float(ausuc),
            points=int(gammas.numel()),
            with_row_stats_ms=total,
        )

    attempt("curve", curve)

    def fit():
        z, labels, groups = synthetic(torch, crow, ccol, cfg["seed"] + 2, dev)
        ms, got = cuda_timed(torch, lambda: nll_fit(torch, z, labels, groups, cfg["lbfgs_iters"]), 1, min(r, 3))
        gamma, temp, loss, evals = got
        return result(
            "nll-fit-lbfgs",
            cshape,
            {"rows": crow},
            ms,
            gamma=gamma,
            temperature=temp,
            nll=loss,
            evaluations=evals,
            max_iter=cfg["lbfgs_iters"],
        )

    attempt("nll-fit-lbfgs", fit)
    return out


def main():
    try:
        cfg = config_from(sys.stdin.read())
    except ValueError as e:
        print(f"torch_peer.py: bad config: {e}", file=sys.stderr)
        return 2
    torch, reason = probe(cfg["device"])
    if torch is None:
        print(json.dumps({"available": False, "reason": reason}))
        return 0
    torch.manual_seed(cfg["seed"])
    on_gpu = cfg["device"] == "cuda"
    doc = {
        "available": True,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if on_gpu else f"CPU ({platform.processor() or platform.machine()})",
        "timer": TIMER[cfg["device"]],
        "python": platform.python_version(),
        "config": cfg,
        "results": run_all(torch, cfg),
    }
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
