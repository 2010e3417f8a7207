// Calibration gradient pass (DESIGN.md §1 `nll`), stage 1 of 2: the part shared by its two variants,
// nll_grad.wgsl (no subgroups) and nll_grad_subgroup.wgsl, each appended to this file. For the K ≤ 8
// candidates (γ_k, 1/T_k) of one pipeline (K is an override) and every row, it computes
// NLL = logsumexp(s) − s_y with s_c = (z_c + γ·[c∈U])/T and its gradient and Hessian in (γ, τ = log T),
// and sums them per workgroup into one partial; nll_grad_reduce.wgsl then sums the partials.
//
// Candidates sit in two banks of four vec4 lanes: bank 0 holds candidates 0–3, bank 1 holds 4–7 and is
// compiled only when K > 4. Nothing is indexed at run time; per-candidate work is vec4 arithmetic.
//
// One pass over a row's columns keeps, per candidate, a summary relative to the running max m of s:
//   wU = Σ_U e_c, wSO = Σ_{S∪O} e_c, s1 = Σ e_c·x_c, s2 = Σ e_c·x_c², su1 = Σ_U e_c·x_c,
// with e_c = exp(s_c − m) and x_c = s_c − m. A column costs one exp per candidate and no division: when
// it raises the max the exp rescales the old sums (re-centred on the new max), otherwise it weighs the
// column. Summaries of several lanes merge the same way. A side whose weight underflows to 0 (a huge gap,
// a -inf logit, an empty summary) is dropped by select, so no 0·inf is ever used.
//
// Per row: w = wU + wSO, P_U = wU/w and P_SO = wSO/w (kept apart, so neither loses digits when the other
// is near 1), E[x] = s1/w, Var(s) = s2/w − E[x]², Cov(u, s) = su1/w − P_U·E[x], and
//   ∂γ = (P_U − u_y)/T (−P_SO/T when y ∈ U), ∂τ = s_y − E[s], ∂γγ = P_U·P_SO/T²,
//   ∂γτ = −∂γ − Cov(u, s)/T, ∂ττ = −(s_y − E[s]) + Var(s).
// Row terms are summed per thread over at most 64 rows, then as a tree over the workgroup. Partials:
// workgroup w, candidate k, term j at (w·K + k)·6 + j, terms (nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ).

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  rowsPerGroup: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
// γ of bank 0, γ of bank 1, 1/T of bank 0, 1/T of bank 1 (unused lanes: γ 0, 1/T 1).
@group(0) @binding(3) var<storage, read> cand: array<vec4<f32>, 4>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

// Candidates in this pipeline, 1 to 8.
override K: u32 = 8u;

// A summary of some columns (see above), or six row-term sums (nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ), per lane.
struct Bank {
  m: vec4<f32>,
  wU: vec4<f32>,
  wSO: vec4<f32>,
  s1: vec4<f32>,
  s2: vec4<f32>,
  su1: vec4<f32>,
}

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn emptyBank() -> Bank {
  let o = vec4<f32>(0.0);
  return Bank(vec4<f32>(negInf()), o, o, o, o, o);
}

fn zeroBank() -> Bank {
  let o = vec4<f32>(0.0);
  return Bank(o, o, o, o, o, o);
}

fn pick(a: Bank, b: Bank, takeB: vec4<bool>) -> Bank {
  return Bank(
    select(a.m, b.m, takeB),
    select(a.wU, b.wU, takeB),
    select(a.wSO, b.wSO, takeB),
    select(a.s1, b.s1, takeB),
    select(a.s2, b.s2, takeB),
    select(a.su1, b.su1, takeB),
  );
}

fn sumBanks(a: Bank, b: Bank) -> Bank {
  return Bank(a.m + b.m, a.wU + b.wU, a.wSO + b.wSO, a.s1 + b.s1, a.s2 + b.s2, a.su1 + b.su1);
}

// Adds one column with scores s (one per lane) and u = 1 for a class in U.
fn addColumn(b: Bank, s: vec4<f32>, u: f32) -> Bank {
  let up = s > b.m;
  // The smaller of the column and the old max, minus the larger: ≤ 0, or NaN / -inf when one side is
  // -inf or empty, which the exp turns into a weight of 0 (or NaN), dropped below.
  let d = select(s - b.m, b.m - s, up);
  let e = exp(d);
  let a = select(vec4<f32>(1.0), e, up);
  let c = select(e, vec4<f32>(1.0), up);
  let shift = select(vec4<f32>(0.0), d, up);
  let x = select(d, vec4<f32>(0.0), up);
  let s1 = b.s1 + (b.wU + b.wSO) * shift;
  let cx = c * x;
  let sum = Bank(
    max(b.m, s),
    a * b.wU + c * u,
    a * b.wSO + c * (1.0 - u),
    a * s1 + cx,
    a * (b.s2 + shift * (b.s1 + s1)) + cx * x,
    a * (b.su1 + b.wU * shift) + cx * u,
  );
  let o = vec4<f32>(0.0);
  let only = Bank(s, vec4<f32>(u), vec4<f32>(1.0 - u), o, o, o);
  let gone = !(e > o);
  return pick(pick(sum, only, gone & up), b, gone & !up);
}

// Merges two summaries: the one with the smaller max is rescaled (one exp per lane) and re-centred.
fn mergeBanks(a: Bank, b: Bank) -> Bank {
  let up = b.m > a.m;
  let hi = pick(a, b, up);
  let lo = pick(b, a, up);
  let d = lo.m - hi.m;
  let e = exp(d);
  let s1 = lo.s1 + (lo.wU + lo.wSO) * d;
  let sum = Bank(
    hi.m,
    hi.wU + e * lo.wU,
    hi.wSO + e * lo.wSO,
    hi.s1 + e * s1,
    hi.s2 + e * (lo.s2 + d * (lo.s1 + s1)),
    hi.su1 + e * (lo.su1 + lo.wU * d),
  );
  return pick(sum, hi, !(e > vec4<f32>(0.0)));
}

// The six row terms of a row's summary, given the label's score sy and whether the label is in U.
fn rowTerms(b: Bank, sy: vec4<f32>, yU: bool, invT: vec4<f32>) -> Bank {
  let w = b.wU + b.wSO;
  let inv = 1.0 / w;
  let pU = b.wU * inv;
  let pSO = b.wSO * inv;
  let mean = b.s1 * inv;
  let vr = max(b.s2 * inv - mean * mean, vec4<f32>(0.0));
  let cv = b.su1 * inv - pU * mean;
  let dy = (sy - b.m) - mean;
  let gGamma = select(pU, -pSO, yU) * invT;
  return Bank(b.m + log(w) - sy, gGamma, dy, pU * pSO * invT * invT, -gGamma - cv * invT, -dy + vr);
}

// The scores of row `row`'s label under one bank's candidates.
fn labelScores(row: u32, bias: vec4<f32>, invT: vec4<f32>) -> vec4<f32> {
  let y = u32(labels[row]);
  return (vec4<f32>(z[row * p.cols + y]) + select(vec4<f32>(0.0), bias, groups[y] == 1u)) * invT;
}

fn labelInU(row: u32) -> bool {
  return groups[u32(labels[row])] == 1u;
}

// Lane `i` of v, without indexing a vector at run time.
fn lane(v: vec4<f32>, i: u32) -> f32 {
  return select(select(v.x, v.y, i == 1u), select(v.z, v.w, i == 3u), i >= 2u);
}

// Writes candidate k's six sums (lane k % 4 of bank k / 4) as workgroup wg's partial.
fn writePartial(wg: u32, k: u32, t0: Bank, t1: Bank) {
  var t = t0;
  if (k >= 4u) { t = t1; }
  let i = k % 4u;
  let o = (wg * K + k) * 6u;
  partials[o] = lane(t.m, i);
  partials[o + 1u] = lane(t.wU, i);
  partials[o + 2u] = lane(t.wSO, i);
  partials[o + 3u] = lane(t.s1, i);
  partials[o + 4u] = lane(t.s2, i);
  partials[o + 5u] = lane(t.su1, i);
}
