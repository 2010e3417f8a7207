// DESIGN.md §1 row statistics. LANES threads share a row (WG / LANES rows per workgroup), so short rows
// do not leave most of a workgroup idle and long rows still spread over many threads. Each thread
// makes one strided pass over its columns: group maxima with their index, sums of z, and an online
// (max, sum, sum of squares) log-sum-exp of z·invT for S∪O and for U: the squares give logSq = log Σ p_c²
// of the softmax within the group (logSqSO, logSqU: what the Brier score needs at any γ) at no extra exp.
// The lane partials are merged in workgroup memory.
//
// Ties: within a thread a strictly larger value replaces the maximum, and columns arrive in
// increasing order, so the thread keeps its lowest tied index; merges compare indices, so the row's
// lowest tied index wins. The first column of a group is always taken (arg < 0 means "empty"), so a
// group of only -inf reports its lowest index, and an empty group keeps -inf / -1.
//
// Output: one struct-of-arrays buffer of 13 fields × rows 32-bit words, field f of row r at f·rows + r,
// in the order maxSO, argSO, maxU, argU, maxS, argS, label, sumS, sumU, lseSO, lseU, logSqSO, logSqU
// (ROW_STATS_FIELDS); arguments are i32, the rest f32, stored as raw bits. A missing or out-of-range label
// gives NaN.

struct Params {
  rows: u32,
  cols: u32,
  invT: f32,
  hasLabels: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> outp: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 128u;
override LANES: u32 = 32u;

var<workgroup> wMaxSO: array<f32, WG>;
var<workgroup> wArgSO: array<i32, WG>;
var<workgroup> wMaxU: array<f32, WG>;
var<workgroup> wArgU: array<i32, WG>;
var<workgroup> wMaxS: array<f32, WG>;
var<workgroup> wArgS: array<i32, WG>;
var<workgroup> wSumS: array<f32, WG>;
var<workgroup> wSumU: array<f32, WG>;
var<workgroup> wLmSO: array<f32, WG>;
var<workgroup> wLsSO: array<f32, WG>;
var<workgroup> wLqSO: array<f32, WG>;
var<workgroup> wLmU: array<f32, WG>;
var<workgroup> wLsU: array<f32, WG>;
var<workgroup> wLqU: array<f32, WG>;

// -inf and NaN cannot be WGSL constants (const-evaluation rejects them), so they are made at run time.
fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn quietNaN() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// True when (m2, a2) should replace (m1, a1): the other side is non-empty and larger, or tied with a
// lower index, or this side is empty.
fn takesOver(m1: f32, a1: i32, m2: f32, a2: i32) -> bool {
  if (a2 < 0) { return false; }
  if (a1 < 0) { return true; }
  return m2 > m1 || (m2 == m1 && a2 < a1);
}

// Merges two online (max, sum, sum of squares) log-sum-exp triples; sum 0 marks an empty one.
fn mergeLse(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  if (a.y == 0.0) { return b; }
  if (b.y == 0.0) { return a; }
  let m = max(a.x, b.x);
  let ea = exp(a.x - m);
  let eb = exp(b.x - m);
  return vec3<f32>(m, a.y * ea + b.y * eb, a.z * ea * ea + b.z * eb * eb);
}

fn addLse(ms: vec3<f32>, v: f32) -> vec3<f32> {
  if (v == negInf()) { return ms; }
  if (ms.y == 0.0) { return vec3<f32>(v, 1.0, 1.0); }
  if (v > ms.x) {
    let e = exp(ms.x - v);
    return vec3<f32>(v, ms.y * e + 1.0, ms.z * e * e + 1.0);
  }
  let e = exp(v - ms.x);
  return vec3<f32>(ms.x, ms.y + e, ms.z + e * e);
}

fn finishLse(m: f32, sum: f32) -> f32 {
  if (sum == 0.0) { return negInf(); }
  return m + log(sum);
}

// log Σ p² within the group = log(sum of squares) − 2·log(sum): free of m, so it cannot overflow.
fn finishLogSq(sum: f32, sq: f32) -> f32 {
  if (sum == 0.0) { return negInf(); }
  return log(sq) - 2.0 * log(sum);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let lane = t % LANES;
  let row = (wid.y * p.gridX + wid.x) * (WG / LANES) + t / LANES;
  // Threads past the last row still take part in every barrier below; they just hold empty partials.
  let inRange = row < p.rows;
  let NEG_INF = negInf();
  var maxSO = NEG_INF;
  var argSO = -1;
  var maxU = NEG_INF;
  var argU = -1;
  var maxS = NEG_INF;
  var argS = -1;
  var sumS = 0.0;
  var sumU = 0.0;
  var lseSO = vec3<f32>(NEG_INF, 0.0, 0.0);
  var lseU = vec3<f32>(NEG_INF, 0.0, 0.0);
  if (inRange) {
    let base = row * p.cols;
    for (var c = lane; c < p.cols; c += LANES) {
      let v = z[base + c];
      let g = groups[c];
      let ci = i32(c);
      if (g == 1u) {
        sumU += v;
        if (argU < 0 || v > maxU) { maxU = v; argU = ci; }
        lseU = addLse(lseU, v * p.invT);
        continue;
      }
      if (g == 0u) {
        sumS += v;
        if (argS < 0 || v > maxS) { maxS = v; argS = ci; }
      }
      if (argSO < 0 || v > maxSO) { maxSO = v; argSO = ci; }
      lseSO = addLse(lseSO, v * p.invT);
    }
  }
  wMaxSO[t] = maxSO;
  wArgSO[t] = argSO;
  wMaxU[t] = maxU;
  wArgU[t] = argU;
  wMaxS[t] = maxS;
  wArgS[t] = argS;
  wSumS[t] = sumS;
  wSumU[t] = sumU;
  wLmSO[t] = lseSO.x;
  wLsSO[t] = lseSO.y;
  wLqSO[t] = lseSO.z;
  wLmU[t] = lseU.x;
  wLsU[t] = lseU.y;
  wLqU[t] = lseU.z;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      let o = t + stride;
      if (takesOver(wMaxSO[t], wArgSO[t], wMaxSO[o], wArgSO[o])) { wMaxSO[t] = wMaxSO[o]; wArgSO[t] = wArgSO[o]; }
      if (takesOver(wMaxU[t], wArgU[t], wMaxU[o], wArgU[o])) { wMaxU[t] = wMaxU[o]; wArgU[t] = wArgU[o]; }
      if (takesOver(wMaxS[t], wArgS[t], wMaxS[o], wArgS[o])) { wMaxS[t] = wMaxS[o]; wArgS[t] = wArgS[o]; }
      wSumS[t] += wSumS[o];
      wSumU[t] += wSumU[o];
      let so = mergeLse(vec3<f32>(wLmSO[t], wLsSO[t], wLqSO[t]), vec3<f32>(wLmSO[o], wLsSO[o], wLqSO[o]));
      wLmSO[t] = so.x;
      wLsSO[t] = so.y;
      wLqSO[t] = so.z;
      let u = mergeLse(vec3<f32>(wLmU[t], wLsU[t], wLqU[t]), vec3<f32>(wLmU[o], wLsU[o], wLqU[o]));
      wLmU[t] = u.x;
      wLsU[t] = u.y;
      wLqU[t] = u.z;
    }
    workgroupBarrier();
  }
  if (!inRange || lane != 0u) { return; }
  var label = quietNaN();
  if (p.hasLabels == 1u) {
    let y = labels[row];
    if (y >= 0 && u32(y) < p.cols) { label = z[row * p.cols + u32(y)]; }
  }
  let n = p.rows;
  outp[row] = bitcast<u32>(wMaxSO[t]);
  outp[n + row] = bitcast<u32>(wArgSO[t]);
  outp[2u * n + row] = bitcast<u32>(wMaxU[t]);
  outp[3u * n + row] = bitcast<u32>(wArgU[t]);
  outp[4u * n + row] = bitcast<u32>(wMaxS[t]);
  outp[5u * n + row] = bitcast<u32>(wArgS[t]);
  outp[6u * n + row] = bitcast<u32>(label);
  outp[7u * n + row] = bitcast<u32>(wSumS[t]);
  outp[8u * n + row] = bitcast<u32>(wSumU[t]);
  outp[9u * n + row] = bitcast<u32>(finishLse(wLmSO[t], wLsSO[t]));
  outp[10u * n + row] = bitcast<u32>(finishLse(wLmU[t], wLsU[t]));
  outp[11u * n + row] = bitcast<u32>(finishLogSq(wLsSO[t], wLqSO[t]));
  outp[12u * n + row] = bitcast<u32>(finishLogSq(wLsU[t], wLqU[t]));
}
