// The fused softmax-minus-one-hot of the linear calibrator family (DESIGN.md §1.1), and the Hessian-vector
// product that truncated Newton needs, row by row over calibrated scores s_i:
//   grad: G_ic = p_ic − [c = y_i] with p_i = softmax(s_i), and loss_i = logsumexp(s_i) − s_iy;
//   hvp:  dG_ic = p_ic·(ds_ic − Σ_d p_id·ds_id), the row's cross-entropy Hessian applied to ds_i.
// A masked class (mask 1: O under vector, matrix and dirichlet) scores −∞: p = 0 and G = dG = 0 there; so
// does, in its row, a class whose input is −∞ (a masked logit), which a full map's matmul leaves to the host
// (s = −∞ there, via mask_fill) and a diagonal map handles here.
// Two layouts, by the DIAG override:
//   DIAG = 0 (a full W): `src` holds s (the matmul's X·Wᵀ + b); grad writes G to outG; hvp reads ds from
//     outG (X·Vᵀ + v_b, put there by a matmul) and overwrites it with dG. outH is not used.
//   DIAG = 1 (a diagonal W: vector, affine): `src` holds x, and s_c = a_c·x_c + b_c, ds_c = da_c·x_c + db_c
//     are formed here; outG gets G∘x (dG∘x) and outH G (dG), whose column sums are the gradient (the
//     Hessian-vector product) in a and b.
// coef = [a | b | da | db | mask], C floats each (a, b, da, db unused when DIAG = 0).
// LANES threads share a row (WG / LANES rows per workgroup); the row's softmax and, for hvp, Σ p·ds are
// merged across its lanes in workgroup memory. Threads past the last row join every barrier.

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> outG: array<f32>;
@group(0) @binding(4) var<storage, read_write> outH: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

override WG: u32 = 128u;
override LANES: u32 = 16u;
override DIAG: u32 = 0u;

var<workgroup> wMax: array<f32, WG>;
var<workgroup> wOth: array<f32, WG>;
var<workgroup> wArg: array<i32, WG>;
var<workgroup> wDot: array<f32, WG>;

// -inf cannot be a WGSL constant (const-evaluation rejects it), so it is made at run time.
fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn masked(c: u32) -> bool {
  return coef[4u * p.cols + c] != 0.0;
}

// Whether class c takes part in the row's softmax: not masked, and (diagonal maps) not a −∞ input.
fn open(base: u32, c: u32) -> bool {
  return !masked(c) && (DIAG == 0u || src[base + c] != negInf());
}

fn score(base: u32, c: u32) -> f32 {
  let v = src[base + c];
  if (DIAG == 1u) {
    if (v == negInf()) { return v; }
    return coef[c] * v + coef[p.cols + c];
  }
  return v;
}

// A row's softmax as (max m, others o = Σ_{c≠arg} exp(s_c − m), arg): p_arg = 1 / (1 + o) and 1 − p_arg =
// o / (1 + o) keep their precision when the row is confident, where p − 1 and exp(0) / sum would cancel.
struct Soft {
  m: f32,
  o: f32,
  arg: i32,
}

// A −∞ score adds nothing (and two of them must not meet in exp(−∞ − −∞)).
fn addScore(a: Soft, v: f32, c: i32) -> Soft {
  if (v == negInf()) { return a; }
  if (a.arg < 0) { return Soft(v, 0.0, c); }
  if (v > a.m) { return Soft(v, (a.o + 1.0) * exp(a.m - v), c); }
  return Soft(a.m, a.o + exp(v - a.m), a.arg);
}

// Merges two partial softmaxes (arg < 0: empty); the larger max, then the lower index, is the reference.
fn merge(a: Soft, b: Soft) -> Soft {
  if (b.arg < 0) { return a; }
  if (a.arg < 0) { return b; }
  if (b.m > a.m || (b.m == a.m && b.arg < a.arg)) { return Soft(b.m, b.o + (a.o + 1.0) * exp(a.m - b.m), b.arg); }
  return Soft(a.m, a.o + (b.o + 1.0) * exp(b.m - a.m), a.arg);
}

// log(1 + o) without losing o when it is tiny (a confident row's loss).
fn log1p(o: f32) -> f32 {
  if (o < 1e-3) { return o * (1.0 - o * (0.5 - o / 3.0)); }
  return log(1.0 + o);
}

struct RowPos {
  row: u32,
  lane: u32,
  first: u32,
  inRange: bool,
}

fn position(wid: vec3<u32>, t: u32) -> RowPos {
  let row = (wid.y * p.gridX + wid.x) * (WG / LANES) + t / LANES;
  return RowPos(row, t % LANES, t - t % LANES, row < p.rows);
}

// The row's softmax over its unmasked scores, merged over its lanes; every thread must call it.
fn rowSoftmax(pos: RowPos, t: u32) -> Soft {
  var a = Soft(0.0, 0.0, -1);
  if (pos.inRange) {
    let base = pos.row * p.cols;
    for (var c = pos.lane; c < p.cols; c += LANES) {
      if (open(base, c)) { a = addScore(a, score(base, c), i32(c)); }
    }
  }
  wMax[t] = a.m;
  wOth[t] = a.o;
  wArg[t] = a.arg;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (pos.lane < stride) {
      let r = merge(Soft(wMax[t], wOth[t], wArg[t]), Soft(wMax[t + stride], wOth[t + stride], wArg[t + stride]));
      wMax[t] = r.m;
      wOth[t] = r.o;
      wArg[t] = r.arg;
    }
    workgroupBarrier();
  }
  return Soft(wMax[pos.first], wOth[pos.first], wArg[pos.first]);
}

fn prob(base: u32, c: u32, a: Soft) -> f32 {
  if (!open(base, c)) { return 0.0; }
  return exp(score(base, c) - a.m) / (1.0 + a.o);
}

@compute @workgroup_size(WG)
fn grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let pos = position(wid, t);
  let a = rowSoftmax(pos, t);
  if (!pos.inRange) { return; }
  let base = pos.row * p.cols;
  let y = u32(labels[pos.row]);
  for (var c = pos.lane; c < p.cols; c += LANES) {
    var g = prob(base, c, a);
    if (c == y) { g = select(g - 1.0, -a.o / (1.0 + a.o), i32(c) == a.arg); }
    if (DIAG == 1u) {
      outG[base + c] = select(0.0, g * src[base + c], open(base, c));
      outH[base + c] = g;
    } else {
      outG[base + c] = g;
    }
  }
  if (pos.lane == 0u) { loss[pos.row] = (a.m - score(base, y)) + log1p(a.o); }
}

// ds_c: 0 where the class is not in the softmax (its p is 0, and a −∞ input would make da·x NaN).
fn direction(base: u32, c: u32) -> f32 {
  if (DIAG == 1u) {
    if (!open(base, c)) { return 0.0; }
    return coef[2u * p.cols + c] * src[base + c] + coef[3u * p.cols + c];
  }
  return outG[base + c];
}

// Σ_d p_d·ds_d is taken relative to ds at the row's reference class, so a confident row's
// ds_c − Σ p·ds does not cancel: it is (ds_c − ds_ref) − Σ_d p_d·(ds_d − ds_ref).
@compute @workgroup_size(WG)
fn hvp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let pos = position(wid, t);
  let a = rowSoftmax(pos, t);
  let base = pos.row * p.cols;
  var dsRef = 0.0;
  var dot = 0.0;
  if (pos.inRange) {
    if (a.arg >= 0) { dsRef = direction(base, u32(a.arg)); }
    for (var c = pos.lane; c < p.cols; c += LANES) { dot += prob(base, c, a) * (direction(base, c) - dsRef); }
  }
  wDot[t] = dot;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (pos.lane < stride) { wDot[t] += wDot[t + stride]; }
    workgroupBarrier();
  }
  if (!pos.inRange) { return; }
  let rowDot = wDot[pos.first];
  // Every lane has read ds at the reference before any lane overwrites it (the barriers above).
  for (var c = pos.lane; c < p.cols; c += LANES) {
    let dg = prob(base, c, a) * ((direction(base, c) - dsRef) - rowDot);
    if (DIAG == 1u) {
      outG[base + c] = select(0.0, dg * src[base + c], open(base, c));
      outH[base + c] = dg;
    } else {
      outG[base + c] = dg;
    }
  }
}
