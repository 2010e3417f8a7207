#!/usr/bin/env python3
"""Golden values for ftcal's calibration engine, from an independent NumPy implementation.

Run from the repository root:  python3 packages/core/test/golden/make_golden.py
then format:                   npx biome format --write packages/core/test/golden/*.json

Written from DESIGN.md §1 alone, in float64, with straightforward loops: predictions by re-scanning
the logits at every γ (as the paper's code does), never through per-row statistics or prefix sums.
Inputs are quantised to multiples of 2^-16 so every value is exact in float32 and in the JSON text.
-Infinity logits are listed by flat index in "negInf" (JSON has no infinities); NaN results are null.
"""

import json
import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent
Q = 2.0**-16
ECE_BINS = 15


def quantise(x):
    return np.round(np.asarray(x, dtype=np.float64) / Q) * Q


# ---------------------------------------------------------------- predictions and accuracies


def predict(z, codes, gamma):
    """Argmax of z + γ·[c∈U] with DESIGN.md §1 tie rules, row by row."""
    n, c = z.shape
    pred = np.empty(n, dtype=np.int64)
    for i in range(n):
        best_u, arg_u = -math.inf, -1
        best_so, arg_so = -math.inf, -1
        for j in range(c):
            if codes[j] == 1:
                v = z[i, j] + gamma
                if arg_u < 0 or v > best_u:
                    best_u, arg_u = v, j
            else:
                v = z[i, j]
                if arg_so < 0 or v > best_so:
                    best_so, arg_so = v, j
        pred[i] = arg_u if best_u > best_so else arg_so
    return pred


def argmax_within(z, cls):
    """Argmax restricted to the class list `cls` (ascending), lowest index among ties."""
    sub = z[:, cls]
    return np.asarray(cls)[np.argmax(sub == sub.max(axis=1, keepdims=True), axis=1)]


def pct(k, n):
    return None if n == 0 else 100.0 * k / n


def hmean(a, b):
    if a is None or b is None:
        return None
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def accuracy_table(z, labels, codes, gamma):
    seen = [j for j in range(len(codes)) if codes[j] == 0]
    absent = [j for j in range(len(codes)) if codes[j] == 1]
    pred = predict(z, codes, gamma)
    in_s = codes[labels] == 0
    in_u = codes[labels] == 1
    correct = pred == labels
    ss = argmax_within(z, seen) == labels
    uu = argmax_within(z, absent) == labels
    sy = pct(int(np.sum(correct & in_s)), int(in_s.sum()))
    uy = pct(int(np.sum(correct & in_u)), int(in_u.sum()))
    return {
        "Y/Y": pct(int(np.sum(correct & (in_s | in_u))), int((in_s | in_u).sum())),
        "S/Y": sy,
        "U/Y": uy,
        "S/S": pct(int(np.sum(ss & in_s)), int(in_s.sum())),
        "U/U": pct(int(np.sum(uu & in_u)), int(in_u.sum())),
        "H": hmean(sy, uy),
    }


def finite_thresholds(z, codes):
    ts = []
    for i in range(z.shape[0]):
        m_so = max(z[i, j] for j in range(len(codes)) if codes[j] != 1)
        m_u = max(z[i, j] for j in range(len(codes)) if codes[j] == 1)
        if math.isfinite(m_so) and math.isfinite(m_u):
            ts.append(m_so - m_u)
    return sorted(set(ts))


def curve(z, labels, codes):
    """Brute force: the accuracy table re-computed from the logits at every curve point."""
    taus = finite_thresholds(z, codes)
    if not taus:
        gammas = [0.0]
    else:
        gammas = [taus[0] - 1] + [(a + b) / 2 for a, b in zip(taus, taus[1:])] + [taus[-1] + 1]
    points = []
    for g in gammas:
        t = accuracy_table(z, labels, codes, g)
        points.append({"gamma": g, "seen": t["S/Y"], "unseen": t["U/Y"], "overall": t["Y/Y"]})
    area = 0.0
    for p, q in zip(points, points[1:]):
        area += (p["seen"] - q["seen"]) / 100 * (p["unseen"] + q["unseen"]) / 200
    return points, area, len(taus)


def first_best(points, score, ok=lambda p: True):
    best, best_v = None, None
    for k, p in enumerate(points):
        if not ok(p):
            continue
        v = score(p)
        if best is None or v > best_v:
            best, best_v = k, v
    return best


# ---------------------------------------------------------------- methods


def alg_gamma(z, labels, codes):
    seen = [j for j in range(len(codes)) if codes[j] == 0]
    absent = [j for j in range(len(codes)) if codes[j] == 1]
    a, b, n = 0.0, 0.0, 0
    for i in range(z.shape[0]):
        if codes[labels[i]] != 0:
            continue
        others = [z[i, j] for j in seen if j != labels[i]]
        a += sum(others) / len(others)
        b += sum(z[i, j] for j in absent) / len(absent)
        n += 1
    return a / n - b / n


def pcv_gamma(folds, codes_full):
    seen_full = [j for j in range(len(codes_full)) if codes_full[j] == 0]
    out = []
    for f in folds:
        codes = np.full(len(codes_full), 2)
        codes[seen_full] = 1
        codes[f["seen"]] = 0
        z = f["logits"]
        labels = f["labels"]
        keep = codes[labels] != 2
        z, labels, pre = z[keep], labels[keep], f["pretrained"][keep]
        pre_unseen = accuracy_table(pre, labels, codes, 0.0)["U/Y"]
        points, _, _ = curve(z, labels, codes)
        k = first_best(points, lambda p: p["overall"], lambda p: p["unseen"] >= pre_unseen)
        out.append({"gamma": points[k]["gamma"], "pretrainedUnseen": pre_unseen})
    return sum(o["gamma"] for o in out) / len(out), out


# ---------------------------------------------------------------- confidence metrics


def log_softmax_rows(s):
    m = s.max(axis=1, keepdims=True)
    e = np.where(np.isneginf(s), 0.0, np.exp(s - m))
    return s - m - np.log(e.sum(axis=1, keepdims=True))


def nll_mean(z, labels, codes, gamma, log_t):
    s = (z + gamma * (codes == 1)) / math.exp(log_t)
    lp = log_softmax_rows(s)
    return float(-lp[np.arange(len(labels)), labels].mean())


def ece_equal_width(conf, correct):
    edges = [k / ECE_BINS for k in range(ECE_BINS + 1)]
    rows = [[] for _ in range(ECE_BINS)]
    for i, c in enumerate(conf):
        b = 0
        while b < ECE_BINS - 1 and c > edges[b + 1]:
            b += 1
        rows[b].append(i)
    table = []
    ece = 0.0
    for b in range(ECE_BINS):
        idx = rows[b]
        mc = float(np.mean(conf[idx])) if idx else 0.0
        acc = float(np.mean(correct[idx])) if idx else 0.0
        table.append({"lo": edges[b], "hi": edges[b + 1], "count": len(idx), "meanConfidence": mc, "accuracy": acc})
        ece += len(idx) / len(conf) * abs(acc - mc)
    return ece, table


def ece_equal_mass(conf, correct):
    n = len(conf)
    order = sorted(range(n), key=lambda i: (conf[i], i))
    rows = [[] for _ in range(ECE_BINS)]
    for rank, i in enumerate(order):
        rows[rank * ECE_BINS // n].append(i)
    table = []
    ece = 0.0
    for b in range(ECE_BINS):
        idx = rows[b]
        if idx:
            mc = float(np.mean(conf[idx]))
            acc = float(np.mean(correct[idx]))
            table.append(
                {
                    "lo": float(min(conf[idx])),
                    "hi": float(max(conf[idx])),
                    "count": len(idx),
                    "meanConfidence": mc,
                    "accuracy": acc,
                }
            )
            ece += len(idx) / n * abs(acc - mc)
        else:
            table.append({"lo": None, "hi": None, "count": 0, "meanConfidence": 0.0, "accuracy": 0.0})
    return ece, table


def confidence_metrics(z, labels, codes, gamma, temperature):
    s = (z + gamma * (codes == 1)) / temperature
    lp = log_softmax_rows(s)
    p = np.exp(lp)
    pred = predict(z, codes, gamma)
    n = len(labels)
    conf = p[np.arange(n), pred]
    correct = (pred == labels).astype(np.float64)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), labels] = 1
    nll_rows = -lp[np.arange(n), labels]
    brier_rows = ((p - onehot) ** 2).sum(axis=1)

    def part(mask):
        if not mask.any():
            return None
        e, _ = ece_equal_width(conf[mask], correct[mask])
        return {"nll": float(nll_rows[mask].mean()), "brier": float(brier_rows[mask].mean()), "ece": e}

    ew, ew_table = ece_equal_width(conf, correct)
    em, em_table = ece_equal_mass(conf, correct)
    return {
        "gamma": gamma,
        "temperature": temperature,
        "nll": float(nll_rows.mean()),
        "brier": float(brier_rows.mean()),
        "ece": ew,
        "eceEqualMass": em,
        "bins": ew_table,
        "binsEqualMass": em_table,
        "seen": part(codes[labels] == 0),
        "absent": part(codes[labels] == 1),
    }


def zoom_minimise(f, lo, hi, points=41, rounds=60):
    """Minimises f over a box by repeatedly gridding and shrinking around the best grid point."""
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    best = None
    for _ in range(rounds):
        axes = [np.linspace(lo[d], hi[d], points) for d in range(len(lo))]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))
        vals = np.array([f(x) for x in grid])
        k = int(np.argmin(vals))
        best = grid[k]
        half = (hi - lo) / 8
        lo, hi = best - half, best + half
        if np.all(hi - lo < 1e-11):
            break
    return best, f(best)


# ---------------------------------------------------------------- NCM and diagnostics


def ncm_table(ref_x, ref_y, x, labels, codes):
    def norm(a):
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    ref = norm(ref_x)
    c = len(codes)
    means = np.zeros((c, ref.shape[1]))
    for k in range(c):
        means[k] = ref[ref_y == k].mean(axis=0)
    means = norm(means)
    scores = norm(x) @ means.T
    return accuracy_table(scores, labels, codes, 0.0), scores


def mean_std(values):
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=np.float64)
    if len(v) == 0:
        return {"count": 0, "mean": None, "std": None}
    return {"count": int(len(v)), "mean": float(v.mean()), "std": float(v.std())}


def diagnostics(z, labels, codes, weights):
    groups = {"seen": codes == 0, "absent": codes == 1, "other": codes == 2}
    label_groups = {"all": np.ones(len(labels), bool), "seen": codes[labels] == 0, "absent": codes[labels] == 1}
    out = {"logits": {}, "maxLogits": {}, "thresholds": {}}
    for lg, rmask in label_groups.items():
        out["logits"][lg] = {g: mean_std(z[rmask][:, cmask].ravel()) for g, cmask in groups.items()}
        rows = z[rmask]
        out["maxLogits"][lg] = {
            "seen": mean_std(rows[:, codes == 0].max(axis=1)),
            "absent": mean_std(rows[:, codes == 1].max(axis=1)),
            "seenOrOther": mean_std(rows[:, codes != 1].max(axis=1)),
        }
        out["thresholds"][lg] = mean_std(rows[:, codes != 1].max(axis=1) - rows[:, codes == 1].max(axis=1))
    norms = np.linalg.norm(weights, axis=1)
    out["weightNorms"] = {g: mean_std(norms[cmask]) for g, cmask in groups.items()}
    return out


# ---------------------------------------------------------------- fixtures


def fixture_logits(rng, n, codes, labels, boost_seen, label_boost, scale=1.0, lattice=None):
    z = rng.standard_normal((n, len(codes))) * scale
    z[np.arange(n), labels] += label_boost
    z[:, codes == 0] += boost_seen
    if lattice:
        z = np.round(z / lattice) * lattice
    return quantise(z)


def encode_matrix(z):
    flat = z.ravel()
    neg = [int(i) for i in np.flatnonzero(np.isneginf(flat))]
    vals = [0.0 if math.isinf(v) else float(v) for v in flat]
    return {"rows": int(z.shape[0]), "cols": int(z.shape[1]), "values": vals, "negInf": neg}


def build(name, seed, lattice=None, inject_ties=False):
    rng = np.random.default_rng(seed)
    c = 12
    seen = [0, 1, 2, 3, 4, 5]
    absent = [6, 7, 8, 9]
    codes = np.full(c, 2)
    codes[seen] = 0
    codes[absent] = 1
    labelled = np.array(seen + absent)
    n = 200
    labels = rng.choice(labelled, n)
    z = fixture_logits(rng, n, codes, labels, 1.5, 2.5, lattice=lattice)
    if inject_ties:
        # Exact ties inside and across groups, and rows whose maxima are -inf on one side.
        z[0, :] = 1.0
        z[1, [0, 3]] = 4.0
        z[1, [6, 8]] = 4.0
        z[2, :] = 0.0
        z[2, 7] = 2.0
        z[2, 9] = 2.0
        for r in range(3, 12):
            z[r, codes == 1] = z[r, codes == 1].max() - 0.5
        labels[3] = 0
        z[20, codes == 1] = -math.inf  # no finite U logit: never goes to U
        labels[20] = seen[1]
        z[21, codes != 1] = -math.inf  # no finite S∪O logit: always goes to U
        labels[21] = absent[2]
        z[22, [1, 10]] = -math.inf
    # fitting set for alg: the fine-tuning training data, labelled in S
    train_labels = rng.choice(np.array(seen), 150)
    train = fixture_logits(rng, 150, codes, train_labels, 2.0, 3.0, lattice=lattice)
    # pseudo cross-validation folds: S split in two halves
    folds = []
    for f, s_f in enumerate([[0, 1, 2], [3, 4, 5]]):
        fl = rng.choice(np.array(seen), 120)
        fcodes = np.full(c, 2)
        fcodes[seen] = 1
        fcodes[s_f] = 0
        fz = fixture_logits(rng, 120, fcodes, fl, 1.8, 2.2, lattice=lattice)
        pre = fixture_logits(rng, 120, fcodes, fl, 0.0, 2.2, lattice=lattice)
        folds.append({"seen": s_f, "labels": fl, "logits": fz, "pretrained": pre})
    # features for NCM: class prototypes plus noise; a reference set covering every class
    d = 16
    protos = rng.standard_normal((c, d))
    ref_y = np.concatenate([np.arange(c), rng.integers(0, c, 228)])
    ref_x = quantise(protos[ref_y] + 1.6 * rng.standard_normal((len(ref_y), d)))
    x = quantise(protos[labels] + 1.6 * rng.standard_normal((n, d)))
    weights = quantise(rng.standard_normal((c, d)) * (1 + (codes == 0)[:, None]))

    points, area, m = curve(z, labels, codes)
    seen0 = accuracy_table(z, labels, codes, 0.0)["S/Y"]
    k_oracle = first_best(points, lambda p: p["overall"])
    k_hmean = first_best(points, lambda p: hmean(p["seen"], p["unseen"]))
    constrained = {}
    for delta in [1.0, 5.0]:
        k = first_best(points, lambda p: p["overall"], lambda p, dl=delta: p["seen"] >= seen0 - dl)
        constrained[str(delta)] = points[k]["gamma"]
    pcv, pcv_folds = pcv_gamma(folds, codes)
    alg = alg_gamma(train, train_labels, codes)
    gammas = [0.0, -1.5, 0.7, 2.3, alg, points[k_oracle]["gamma"]]
    (g_opt, u_opt), nll_opt = zoom_minimise(lambda x: nll_mean(z, labels, codes, x[0], x[1]), [-10, -4], [10, 4])
    (u_t,), nll_t = zoom_minimise(lambda x: nll_mean(z, labels, codes, 0.0, x[0]), [-4], [4])
    ncm, _ = ncm_table(ref_x, ref_y, x, labels, codes)
    fixture = {
        "name": name,
        "seed": seed,
        "numClasses": c,
        "seen": seen,
        "absent": absent,
        "logits": encode_matrix(z),
        "labels": [int(v) for v in labels],
        "train": {"logits": encode_matrix(train), "labels": [int(v) for v in train_labels]},
        "folds": [
            {
                "seen": f["seen"],
                "labels": [int(v) for v in f["labels"]],
                "logits": encode_matrix(f["logits"]),
                "pretrained": encode_matrix(f["pretrained"]),
            }
            for f in folds
        ],
        "features": {
            "dim": d,
            "reference": encode_matrix(ref_x),
            "referenceLabels": [int(v) for v in ref_y],
            "eval": encode_matrix(x),
        },
        "weights": encode_matrix(weights),
        "expected": {
            "accuracy": [{"gamma": g, "table": accuracy_table(z, labels, codes, g)} for g in gammas],
            "curve": {"points": points, "ausuc": area, "distinctThresholds": m},
            "methods": {
                "alg": alg,
                "oracle": points[k_oracle]["gamma"],
                "hmean": points[k_hmean]["gamma"],
                "constrained": constrained,
                "pcv": pcv,
                "pcvFolds": pcv_folds,
                "nll": {"gamma": float(g_opt), "temperature": math.exp(u_opt), "nll": nll_opt},
                "temperature": {"gamma": 0.0, "temperature": math.exp(u_t), "nll": nll_t},
            },
            "metrics": [
                confidence_metrics(z, labels, codes, 0.0, 1.0),
                confidence_metrics(z, labels, codes, points[k_oracle]["gamma"], 1.7),
                confidence_metrics(z, labels, codes, alg, 0.6),
            ],
            "ncm": ncm,
            "diagnostics": diagnostics(z, labels, codes, weights),
        },
    }
    return fixture


def clean(v):
    """NaN and infinities become null: JSON has neither."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (np.floating,)):
        return clean(float(v))
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


def main():
    np.seterr(invalid="ignore")
    for name, seed, lattice, ties in [
        ("basic", 1, None, False),
        ("tied-thresholds", 2, 0.25, False),
        ("exact-ties", 3, 0.5, True),
    ]:
        fx = clean(build(name, seed, lattice, ties))
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(fx) + "\n")
        print(f"wrote {path.name}: curve points {len(fx['expected']['curve']['points'])}")


if __name__ == "__main__":
    main()
