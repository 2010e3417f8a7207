// Calibration gradient pass (DESIGN.md §1 `nll`), stage 1 of 2. For K = p.k ≤ KMAX candidates (γ_k, 1/T_k)
// and every row it computes NLL = logsumexp(s) − s_y with s_c = (z_c + γ·[c∈U])/T and its gradient and
// Hessian in (γ, τ = log T), and sums them over the workgroup's rows into one partial per workgroup;
// nll_grad_reduce.wgsl then sums the partials, so only 6K numbers leave the device.
//
// LANES threads share a row (WG / LANES rows at a time) and each workgroup walks `iters` such row
// groups. Each thread makes ONE pass over its columns, updating for every candidate an online weighted
// summary of p = softmax(s) over the columns seen so far:
//   m    running max of s, the reference for the weights;  w = Σ exp(s_c − m)
//   pU, pSO  probability of U and of S∪O (kept apart so P_U·P_SO and 1 − P_U never cancel)
//   mu   E_p[s];  vr  Var_p(s);  cv  Cov_p(u, s)
// Adding a column or merging two summaries is the weighted (West / Chan) update of mean, variance and
// covariance, with the weights rescaled to the larger max. A column whose weight underflows to 0 is
// skipped, as is -inf, so huge gaps never reach 0·inf.
//
// K is a uniform, not an override: unrolling the per-candidate loops for each K made llvmpipe spend
// 15–30 s compiling one pipeline; the price is run-time indexing of the per-candidate state arrays.
//
// Per row: ∂γ = (P_U − u_y)/T, ∂τ = s_y − E[s], ∂γγ = P_U·P_SO/T², ∂γτ = −∂γ − Cov(u,s)/T,
// ∂ττ = −(s_y − E[s]) + Var(s). Partials layout: workgroup w, candidate k, term j at (w·K + k)·6 + j,
// terms (nll, ∂γ, ∂τ, ∂γγ, ∂γτ, ∂ττ).

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  iters: u32,
  k: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> cand: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

override WG: u32 = 64u;
override LANES: u32 = 16u;
const KMAX: u32 = 8u;
// WG·KMAX slots; the host passes it because workgroup array sizes cannot be override expressions.
override SLOTS: u32 = 512u;

struct Summary {
  m: f32,
  w: f32,
  pU: f32,
  pSO: f32,
  mu: f32,
  vr: f32,
  cv: f32,
}

var<workgroup> sm: array<f32, SLOTS>;
var<workgroup> sw: array<f32, SLOTS>;
var<workgroup> spU: array<f32, SLOTS>;
var<workgroup> spSO: array<f32, SLOTS>;
var<workgroup> smu: array<f32, SLOTS>;
var<workgroup> svr: array<f32, SLOTS>;
var<workgroup> scv: array<f32, SLOTS>;

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn emptySummary() -> Summary {
  return Summary(negInf(), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
}

// Merges b into a. Each side's weight is rescaled to the common max; a side whose rescaled weight is 0
// (empty, or negligible) leaves the other untouched.
fn merge(a: Summary, b: Summary) -> Summary {
  if (b.w == 0.0) { return a; }
  if (a.w == 0.0) { return b; }
  let m = max(a.m, b.m);
  let wa = a.w * exp(a.m - m);
  let wb = b.w * exp(b.m - m);
  if (wb == 0.0) { return a; }
  if (wa == 0.0) { return b; }
  let w = wa + wb;
  let fa = wa / w;
  let fb = wb / w;
  let d = b.mu - a.mu;
  let ff = fa * fb;
  return Summary(
    m,
    w,
    fa * a.pU + fb * b.pU,
    fa * a.pSO + fb * b.pSO,
    a.mu + fb * d,
    fa * a.vr + fb * b.vr + ff * d * d,
    fa * a.cv + fb * b.cv + ff * (b.pU - a.pU) * d,
  );
}

// Adds one column with score s (u = 1 for U): a merge with a single point, written out so it costs one exp.
fn add(a: Summary, s: f32, u: f32) -> Summary {
  if (s == negInf()) { return a; }
  if (a.w == 0.0) { return Summary(s, 1.0, u, 1.0 - u, s, 0.0, 0.0); }
  let e = exp(-abs(s - a.m));
  var wa = a.w;
  var wb = e;
  if (s > a.m) {
    wa = a.w * e;
    wb = 1.0;
  }
  if (wb == 0.0) { return a; }
  if (wa == 0.0) { return Summary(s, 1.0, u, 1.0 - u, s, 0.0, 0.0); }
  let w = wa + wb;
  let fa = wa / w;
  let fb = wb / w;
  let d = s - a.mu;
  let ff = fa * fb;
  return Summary(
    max(a.m, s),
    w,
    fa * a.pU + fb * u,
    fa * a.pSO + fb * (1.0 - u),
    a.mu + fb * d,
    fa * a.vr + ff * d * d,
    fa * a.cv + ff * (u - a.pU) * d,
  );
}

fn store(i: u32, a: Summary) {
  sm[i] = a.m;
  sw[i] = a.w;
  spU[i] = a.pU;
  spSO[i] = a.pSO;
  smu[i] = a.mu;
  svr[i] = a.vr;
  scv[i] = a.cv;
}

fn load(i: u32) -> Summary {
  return Summary(sm[i], sw[i], spU[i], spSO[i], smu[i], svr[i], scv[i]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let lane = t % LANES;
  let wg = wid.y * p.gridX + wid.x;
  let rowsPerStep = WG / LANES;
  // Row-term sums of this thread (only lane 0 of each row slot adds to them), 6 per candidate.
  var acc: array<f32, 6u * KMAX>;
  for (var i = 0u; i < 6u * KMAX; i++) { acc[i] = 0.0; }

  for (var it = 0u; it < p.iters; it++) {
    let row = (wg * p.iters + it) * rowsPerStep + t / LANES;
    // Threads past the last row keep empty summaries but still reach every barrier.
    let inRange = row < p.rows;
    var sum: array<Summary, KMAX>;
    for (var k = 0u; k < p.k; k++) { sum[k] = emptySummary(); }
    if (inRange) {
      let base = row * p.cols;
      for (var c = lane; c < p.cols; c += LANES) {
        let v = z[base + c];
        let isU = groups[c] == 1u;
        let u = select(0.0, 1.0, isU);
        for (var k = 0u; k < p.k; k++) {
          let gi = cand[k];
          sum[k] = add(sum[k], (v + select(0.0, gi.x, isU)) * gi.y, u);
        }
      }
    }
    for (var k = 0u; k < p.k; k++) { store(t * KMAX + k, sum[k]); }
    workgroupBarrier();
    for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
      if (lane < stride) {
        for (var k = 0u; k < p.k; k++) {
          let i = t * KMAX + k;
          store(i, merge(load(i), load(i + stride * KMAX)));
        }
      }
      workgroupBarrier();
    }
    if (inRange && lane == 0u) {
      let y = u32(labels[row]);
      let zy = z[row * p.cols + y];
      let uyU = groups[y] == 1u;
      for (var k = 0u; k < p.k; k++) {
        let s = load(t * KMAX + k);
        let gi = cand[k];
        let invT = gi.y;
        let sy = (zy + select(0.0, gi.x, uyU)) * invT;
        let dy = sy - s.mu;
        let gGamma = select(s.pU, -s.pSO, uyU) * invT;
        acc[6u * k] += s.m + log(s.w) - sy;
        acc[6u * k + 1u] += gGamma;
        acc[6u * k + 2u] += dy;
        acc[6u * k + 3u] += s.pU * s.pSO * invT * invT;
        acc[6u * k + 4u] += -gGamma - s.cv * invT;
        acc[6u * k + 5u] += -dy + s.vr;
      }
    }
    // The next row group overwrites the slots this one just read.
    workgroupBarrier();
  }

  // Tree-sum the 6K row-term sums over the workgroup, reusing the first six slot arrays as scratch.
  for (var k = 0u; k < p.k; k++) {
    let i = t * KMAX + k;
    sm[i] = acc[6u * k];
    sw[i] = acc[6u * k + 1u];
    spU[i] = acc[6u * k + 2u];
    spSO[i] = acc[6u * k + 3u];
    smu[i] = acc[6u * k + 4u];
    svr[i] = acc[6u * k + 5u];
  }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      for (var k = 0u; k < p.k; k++) {
        let i = t * KMAX + k;
        let o = i + stride * KMAX;
        sm[i] += sm[o];
        sw[i] += sw[o];
        spU[i] += spU[o];
        spSO[i] += spSO[o];
        smu[i] += smu[o];
        svr[i] += svr[o];
      }
    }
    workgroupBarrier();
  }
  if (t < p.k) {
    let o = (wg * p.k + t) * 6u;
    partials[o] = sm[t];
    partials[o + 1u] = sw[t];
    partials[o + 2u] = spU[t];
    partials[o + 3u] = spSO[t];
    partials[o + 4u] = smu[t];
    partials[o + 5u] = svr[t];
  }
}
