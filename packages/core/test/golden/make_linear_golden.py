#!/usr/bin/env python3
"""Golden values for ftcal's linear calibrator family (DESIGN.md §1.1), from an independent NumPy fit.

Run from the repository root:  python3 packages/core/test/golden/make_linear_golden.py
then format:                   npx biome format --write packages/core/test/golden/linear-*.json

Written from DESIGN.md §1.1 alone, in float64: every objective is the mean softmax cross-entropy of
s_i = W·x_i + b plus the ODIR penalty where it applies, minimised by plain Newton steps with the exact
Hessian, formed row by row as J_iᵀ (diag p_i − p_i p_iᵀ) J_i from each row's Jacobian J_i = ∂s_i/∂θ
(nothing shared with ftcal's Hessian-vector products), solved with a least-squares pseudo-inverse so a
flat direction (vector scaling's common bias shift) is never moved along, and a backtracking line
search, until the largest gradient entry is at most 1e-12. Inputs are quantised to multiples of 2^-16 so
every value is exact in float32 and in the JSON text.
"""

import json
import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent
Q = 2.0**-16
ODIR_DEFAULT = (1e-3, 1e-3)


def quantise(x):
    return np.round(np.asarray(x, dtype=np.float64) / Q) * Q


def log_softmax(s):
    m = s.max(axis=1, keepdims=True)
    return s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------- parametrisations


def fitted_classes(codes):
    """The classes a fit places: S ∪ U. No row is labelled in O, so the likelihood of vector, matrix and
    dirichlet pushes O's scores down without bound; they are held at the limit, −∞ (affine ties O to the
    seen scale, so it stays bounded and keeps them)."""
    return np.flatnonzero(codes != 2)


def masks_other(method):
    return method in ("vector", "matrix", "dirichlet")


def unpack(method, theta, c, codes):
    """(W, b) of s = W·x + b for a parameter vector, W as a full C×C matrix."""
    f = fitted_classes(codes)
    k = len(f)
    w, b = np.eye(c), np.zeros(c)
    if method == "vector":
        w[f, f] = theta[:k]
        b[f] = theta[k:]
    elif method in ("matrix", "dirichlet"):
        w[f] = theta[: k * c].reshape(k, c)
        b[f] = theta[k * c :]
    elif method == "affine":
        w = np.diag(np.where(codes == 1, math.exp(theta[1]), math.exp(theta[0])))
        b = np.where(codes == 1, theta[2], 0.0)
    else:
        raise ValueError(method)
    return w, b


def jacobians(method, theta, x, codes):
    """J[i] = ∂s_i/∂θ, N × C × P."""
    n, c = x.shape
    f = fitted_classes(codes)
    k = len(f)
    if method == "vector":
        j = np.zeros((n, c, 2 * k))
        j[:, f, np.arange(k)] = x[:, f]
        j[:, f, k + np.arange(k)] = 1.0
        return j
    if method in ("matrix", "dirichlet"):
        j = np.zeros((n, c, k * c + k))
        for r, cls in enumerate(f):
            j[:, cls, r * c : (r + 1) * c] = x
            j[:, cls, k * c + r] = 1.0
        return j
    if method == "affine":
        a_s, a_u = math.exp(theta[0]), math.exp(theta[1])
        u = (codes == 1).astype(np.float64)
        j = np.zeros((n, c, 3))
        j[:, :, 0] = a_s * x * (1 - u)
        j[:, :, 1] = a_u * x * u
        j[:, :, 2] = u
        return j
    raise ValueError(method)


def penalty(method, theta, codes, odir):
    """ODIR (matrix, dirichlet): λ·Σ_{i≠j} W_ij² / (C(C−1)) + μ·Σ_j b_j² / C, with gradient and Hessian.
    O rows are the identity's (no off-diagonal weight, no bias), so only fitted rows contribute."""
    p = len(theta)
    if method not in ("matrix", "dirichlet"):
        return 0.0, np.zeros(p), np.zeros((p, p))
    lam, mu = odir
    c = len(codes)
    f = fitted_classes(codes)
    k = len(f)
    weight = np.zeros(p)
    if c > 1:
        off = np.ones((k, c), dtype=bool)
        off[np.arange(k), f] = False
        weight[: k * c] = np.where(off.ravel(), lam / (c * (c - 1)), 0.0)
    weight[k * c :] = mu / c
    return float(np.sum(weight * theta**2)), 2 * weight * theta, np.diag(2 * weight)


def scores(method, x, w, b, codes):
    """s = W·x + b, where a −∞ input is a class masked in its row: it adds nothing to the other scores and
    keeps −∞ itself."""
    masked = np.isneginf(x)
    s = np.where(masked, 0.0, x) @ w.T + b
    s[masked] = -np.inf
    if masks_other(method):
        s[:, codes == 2] = -np.inf
    return s


def objective(method, theta, x, labels, codes, odir, want_hessian=True):
    n, c = x.shape
    w, b = unpack(method, theta, c, codes)
    s = scores(method, x, w, b, codes)
    logp = log_softmax(s)
    nll = -float(np.mean(logp[np.arange(n), labels]))
    r, r_grad, r_hess = penalty(method, theta, codes, odir)
    p = np.exp(logp)
    resid = p.copy()
    resid[np.arange(n), labels] -= 1.0
    j = jacobians(method, theta, np.where(np.isneginf(x), 0.0, x), codes)
    j[np.isneginf(x)] = 0.0
    grad = np.einsum("ic,icp->p", resid, j) / n + r_grad
    if not want_hessian:
        return nll + r, nll, grad, None
    hs = np.einsum("ic,cd->icd", p, np.eye(c)) - np.einsum("ic,id->icd", p, p)
    hess = np.einsum("icp,icd,idq->pq", j, hs, j) / n + r_hess
    if method == "affine":
        # s depends on θ_S, θ_U through exp: ∂²s_ic/∂θ² = ∂s_ic/∂θ on the diagonal.
        hess[0, 0] += np.sum(resid * j[:, :, 0]) / n
        hess[1, 1] += np.sum(resid * j[:, :, 1]) / n
    return nll + r, nll, grad, hess


def initial(method, codes):
    c = len(codes)
    f = fitted_classes(codes)
    k = len(f)
    if method == "vector":
        return np.concatenate([np.ones(k), np.zeros(k)])
    if method in ("matrix", "dirichlet"):
        return np.concatenate([np.eye(c)[f].ravel(), np.zeros(k)])
    if method == "affine":
        return np.zeros(3)
    raise ValueError(method)


def newton_fit(method, z, labels, codes, odir=ODIR_DEFAULT):
    x = log_softmax(z) if method == "dirichlet" else z
    c = z.shape[1]
    theta = initial(method, codes)
    loss, nll, grad, hess = objective(method, theta, x, labels, codes, odir)
    for it in range(200):
        if np.max(np.abs(grad)) <= 1e-12:
            break
        # |eigenvalues| keep the step a descent direction for affine's non-convex start; the pseudo-inverse
        # leaves flat directions alone.
        vals, vecs = np.linalg.eigh((hess + hess.T) / 2)
        top = np.max(np.abs(vals)) if vals.size else 0.0
        inv = np.where(np.abs(vals) > 1e-12 * max(top, 1e-300), 1 / np.maximum(np.abs(vals), 1e-300), 0.0)
        step = -(vecs @ (inv * (vecs.T @ grad)))
        alpha = 1.0
        slope = float(grad @ step)
        while True:
            trial = theta + alpha * step
            t_loss = objective(method, trial, x, labels, codes, odir, want_hessian=False)[0]
            # Near the optimum the decrease falls below float64's resolution of the loss: a full step that
            # does not raise it by more than a few ulps is still taken.
            if t_loss <= loss + 1e-4 * alpha * slope or (alpha == 1 and t_loss <= loss + 4e-16 * abs(loss)):
                break
            if alpha < 1e-10:
                break
            alpha /= 2
        if t_loss > loss + 4e-16 * abs(loss):
            break
        theta = trial
        loss, nll, grad, hess = objective(method, theta, x, labels, codes, odir)
    w, b = unpack(method, theta, c, codes)
    out = {
        "loss": loss,
        "nll": nll,
        "gradMax": float(np.max(np.abs(grad))) if grad.size else 0.0,
        "newtonIterations": it,
        "bias": b.tolist(),
    }
    out["maskedOther"] = masks_other(method)
    if method in ("matrix", "dirichlet"):
        out["weights"] = w.ravel().tolist()
    else:
        out["scale"] = np.diag(w).tolist()
    if method == "affine":
        out["params"] = {"thetaS": theta[0], "thetaU": theta[1], "beta": theta[2]}
    calibrated = scores(method, x, w, b, codes)
    # JSON has no infinities: the −∞ of masked O classes is written as null.
    out["calibratedHead"] = [None if math.isinf(v) else v for v in calibrated[:4].ravel().tolist()]
    # Probabilities of every row: what the fit pins down even where the parameters are weakly held (a
    # common shift of W's columns moves every score of a row alike and no probability).
    out["probabilities"] = np.exp(log_softmax(calibrated)).ravel().tolist()
    out["accuracy"] = float(np.mean(np.argmax(calibrated, axis=1) == labels) * 100)
    return out


def weight_aligning(weights, bias, codes):
    """wa: r = mean_U ‖w_c‖ / mean_S ‖w_c‖; s_c = r·(z_c − b_c) + b_c on S, z_c elsewhere."""
    norms = np.linalg.norm(weights, axis=1)
    r = norms[codes == 1].mean() / norms[codes == 0].mean()
    b = np.zeros(len(codes)) if bias is None else bias
    scale = np.where(codes == 0, r, 1.0)
    shift = np.where(codes == 0, (1 - r) * b, 0.0)
    return {"ratio": float(r), "scale": scale.tolist(), "bias": shift.tolist()}


# ---------------------------------------------------------------- fixtures


def fine_tuned_logits(rng, n, codes, labels):
    """Logits with the paper's damage: the label's logit is raised, and seen classes inflated."""
    c = len(codes)
    z = rng.standard_normal((n, c)) * 1.3
    z[np.arange(n), labels] += 2.5
    z += np.where(codes == 0, 1.8, 0.0)
    z += rng.standard_normal((n, 1)) * 0.7  # a per-row offset the softmax ignores
    return quantise(z)


def encode_matrix(z):
    """Finite values, with the flat indices of −∞ entries in "negInf" (JSON has no infinities)."""
    flat = z.ravel()
    neg = [int(i) for i in np.flatnonzero(np.isneginf(flat))]
    vals = [0.0 if math.isinf(v) else float(v) for v in flat]
    return {"rows": int(z.shape[0]), "cols": int(z.shape[1]), "values": vals, "negInf": neg}


def build(name, seed, n, seen, absent, other, methods, odir_cases, wa=True, masked=0.0):
    rng = np.random.default_rng(seed)
    c = len(seen) + len(absent) + len(other)
    codes = np.full(c, 2)
    codes[seen] = 0
    codes[absent] = 1
    labelled = np.array(seen + absent)
    labels = rng.choice(labelled, n)
    z = fine_tuned_logits(rng, n, codes, labels)
    if masked:
        # Masked logits (−∞), never at a row's label.
        hide = rng.random(z.shape) < masked
        hide[np.arange(n), labels] = False
        z[hide] = -np.inf
    fits = []
    for method in methods:
        cases = odir_cases if method in ("matrix", "dirichlet") else [None]
        for odir in cases:
            fit = newton_fit(method, z, labels, codes, odir or ODIR_DEFAULT)
            fits.append({"method": method, "odir": list(odir) if odir else None, **fit})
    doc = {
        "name": name,
        "seed": seed,
        "numClasses": c,
        "seen": seen,
        "absent": absent,
        "other": other,
        "logits": encode_matrix(z),
        "labels": labels.tolist(),
        "fits": fits,
    }
    if wa:
        d = 7
        weights = quantise(rng.standard_normal((c, d)) * np.where(codes == 0, 1.6, 1.0)[:, None])
        bias = quantise(rng.standard_normal(c) * 0.5)
        doc["head"] = {"weights": encode_matrix(weights), "bias": bias.tolist()}
        doc["wa"] = {"withBias": weight_aligning(weights, bias, codes), "noBias": weight_aligning(weights, None, codes)}
    return doc


FITTED = ["vector", "matrix", "dirichlet", "affine"]


def main():
    docs = [
        build("linear-basic", 11, 240, [0, 1, 2], [3, 4, 5], [], FITTED, [None, (0.05, 0.02)]),
        build("linear-other", 12, 180, [0, 2], [1, 3], [4], FITTED, [None]),
        build("linear-two", 13, 90, [0], [1], [], FITTED, [None]),
        build("linear-masked", 15, 160, [0, 1, 2], [3, 4], [], FITTED, [None], masked=0.06),
        # C = 1 has no class groups (ftcal needs S and U non-empty), so only the fitter sees it:
        # one class, so softmax is 1, the loss 0, and every fit stays at its start.
        build("linear-one", 14, 12, [0], [], [], ["vector", "matrix", "dirichlet"], [None], wa=False),
    ]
    for doc in docs:
        path = OUT / f"{doc['name']}.json"
        path.write_text(json.dumps(doc) + "\n")
        print(f"wrote {path.name}: {len(doc['fits'])} fits")
        for f in doc["fits"]:
            print(f"  {f['method']:9s} odir={f['odir']} loss={f['loss']:.12f} |g|={f['gradMax']:.1e} it={f['newtonIterations']}")


if __name__ == "__main__":
    main()
