"""NumPy peer for ftcal's bench: the same operations in vectorised NumPy, timed inside Python.

Reads a JSON job list on stdin, prints one JSON document on stdout:
  {"numpy": version, "python": version, "blas": name, "results": [{"id", "wall_ms": [...], ...}, ...]}
Inputs are the bench's own bytes (raw little-endian float32 / int32 / uint32 files), so results can be
compared with ftcal's. Each job: warm-up calls, then repetitions until `reps` or `budget_ms`.
"""

import json
import platform
import resource
import sys
import time

import numpy as np


def timed(fn, reps, budget_ms, warmup=1, min_reps=1):
    out = None
    for _ in range(warmup):
        out = fn()
    walls = []
    spent = 0.0
    while len(walls) < reps and (len(walls) < min_reps or spent < budget_ms):
        t0 = time.perf_counter()
        out = fn()
        dt = (time.perf_counter() - t0) * 1e3
        walls.append(dt)
        spent += dt
    return walls, out


def load(job):
    """Raw little-endian arrays, or .npy files (read whole, as NumPy users do)."""
    rows, cols = job["rows"], job["cols"]
    if job["logits"].endswith(".npy"):
        z = np.load(job["logits"])
    else:
        z = np.fromfile(job["logits"], dtype="<f4", count=rows * cols).reshape(rows, cols)
    labels = None
    if job.get("labels", "").endswith(".npy"):
        labels = np.load(job["labels"]).astype(np.int64)
    elif job.get("labels"):
        labels = np.fromfile(job["labels"], dtype="<i4", count=rows)
    groups = np.asarray(job["groups"], dtype=np.uint32)
    return z, labels, groups


def softmax(z, groups, gamma, temperature):
    s = (z + np.float32(gamma) * (groups == 1).astype(np.float32)) / np.float32(temperature)
    s = s - s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s


def lse(x, axis=1):
    if x.shape[axis] == 0:
        return np.full(x.shape[0], -np.inf, dtype=np.float32)
    m = x.max(axis=axis, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=axis)) + m[:, 0]).astype(np.float32)


def group_max(z, idx):
    if idx.size == 0:
        n = z.shape[0]
        return np.full(n, -np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
    sub = z[:, idx]
    a = sub.argmax(axis=1)  # first maximum: the lowest class index, as DESIGN.md's tie rule asks
    return sub[np.arange(z.shape[0]), a], idx[a]


def row_stats(z, labels, groups, temperature):
    s_idx = np.flatnonzero(groups == 0)
    u_idx = np.flatnonzero(groups == 1)
    so_idx = np.flatnonzero(groups != 1)
    max_so, arg_so = group_max(z, so_idx)
    max_u, arg_u = group_max(z, u_idx)
    max_s, arg_s = group_max(z, s_idx)
    zt = z / np.float32(temperature)
    return {
        "maxSO": max_so,
        "argSO": arg_so,
        "maxU": max_u,
        "argU": arg_u,
        "maxS": max_s,
        "argS": arg_s,
        "label": z[np.arange(z.shape[0]), labels] if labels is not None else None,
        "sumS": z[:, s_idx].sum(axis=1),
        "sumU": z[:, u_idx].sum(axis=1),
        "lseSO": lse(zt[:, so_idx]),
        "lseU": lse(zt[:, u_idx]),
    }


def exact_curve(st, labels, groups):
    """DESIGN.md's exact γ curve from row statistics: sort the thresholds, count with searchsorted."""
    t = (st["maxSO"].astype(np.float64) - st["maxU"].astype(np.float64))
    in_u = groups[labels] == 1
    seen_ok = (~in_u) & (st["argSO"] == labels)
    unseen_ok = in_u & (st["argU"] == labels)
    n_s = int((~in_u).sum())
    n_u = int(in_u.sum())
    tau = np.unique(t[np.isfinite(t)])
    if tau.size == 0:
        gammas = np.array([0.0])
    else:
        mids = (tau[:-1] + tau[1:]) / 2
        gammas = np.concatenate(([tau[0] - 1], mids, [tau[-1] + 1]))
    # A row goes to U iff γ > t: seen rows stay correct while t >= γ, unseen ones once t < γ.
    ts = np.sort(t[seen_ok])
    tu = np.sort(t[unseen_ok])
    seen_ok_n = ts.size - np.searchsorted(ts, gammas, side="left")
    unseen_ok_n = np.searchsorted(tu, gammas, side="left")
    # An empty label group has no accuracy: NaN, as in ftcal.
    seen = seen_ok_n / n_s if n_s else np.full(len(gammas), np.nan)
    unseen = unseen_ok_n / n_u if n_u else np.full(len(gammas), np.nan)
    overall = (seen_ok_n + unseen_ok_n) / max(1, n_s + n_u)
    ausuc = float(np.sum((seen[:-1] - seen[1:]) * (unseen[:-1] + unseen[1:]) / 2))
    return gammas, seen, unseen, overall, ausuc


def paper_curve(z, labels, groups, gammas):
    """The paper's algorithm: at every breakpoint, add γ to the absent logits and re-take argmax."""
    u = (groups == 1).astype(np.float32)
    in_u = groups[labels] == 1
    n_s = int((~in_u).sum())
    n_u = int(in_u.sum())
    seen = np.empty(len(gammas))
    unseen = np.empty(len(gammas))
    for k, g in enumerate(gammas):
        pred = (z + np.float32(g) * u).argmax(axis=1)
        ok = pred == labels
        seen[k] = (ok & ~in_u).sum() / n_s if n_s else np.nan
        unseen[k] = (ok & in_u).sum() / n_u if n_u else np.nan
    ausuc = float(np.sum((seen[:-1] - seen[1:]) * (unseen[:-1] + unseen[1:]) / 2))
    return seen, unseen, ausuc


def evaluate(job):
    """`ftcal evaluate` as a NumPy user writes it: the .npy memory-mapped, masked max/argmax and
    logsumexp per group, the exact curve and AUSUC, then NLL, ECE (15 bins) and Brier at (γ, T) from a
    softmax, and the per-group logit moments of the diagnostics. Whole-array operations, as in the
    tutorials: no chunking, no hand-fused loops."""
    z = np.load(job["logits"], mmap_mode="r")
    labels = np.load(job["labels"]).astype(np.int64)
    groups = np.asarray(job["groups"], dtype=np.uint32)
    gamma = np.float32(job.get("gamma", 0.0))
    temperature = np.float32(job.get("temperature", 1.0))
    n = z.shape[0]
    rows = np.arange(n)
    seen, absent = groups == 0, groups == 1
    masked = lambda keep: np.where(keep, z, np.float32(-np.inf))  # noqa: E731
    z_so, z_u, z_s = masked(~absent), masked(absent), masked(seen)
    arg_so, arg_u, arg_s = z_so.argmax(1), z_u.argmax(1), z_s.argmax(1)
    st = {
        "maxSO": z_so[rows, arg_so],
        "argSO": arg_so,
        "maxU": z_u[rows, arg_u],
        "argU": arg_u,
        "maxS": z_s[rows, arg_s],
        "argS": arg_s,
        "label": z[rows, labels],
        "sumS": np.where(seen, z, 0).sum(1),
        "sumU": np.where(absent, z, 0).sum(1),
        "lseSO": lse(z_so / temperature),
        "lseU": lse(z_u / temperature),
    }
    gammas, seen_acc, unseen_acc, overall, ausuc = exact_curve(st, labels, groups)
    s = (z + gamma * absent.astype(np.float32)) / temperature
    s -= s.max(1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(1, keepdims=True))
    p = np.exp(logp)
    nll = float(-logp[rows, labels].mean())
    conf = p.max(1)
    correct = p.argmax(1) == labels
    brier = float(((p * p).sum(1) - 2 * p[rows, labels] + 1).mean())
    bins = np.clip(np.ceil(conf * 15).astype(np.int64) - 1, 0, 14)
    count = np.bincount(bins, minlength=15)
    gap = np.abs(np.bincount(bins, correct, 15) - np.bincount(bins, conf, 15))
    ece = float(gap.sum() / n)
    in_u = absent[labels]
    moments = {}
    for lg, rows_of in (("all", slice(None)), ("seen", ~in_u), ("absent", in_u)):
        sub = z[rows_of]
        for cg, cols_of in (("seen", seen), ("absent", absent)):
            block = sub[:, cols_of]
            moments[f"{lg}/{cg}"] = (float(block.mean()), float(block.std()))
    return evaluation_result(len(gammas), ausuc, nll, ece, brier, int((count > 0).sum()), moments)


def evaluation_result(points, ausuc, nll, ece, brier, bins_nonempty, moments):
    """What an evaluate job reports: enough to check it against ftcal's evaluation of the same file."""
    return {
        "points": int(points),
        "ausuc": ausuc,
        "nll": nll,
        "ece": ece,
        "brier": brier,
        "bins_nonempty": bins_nonempty,
        "moments_all_seen_mean": moments["all/seen"][0],
    }


def run(job):
    op = job["op"]
    reps, budget = job.get("reps", 5), job.get("budget_ms", 2000)
    warmup = job.get("warmup", 1)
    repeat = job.get("repeat", 1)
    res = {"id": job["id"]}
    if op == "matmul":
        rng = np.random.default_rng(job.get("seed", 1))
        m, n, k, batch = job["m"], job["n"], job["k"], job.get("batch", 1)
        shape_a = (batch, m, k) if batch > 1 else (m, k)
        shape_b = (batch, n, k) if job.get("transB") else (batch, k, n)
        if batch == 1:
            shape_b = shape_b[1:]
        a = rng.standard_normal(shape_a, dtype=np.float32)
        b = rng.standard_normal(shape_b, dtype=np.float32)
        bias = rng.standard_normal(n, dtype=np.float32) if job.get("bias") else None

        def mm():
            bb = np.swapaxes(b, -1, -2) if job.get("transB") else b
            c = np.matmul(a, bb)
            if bias is not None:
                c += bias
            return c

        res["wall_ms"], _ = timed(mm, reps, budget, warmup)
        return res
    if op == "sort":
        keys = np.fromfile(job["keys"], dtype="<f4")

        def sort():
            order = np.argsort(keys, kind="stable")
            return keys[order], order

        res["wall_ms"], out = timed(sort, reps, budget, warmup)
        res["checksum"] = int(out[1][: min(1000, keys.size)].astype(np.int64).sum())
        return res
    if op == "evaluate":
        fn = lambda: evaluate(job)  # noqa: E731
        res["wall_ms"], out = timed(fn, reps, budget, warmup)
        res.update(out)
        # One job per process in the bench, so the process's peak is this job's.
        res["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return res
    z, labels, groups = load(job)
    if op == "softmax":
        fn = lambda: [softmax(z, groups, job["gamma"], job["temperature"]) for _ in range(repeat)][-1]  # noqa: E731
        res["wall_ms"], out = timed(fn, reps, budget, warmup)
        res["checksum"] = float(out[:, 0].astype(np.float64).sum())
    elif op == "rowstats":
        fn = lambda: [row_stats(z, labels, groups, job["temperature"]) for _ in range(repeat)][-1]  # noqa: E731
        res["wall_ms"], out = timed(fn, reps, budget, warmup)
        res["argSO_sum"] = int(out["argSO"].sum())
        res["maxU_sum"] = float(out["maxU"].astype(np.float64).sum())
    elif op == "curve":
        def fn():
            st = row_stats(z, labels, groups, 1.0)
            return exact_curve(st, labels, groups)

        res["wall_ms"], out = timed(fn, reps, budget, warmup)
        res["points"] = int(len(out[0]))
        res["ausuc"] = out[4]
        best = int(np.argmax(out[3]))
        res["oracle_gamma"] = float(out[0][best])
    elif op == "paper-curve":
        st = row_stats(z, labels, groups, 1.0)
        gammas = exact_curve(st, labels, groups)[0]
        res["wall_ms"], out = timed(lambda: paper_curve(z, labels, groups, gammas), reps, budget, warmup)
        res["points"] = int(len(gammas))
        res["ausuc"] = out[2]
    else:
        raise ValueError(f"unknown op {op}")
    return res


def finite_or_none(x):
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite_or_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite_or_none(v) for v in x]
    return x


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy prints instead of returning
        return "unknown"


def main():
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        try:
            results.append(run(job))
        except MemoryError as e:
            results.append({"id": job["id"], "error": f"MemoryError: {e}"})
    doc = {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "blas": blas_name(),
        "results": results,
    }
    # JSON has no NaN: an undefined accuracy or AUSUC travels as null.
    json.dump(finite_or_none(doc), sys.stdout)


if __name__ == "__main__":
    main()
