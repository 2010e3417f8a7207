// Divides each row by its L2 norm, one workgroup per row. The row is first scaled by the power of two
// 2^-e that brings its largest |x| into [0.5, 1): exact, and it keeps the f32 sum of squares from
// overflowing (|x| > 1e19) or underflowing (|x| < 1e-19). The largest |x| is found as the largest
// u32 of the bits without the sign, which orders non-negative floats and also spots Inf/NaN.
// An all-zero row is written back unchanged; a row with an Inf or NaN becomes all NaN.

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> outp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

var<workgroup> maxBits: array<u32, WG>;
var<workgroup> sumSq: array<f32, WG>;

// ldexp takes exponents in (-127, 128]; splitting the shift in two halves covers all of [-128, 125].
fn scaled(v: f32, shift: i32) -> f32 {
  let half = shift / 2;
  return ldexp(ldexp(v, half), shift - half);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.y * p.gridX + wid.x;
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.cols;
  var m = 0u;
  for (var c = t; c < p.cols; c += WG) {
    m = max(m, bitcast<u32>(x[base + c]) & 0x7fffffffu);
  }
  maxBits[t] = m;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) { maxBits[t] = max(maxBits[t], maxBits[t + stride]); }
    workgroupBarrier();
  }
  let top = maxBits[0];
  let shift = 126 - i32(max(top >> 23u, 1u));
  var s = 0.0;
  for (var c = t; c < p.cols; c += WG) {
    let v = scaled(x[base + c], shift);
    s += v * v;
  }
  sumSq[t] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) { sumSq[t] += sumSq[t + stride]; }
    workgroupBarrier();
  }
  let total = sumSq[0];
  let norm = sqrt(total);
  var nanBits = 0x7fc00000u;
  let nan = bitcast<f32>(nanBits);
  for (var c = t; c < p.cols; c += WG) {
    let v = x[base + c];
    if (top >= 0x7f800000u) {
      outp[base + c] = nan;
    } else if (total == 0.0) {
      outp[base + c] = v;
    } else {
      outp[base + c] = scaled(v, shift) / norm;
    }
  }
}
