"""PyTorch CPU peer for ftcal's bench: `ftcal evaluate` end to end as a PyTorch user writes it.

Same protocol as numpy_peer.py: a JSON job list on stdin, one JSON document on stdout
  {"torch": version, "threads": n, "python": version, "results": [{"id", "wall_ms": [...], "max_rss_kb", ...}]}
or {"available": false, "reason": "..."} when torch cannot be imported. The only op is "evaluate":
the .npy memory-mapped and wrapped by torch.from_numpy (no copy), masked max/argmax and logsumexp per
group, the exact curve (sort + searchsorted) and AUSUC, NLL, ECE (15 bins) and Brier from log_softmax at
(γ, T), and the per-group logit moments of the diagnostics. Tensor operations on whole arrays, on
torch's intra-op threads set to every core of the machine.
"""

import json
import os
import platform
import resource
import sys
import warnings

from numpy_peer import evaluation_result, finite_or_none, timed


def evaluate(torch, np, job):
    z_np = np.load(job["logits"], mmap_mode="r")
    with warnings.catch_warnings():
        # from_numpy warns that the memory map is read-only; nothing here writes to it.
        warnings.simplefilter("ignore", UserWarning)
        z = torch.from_numpy(z_np)
    labels = torch.from_numpy(np.load(job["labels"]).astype(np.int64))
    groups = torch.tensor(job["groups"])
    gamma = float(job.get("gamma", 0.0))
    temperature = float(job.get("temperature", 1.0))
    n = z.shape[0]
    seen, absent = groups == 0, groups == 1
    neg = float("-inf")
    z_so, z_u, z_s = z.masked_fill(absent, neg), z.masked_fill(~absent, neg), z.masked_fill(~seen, neg)
    max_so, arg_so = z_so.max(1)
    max_u, arg_u = z_u.max(1)
    max_s, arg_s = z_s.max(1)
    label_logit = z.gather(1, labels[:, None])[:, 0]
    sum_s = z.masked_fill(~seen, 0).sum(1)
    sum_u = z.masked_fill(~absent, 0).sum(1)
    lse_so = torch.logsumexp(z_so / temperature, 1)
    lse_u = torch.logsumexp(z_u / temperature, 1)

    # The exact γ curve: a row goes to U iff γ > t = maxSO − maxU; count correct rows at every midpoint.
    t = max_so.double() - max_u.double()
    in_u = absent[labels]
    seen_ok = (~in_u) & (arg_so == labels)
    unseen_ok = in_u & (arg_u == labels)
    n_s, n_u = int((~in_u).sum()), int(in_u.sum())
    tau = torch.unique(t[torch.isfinite(t)])
    if tau.numel() == 0:
        gammas = torch.zeros(1, dtype=torch.float64)
    else:
        gammas = torch.cat([tau[:1] - 1, (tau[:-1] + tau[1:]) / 2, tau[-1:] + 1])
    ts, _ = torch.sort(t[seen_ok])
    tu, _ = torch.sort(t[unseen_ok])
    seen_acc = (ts.numel() - torch.searchsorted(ts, gammas, right=False)).double() / max(n_s, 1)
    unseen_acc = torch.searchsorted(tu, gammas, right=False).double() / max(n_u, 1)
    ausuc = float(((seen_acc[:-1] - seen_acc[1:]) * (unseen_acc[:-1] + unseen_acc[1:]) / 2).sum())

    s = (z + gamma * absent.float()) / temperature
    logp = torch.log_softmax(s, 1)
    p = logp.exp()
    nll = float(-logp.gather(1, labels[:, None]).mean())
    conf, pred = p.max(1)
    correct = (pred == labels).double()
    p_y = p.gather(1, labels[:, None])[:, 0]
    brier = float(((p * p).sum(1) - 2 * p_y + 1).mean())
    bins = (torch.ceil(conf * 15).long() - 1).clamp(0, 14)
    count = torch.bincount(bins, minlength=15)
    gap = (torch.bincount(bins, correct, 15) - torch.bincount(bins, conf.double(), 15)).abs()
    ece = float(gap.sum() / n)

    moments = {}
    for lg, rows_of in (("all", slice(None)), ("seen", ~in_u), ("absent", in_u)):
        sub = z[rows_of]
        for cg, cols_of in (("seen", seen), ("absent", absent)):
            block = sub[:, cols_of]
            moments[f"{lg}/{cg}"] = (float(block.mean()), float(block.std(unbiased=False)))
    out = evaluation_result(gammas.numel(), ausuc, nll, ece, brier, int((count > 0).sum()), moments)
    # The statistics ftcal keeps per row and this result does not print, so none is skipped.
    out["row_stats_sum"] = float(max_s.sum() + sum_s.sum() + sum_u.sum() + lse_so.sum() + lse_u.sum() + label_logit.sum())
    return out


def main():
    jobs = json.load(sys.stdin)
    try:
        import numpy as np  # noqa: PLC0415
        import torch  # noqa: PLC0415
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        json.dump(
            {"available": False, "reason": f"python {platform.python_version()} cannot import torch ({type(e).__name__}: {e})"},
            sys.stdout,
        )
        return
    # Debian's torch 1.13 starts with one intra-op thread on this machine; a user who cares sets it to the
    # cores they have, and so does the peer: ftcal uses every core too.
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    results = []
    for job in jobs:
        if job["op"] != "evaluate":
            results.append({"id": job["id"], "error": f"unknown op {job['op']}"})
            continue
        walls, out = timed(lambda: evaluate(torch, np, job), job.get("reps", 3), job.get("budget_ms", 2000), job.get("warmup", 1))
        results.append({"id": job["id"], "wall_ms": walls, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, **out})
    doc = {
        "available": True,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "results": results,
    }
    json.dump(finite_or_none(doc), sys.stdout)


if __name__ == "__main__":
    main()
