// Row softmax / log-softmax of s_c = (z_c + gamma*[c in U]) * invT without subgroups: LANES threads
// share a row (WG / LANES rows per workgroup, both powers of two), so short rows do not leave most of a
// workgroup idle at every barrier. Each thread keeps an online (max, sum) over a strided slice of the
// row; the pairs are merged in workgroup memory, so the row is read twice (stats, then output).
// -inf entries contribute exp(-inf)=0 without producing NaN; a row of only -inf gives NaN,
// like log(0)-log(0), and the CPU twin does the same. That NaN is written explicitly: WGSL lets an
// implementation assume no infinities, so -inf - -inf need not give one (SwiftShader's does not).

struct Params {
  rows: u32,
  cols: u32,
  gamma: f32,
  invT: f32,
  logOut: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read_write> outp: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 128u;
override LANES: u32 = 128u;

var<workgroup> sm: array<f32, WG>;
var<workgroup> ss: array<f32, WG>;

// -inf cannot be a WGSL constant (const-evaluation rejects it), so it is made at run time.
fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn scaled(c: u32, v: f32) -> f32 {
  return (v + select(0.0, p.gamma, groups[c] == 1u)) * p.invT;
}

// Merges two online (max, sum) pairs; a pair with sum 0 is empty and never touches the other.
fn merge(m1: f32, s1: f32, m2: f32, s2: f32) -> vec2<f32> {
  if (s1 == 0.0) { return vec2<f32>(m2, s2); }
  if (s2 == 0.0) { return vec2<f32>(m1, s1); }
  let m = max(m1, m2);
  return vec2<f32>(m, s1 * exp(m1 - m) + s2 * exp(m2 - m));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let lane = t % LANES;
  let row = (wid.y * p.gridX + wid.x) * (WG / LANES) + t / LANES;
  // Threads past the last row still take part in every barrier below; they just hold empty pairs.
  let inRange = row < p.rows;
  let base = row * p.cols;
  let NEG_INF = negInf();
  var m = NEG_INF;
  var s = 0.0;
  if (inRange) {
    for (var c = lane; c < p.cols; c += LANES) {
      let v = scaled(c, z[base + c]);
      if (v == NEG_INF) { continue; }
      if (s == 0.0) { m = v; s = 1.0; }
      else if (v > m) { s = s * exp(m - v) + 1.0; m = v; }
      else { s += exp(v - m); }
    }
  }
  sm[t] = m;
  ss[t] = s;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      let r = merge(sm[t], ss[t], sm[t + stride], ss[t + stride]);
      sm[t] = r.x;
      ss[t] = r.y;
    }
    workgroupBarrier();
  }
  if (!inRange) { return; }
  let rowMax = sm[t - lane];
  let rowSum = ss[t - lane];
  let lse = rowMax + log(rowSum);
  var nanBits = 0x7fc00000u;
  let nan = bitcast<f32>(nanBits);
  for (var c = lane; c < p.cols; c += LANES) {
    let v = scaled(c, z[base + c]);
    if (rowSum == 0.0) {
      outp[base + c] = nan;
    } else if (p.logOut == 1u) {
      outp[base + c] = v - lse;
    } else {
      outp[base + c] = exp(v - rowMax) / rowSum;
    }
  }
}
