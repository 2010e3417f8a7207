#!/usr/bin/env python3
"""Golden values for DESIGN.md §1.2's metrics, from an independent NumPy implementation.

Run from the repository root:  python3 packages/core/test/golden/make_metrics_golden.py
then format:                   npx biome format --write packages/core/test/golden/metrics-*.json

Written from DESIGN.md §1 and §1.2 alone, in float64:
- top-k accuracy by sorting each row's classes by (score desc, S∪O before U, index asc);
- top-label ECE, MCE and RMSCE from explicit bin membership, equal-width (lo, hi] and equal-mass;
- classwise ECE by binning every class's probability column;
- bootstrap intervals by materialising each replicate's resampled rows and recomputing every metric
  from the logits (predictions re-scanned at every curve point, never prefix sums), with the
  resampling stream ftcal documents (xoshiro128**, replicate r seeded from (seed, r), positions in
  threshold order) re-implemented here, then np.percentile's linear interpolation.
Inputs are quantised (make_golden.quantise) so every value is exact in float32, and γ values are
binary fractions, so scores z + γ are exact in float64 and the rank order is exact.
"""

import json
import math
from pathlib import Path

import numpy as np
from make_golden import alg_gamma, clean, encode_matrix, first_best, hmean, log_softmax_rows, pct, quantise

OUT = Path(__file__).resolve().parent
BINS = 15
M32 = 0xFFFFFFFF

# ---------------------------------------------------------------- predictions and the curve, vectorised


def predict(z, codes, gamma):
    """Argmax of z + γ·[c∈U]: lowest index within a group, U only if maxU + γ > maxSO strictly."""
    u_idx = np.flatnonzero(codes == 1)
    so_idx = np.flatnonzero(codes != 1)
    zu = z[:, u_idx] + gamma
    zso = z[:, so_idx]
    arg_u = u_idx[np.argmax(zu, axis=1)]
    arg_so = so_idx[np.argmax(zso, axis=1)]
    return np.where(zu.max(axis=1) > zso.max(axis=1), arg_u, arg_so)


def split_accuracies(z, labels, codes, gamma):
    pred = predict(z, codes, gamma)
    in_s = codes[labels] == 0
    in_u = codes[labels] == 1
    ok = pred == labels
    sy = pct(int(np.sum(ok & in_s)), int(in_s.sum()))
    uy = pct(int(np.sum(ok & in_u)), int(in_u.sum()))
    return {"Y/Y": pct(int(ok.sum()), len(labels)), "S/Y": sy, "U/Y": uy, "H": hmean(sy, uy)}


def thresholds(z, codes):
    t = np.empty(len(z))
    for i in range(len(z)):
        m_so = z[i, codes != 1].max()
        m_u = z[i, codes == 1].max()
        t[i] = math.inf if m_u == -math.inf else (-math.inf if m_so == -math.inf else m_so - m_u)
    return t


def brute_curve(z, labels, codes):
    """Points γ_0 = τ_1 − 1, midpoints, τ_m + 1 over the distinct finite thresholds; each re-scanned."""
    taus = sorted(set(float(v) for v in thresholds(z, codes) if math.isfinite(v)))
    gammas = [0.0] if not taus else [taus[0] - 1] + [(a + b) / 2 for a, b in zip(taus, taus[1:])] + [taus[-1] + 1]
    pts = []
    for g in gammas:
        a = split_accuracies(z, labels, codes, g)
        pts.append({"gamma": g, "seen": a["S/Y"], "unseen": a["U/Y"], "overall": a["Y/Y"]})
    return pts


# ---------------------------------------------------------------- top-k


def rank_order(row, codes, gamma):
    return sorted(range(len(codes)), key=lambda c: (-(row[c] + (gamma if codes[c] == 1 else 0.0)), int(codes[c] == 1), c))


def top_k(z, labels, codes, gamma, k):
    hit_y = np.zeros(len(labels), bool)
    hit_own = np.zeros(len(labels), bool)
    for i, row in enumerate(z):
        order = rank_order(row, codes, gamma)
        y = labels[i]
        hit_y[i] = order.index(y) < k
        own = [c for c in order if codes[c] == codes[y]]
        hit_own[i] = own.index(y) < k
    in_s = codes[labels] == 0
    in_u = codes[labels] == 1
    return {
        f"Y/Y@{k}": pct(int(hit_y.sum()), len(labels)),
        f"S/Y@{k}": pct(int((hit_y & in_s).sum()), int(in_s.sum())),
        f"U/Y@{k}": pct(int((hit_y & in_u).sum()), int(in_u.sum())),
        f"S/S@{k}": pct(int((hit_own & in_s).sum()), int(in_s.sum())),
        f"U/U@{k}": pct(int((hit_own & in_u).sum()), int(in_u.sum())),
    }


# ---------------------------------------------------------------- calibration errors


def width_bin(v):
    b = 0
    while b < BINS - 1 and v > (b + 1) / BINS:
        b += 1
    return b


def norms(members, conf, correct, n):
    """ECE, MCE, RMSCE over bins given as lists of row indices."""
    ece, mce, sq = 0.0, 0.0, 0.0
    for idx in members:
        if not idx:
            continue
        gap = abs(float(np.mean(correct[idx])) - float(np.mean(conf[idx])))
        ece += len(idx) / n * gap
        sq += len(idx) / n * gap * gap
        mce = max(mce, gap)
    return {"ece": ece, "mce": mce, "rmsce": math.sqrt(sq)}


def errors(conf, correct):
    n = len(conf)
    width = [[] for _ in range(BINS)]
    for i, c in enumerate(conf):
        width[width_bin(c)].append(i)
    order = sorted(range(n), key=lambda i: (conf[i], i))
    mass = [[] for _ in range(BINS)]
    for rank, i in enumerate(order):
        mass[rank * BINS // n].append(i)
    return {"equalWidth": norms(width, conf, correct, n), "equalMass": norms(mass, conf, correct, n)}


def probabilities(z, codes, gamma, temperature):
    return np.exp(log_softmax_rows((z + gamma * (codes == 1)) / temperature))


def classwise(z, labels, codes, gamma, temperature):
    p = probabilities(z, codes, gamma, temperature)
    n = len(labels)
    per_class = []
    for c in range(len(codes)):
        if codes[c] == 2:
            per_class.append(None)
            continue
        members = [[] for _ in range(BINS)]
        for i in range(n):
            members[width_bin(p[i, c])].append(i)
        e = 0.0
        for idx in members:
            if idx:
                e += len(idx) / n * abs(float(np.mean(labels[idx] == c)) - float(np.mean(p[idx, c])))
        per_class.append(e)

    def mean_of(code):
        v = [per_class[c] for c in range(len(codes)) if codes[c] in code]
        return float(np.mean(v)) if v else None

    return {"classwiseEce": mean_of((0, 1)), "seen": mean_of((0,)), "absent": mean_of((1,)), "perClass": per_class}


def point_metrics(z, labels, codes, gamma, temperature, ks):
    n = len(labels)
    lp = log_softmax_rows((z + gamma * (codes == 1)) / temperature)
    p = np.exp(lp)
    pred = predict(z, codes, gamma)
    conf = p[np.arange(n), pred]
    correct = (pred == labels).astype(np.float64)
    out = {"gamma": gamma, "temperature": temperature, "nll": float(-lp[np.arange(n), labels].mean())}
    out.update(errors(conf, correct))
    for name, code in [("seen", 0), ("absent", 1)]:
        mask = codes[labels] == code
        out[name] = errors(conf[mask], correct[mask])["equalWidth"] if mask.any() else None
    out["classwise"] = classwise(z, labels, codes, gamma, temperature)
    out["topK"] = {str(k): top_k(z, labels, codes, gamma, k) for k in ks}
    return out


# ---------------------------------------------------------------- the bootstrap's resampling stream


def imul(a, b):
    return (a * b) & M32


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Xoshiro128:
    """xoshiro128** seeded by SplitMix32 from (seed, stream), as docs/maths.md specifies."""

    def __init__(self, seed, stream):
        self.x = (imul(seed & M32, 0x9E3779B9) ^ imul((stream + 0x632BE5AB) & M32, 0x85EBCA6B)) & M32
        self.s = [self.split() for _ in range(4)]
        if not any(self.s):
            self.s[0] = 1

    def split(self):
        self.x = (self.x + 0x9E3779B9) & M32
        z = self.x
        z = imul(z ^ (z >> 16), 0x85EBCA6B)
        z = imul(z ^ (z >> 13), 0xC2B2AE35)
        return (z ^ (z >> 16)) & M32

    def next(self):
        a, b, c, d = self.s
        r = imul(rotl(imul(b, 5), 7), 9)
        t = (b << 9) & M32
        c ^= a
        d ^= b
        b ^= c
        a ^= d
        c ^= t
        d = rotl(d, 11)
        self.s = [a, b, c, d]
        return r

    def below(self, n):
        if n <= 2**21:
            threshold = (2**32 - n) % n
            while True:
                m = self.next() * n
                if m % 2**32 >= threshold:
                    return m // 2**32
        hi = self.next() >> 11
        lo = self.next()
        return int(math.floor(((hi * 2**32 + lo) / 2**53) * n))


def threshold_order(z, codes):
    """Rows as the bootstrap numbers them: t = −∞ first, finite t ascending (ties by row), then +∞."""
    t = thresholds(z, codes)
    low = [i for i in range(len(t)) if t[i] == -math.inf]
    finite = sorted((i for i in range(len(t)) if math.isfinite(t[i])), key=lambda i: (t[i], i))
    high = [i for i in range(len(t)) if t[i] == math.inf]
    return low + finite + high


def replicate_metrics(z, labels, codes, op, fit, delta):
    nan = math.nan
    gamma, temperature = op
    both = (codes[labels] == 0).any() and (codes[labels] == 1).any()
    a = split_accuracies(z, labels, codes, gamma)
    n = len(labels)
    lp = log_softmax_rows((z + gamma * (codes == 1)) / temperature)
    pred = predict(z, codes, gamma)
    conf = np.exp(lp[np.arange(n), pred])
    out = {k: (nan if a[k] is None else a[k]) for k in ["Y/Y", "S/Y", "U/Y", "H"]}
    out["nll"] = float(-lp[np.arange(n), labels].mean())
    correct = (pred == labels).astype(np.float64)
    out["ece"] = errors(conf, correct)["equalWidth"]["ece"]
    bins = np.array([width_bin(c) for c in conf])
    for b in range(BINS):
        out[f"bin.{b}"] = float(correct[bins == b].mean()) if (bins == b).any() else nan
    if both:
        pts = brute_curve(z, labels, codes)
        area = sum((p["seen"] - q["seen"]) / 100 * (p["unseen"] + q["unseen"]) / 200 for p, q in zip(pts, pts[1:]))
        seen0 = split_accuracies(z, labels, codes, 0.0)["S/Y"]
        out["ausuc"] = area
        out["gamma.oracle"] = pts[first_best(pts, lambda p: p["overall"])]["gamma"]
        out["gamma.hmean"] = pts[first_best(pts, lambda p: hmean(p["seen"], p["unseen"]))]["gamma"]
        k = first_best(pts, lambda p: p["overall"], lambda p: p["seen"] >= seen0 - delta)
        out["gamma.constrained"] = pts[k]["gamma"]
    else:
        for key in ["ausuc", "gamma.oracle", "gamma.hmean", "gamma.constrained"]:
            out[key] = nan
    return out


def bootstrap(z, labels, codes, op, fit, delta, seed, replicates):
    order = threshold_order(z, codes)
    n = len(labels)
    rows = []
    for r in range(replicates):
        rng = Xoshiro128(seed, r)
        w = np.zeros(n, dtype=np.int64)
        for _ in range(n):
            w[order[rng.below(n)]] += 1
        take = np.repeat(np.arange(n), w)
        m = replicate_metrics(z[take], labels[take], codes, op, fit, delta)
        if fit is not None:
            fz, fy = fit
            pick = np.array([rng.below(len(fy)) for _ in range(len(fy))])
            m["gamma.alg"] = alg_gamma(fz[pick], fy[pick], codes) if (codes[fy[pick]] == 0).any() else math.nan
        rows.append(m)
    out = {}
    undefined = {}
    for key in rows[0]:
        v = np.array([row[key] for row in rows], dtype=np.float64)
        v = v[~np.isnan(v)]
        if len(v) < replicates and not key.startswith("bin."):
            undefined[key] = replicates - len(v)
        out[key] = [float(x) for x in np.percentile(v, [2.5, 97.5])] if len(v) else [None, None]
    return {"intervals": out, "undefinedReplicates": undefined}


# ---------------------------------------------------------------- fixtures


def make_codes(c, seen, absent):
    codes = np.full(c, 2)
    codes[seen] = 0
    codes[absent] = 1
    return codes


def with_ties_and_inf(z, codes, labels, seen, absent):
    """Exact ties within and across groups, and -inf on each side (never at the label: NLL stays finite)."""
    z[0, :] = 1.0
    z[1, [0, 3]] = 4.0
    z[1, [6, 8]] = 4.0
    z[2, codes == 1] = -math.inf
    labels[2] = seen[0]
    z[3, codes != 1] = -math.inf
    labels[3] = absent[0]
    z[4, [c for c in (1, 7, 2, 8) if c != labels[4]][:2]] = -math.inf
    z[5, labels[5]] = z[5][np.isfinite(z[5])].max()


def build(name, seed, n, c, seen, absent, lattice, points, ks, boot):
    rng = np.random.default_rng(seed)
    codes = make_codes(c, seen, absent)
    labelled = np.array(seen + absent)
    labels = rng.choice(labelled, n)
    z = rng.standard_normal((n, c))
    z[np.arange(n), labels] += 2.0
    z[:, codes == 0] += 1.5
    if lattice:
        z = np.round(z / lattice) * lattice
    z = quantise(z)
    if n >= 8:
        with_ties_and_inf(z, codes, labels, seen, absent)
    fit_labels = rng.choice(np.array(seen), max(3, n // 2))
    fit = quantise(rng.standard_normal((len(fit_labels), c)) + 1.0 * (codes == 0))
    fit[np.arange(len(fit_labels)), fit_labels] += 2.0
    fit = quantise(fit)
    expected_points = [point_metrics(z, labels, codes, g, t, ks) for g, t in points]
    fixture = {
        "name": name,
        "seed": seed,
        "numClasses": c,
        "seen": seen,
        "absent": absent,
        "logits": encode_matrix(z),
        "labels": [int(v) for v in labels],
        "fit": {"logits": encode_matrix(fit), "labels": [int(v) for v in fit_labels]},
        "expected": {"points": expected_points},
    }
    if boot:
        gamma, temperature, delta, bseed, replicates = boot
        fixture["expected"]["bootstrap"] = {
            "gamma": gamma,
            "temperature": temperature,
            "maxSeenDrop": delta,
            "seed": bseed,
            "replicates": replicates,
            **bootstrap(z, labels, codes, (gamma, temperature), (fit, fit_labels), delta, bseed, replicates),
        }
    return fixture


def single_class():
    """C = 1: the label is always first; its probability is 1, in the last bin."""
    codes = np.zeros(1, dtype=np.int64)
    z = quantise(np.array([[0.5], [-3.0], [2.25]]))
    labels = np.zeros(3, dtype=np.int64)
    p = probabilities(z, codes, 0.0, 1.0)
    conf = p[:, 0]
    return {
        "name": "single-class",
        "numClasses": 1,
        "logits": encode_matrix(z),
        "labels": [0, 0, 0],
        "expected": {
            "rankY": [0, 0, 0],
            "rankOwn": [0, 0, 0],
            "errors": errors(conf, np.ones(3)),
            "classwise": classwise(z, labels, codes, 0.0, 1.0),
        },
    }


def main():
    np.seterr(invalid="ignore")
    fixtures = [
        build(
            "metrics-other-ties",
            11,
            80,
            12,
            [0, 1, 2, 3, 4, 5],
            [6, 7, 8, 9],
            0.5,
            [(0.0, 1.0), (1.5, 1.0), (0.75, 1.75), (-0.5, 0.625)],
            [2, 3, 5],
            (1.5, 1.25, 1.0, 7, 200),
        ),
        build(
            "metrics-basic",
            12,
            300,
            10,
            [0, 1, 2, 3, 4],
            [5, 6, 7, 8, 9],
            None,
            [(0.0, 1.0), (2.0, 1.0)],
            [2, 5],
            (2.0, 1.0, 2.0, 3, 100),
        ),
        build("metrics-one-row", 13, 1, 4, [0, 1], [2, 3], 0.5, [(0.0, 1.0), (0.5, 2.0)], [2, 3], (0.5, 2.0, 1.0, 5, 20)),
    ]
    for fx in fixtures:
        path = OUT / f"{fx['name']}.json"
        path.write_text(json.dumps(clean(fx)) + "\n")
        print(f"wrote {path.name}")
    path = OUT / "metrics-single-class.json"
    path.write_text(json.dumps(clean(single_class())) + "\n")
    print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
