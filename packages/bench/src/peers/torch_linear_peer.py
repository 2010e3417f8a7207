"""PyTorch LBFGS peer for ftcal's linear-family fits (DESIGN.md §1.1): the same objective, fitted the way
a PyTorch user would (torch.optim.LBFGS with the strong-Wolfe line search, float32 tensors), on the CPU or
on CUDA.

Reads one JSON config on stdin, prints one JSON document on stdout:
  {"available": true, "torch": version, "device": name, "threads": n, "python": version, "results": [...]}
or {"available": false, "reason": "..."} when torch cannot be imported (or CUDA was asked for and is absent).

Config: {"device": "cpu" | "cuda", "threads": n (CPU), "cases": [{"id", "logits": .npy path (N×C float32),
"labels": .npy path (N int32), "groups": [0 seen | 1 absent | 2 other per class], "method": "vector" |
"matrix" | "dirichlet" | "affine", "odir": [λ, μ], "tolerance": max |∂L/∂θ| to stop at, "max_iter": LBFGS
iterations at most}]}.
Each result: {"id", "method", "rows", "cols", "seconds" (the fit: LBFGS's step, CUDA synchronised),
"load_seconds", "iterations", "evaluations", "loss" (float64 re-evaluation of the objective at the final
parameters), "loss_f32" (the closure's own), "grad_max", "converged"}.

The objective, as ftcal fits it: mean −log softmax(s_i)_{y_i} with s = W·x + b (x = log softmax(z) for
dirichlet), vector / matrix / dirichlet placing the classes of S ∪ U (O scores −∞), affine s = e^θS·z on
S ∪ O and e^θU·z + β on U, and ODIR λ·Σ_{i≠j} W_ij²/(C(C−1)) + μ·Σ b²/C on matrix and dirichlet.
Initial point: W = I (vector: w = 1), b = 0; affine θ = 0.
"""

import json
import platform
import sys
import time


def fail(reason):
    print(json.dumps({"available": False, "reason": reason}))
    sys.exit(0)


def objective(torch, method, x, y, placed, absent, odir, params, cols):
    """(loss, nll) for the parameter tensors `params`, in x's dtype."""
    if method == "affine":
        t_s, t_u, beta = params
        scale = torch.where(absent, torch.exp(t_u), torch.exp(t_s))
        s = x * scale + torch.where(absent, beta, torch.zeros_like(beta))
        reg = x.new_zeros(())
    else:
        w, b = params
        if method == "vector":
            s_placed = x[:, placed] * w + b
        else:
            s_placed = x @ w.T + b
        s = torch.full_like(x, float("-inf"))
        s[:, placed] = s_placed
        reg = x.new_zeros(())
        if method in ("matrix", "dirichlet"):
            lam, mu = odir
            k = len(placed)
            off = torch.ones_like(w, dtype=torch.bool)
            off[torch.arange(k), placed] = False
            if cols > 1:
                reg = reg + lam * (w[off] ** 2).sum() / (cols * (cols - 1))
            reg = reg + mu * (b**2).sum() / cols
    nll = torch.nn.functional.cross_entropy(s, y)
    return nll + reg, nll


def initial(torch, method, placed, cols, device):
    k = len(placed)
    if method == "vector":
        return [torch.ones(k, device=device), torch.zeros(k, device=device)]
    if method in ("matrix", "dirichlet"):
        w = torch.zeros(k, cols, device=device)
        w[torch.arange(k), placed] = 1.0
        return [w, torch.zeros(k, device=device)]
    return [torch.zeros((), device=device) for _ in range(3)]


def run_case(torch, np, case, device):
    t0 = time.perf_counter()
    z = torch.from_numpy(np.array(np.load(case["logits"], mmap_mode="r"), dtype=np.float32))
    y = torch.from_numpy(np.load(case["labels"]).astype(np.int64))
    z, y = z.to(device), y.to(device)
    groups = torch.tensor(case["groups"], device=device)
    sync(torch, device)
    load_seconds = time.perf_counter() - t0
    method = case["method"]
    cols = z.shape[1]
    placed = torch.nonzero(groups != 2).flatten() if method != "affine" else torch.arange(cols, device=device)
    absent = groups == 1
    odir = case.get("odir", [1e-3, 1e-3])
    params = [p.requires_grad_() for p in initial(torch, method, placed, cols, device)]
    tolerance = case.get("tolerance", 1e-6)
    max_iter = case.get("max_iter", 500)

    t0 = time.perf_counter()
    x = torch.log_softmax(z, dim=1) if method == "dirichlet" else z
    opt = torch.optim.LBFGS(
        params,
        lr=1,
        max_iter=max_iter,
        max_eval=max_iter * 5 // 4,
        tolerance_grad=tolerance,
        tolerance_change=0,
        history_size=10,
        line_search_fn="strong_wolfe",
    )
    evaluations = [0]

    def closure():
        opt.zero_grad()
        loss, _ = objective(torch, method, x, y, placed, absent, odir, params, cols)
        loss.backward()
        evaluations[0] += 1
        return loss

    loss_f32 = opt.step(closure)
    sync(torch, device)
    seconds = time.perf_counter() - t0
    iterations = opt.state[opt._params[0]].get("n_iter", 0)

    final_loss = closure()
    grad_max = max(float(p.grad.abs().max()) for p in params)
    with torch.no_grad():
        p64 = [p.detach().double() for p in params]
        loss64, _ = objective(torch, method, x.double(), y, placed, absent, odir, p64, cols)
    return {
        "id": case["id"],
        "method": method,
        "rows": int(z.shape[0]),
        "cols": int(cols),
        "seconds": seconds,
        "load_seconds": load_seconds,
        "iterations": int(iterations),
        "evaluations": evaluations[0] - 1,
        "loss": float(loss64),
        "loss_f32": float(final_loss if loss_f32 is None else final_loss),
        "grad_max": grad_max,
        "converged": grad_max <= tolerance,
    }


def sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    cfg = json.loads(sys.stdin.read() or "{}")
    try:
        import numpy as np
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means the peer is not available
        fail(f"cannot import torch/numpy: {e}")
    want = cfg.get("device", "cpu")
    if want == "cuda" and not torch.cuda.is_available():
        fail("torch sees no CUDA device")
    device = torch.device(want)
    if want == "cpu" and cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    results = []
    for case in cfg.get("cases", []):
        try:
            results.append(run_case(torch, np, case, device))
        except Exception as e:  # noqa: BLE001 - one failed case is reported, the others still run
            results.append({"id": case.get("id"), "error": f"{type(e).__name__}: {e}"})
    name = torch.cuda.get_device_name(device) if want == "cuda" else platform.processor() or platform.machine()
    print(
        json.dumps(
            {
                "available": True,
                "torch": torch.__version__,
                "device": name,
                "threads": torch.get_num_threads(),
                "python": platform.python_version(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
