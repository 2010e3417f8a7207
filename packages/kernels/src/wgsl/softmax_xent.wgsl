// Softmax cross-entropy, loss and gradient in one pass: one thread per row computes
// loss_r = logsumexp(z_r) − z_r[y_r] and grad[r, c] = (softmax(z_r)_c − [c = y_r]) · gradScale,
// then each workgroup tree-sums its rows' losses into partial[workgroup]. The host adds the few
// partials (one per WG rows), so the mean needs no second dispatch and no float atomics.
// gradScale is 1 / (rows of the whole batch), so a batch split over dispatches keeps the mean's gradient.

struct Params {
  rows: u32,
  cols: u32,
  gradScale: f32,
  gridX: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 64u;

var<workgroup> acc: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let group = wid.y * p.gridX + wid.x;
  let row = group * WG + lid.x;
  var loss = 0.0;
  if (row < p.rows) {
    let base = row * p.cols;
    let y = labels[row];
    var m = z[base];
    for (var c = 1u; c < p.cols; c++) { m = max(m, z[base + c]); }
    var s = 0.0;
    for (var c = 0u; c < p.cols; c++) { s += exp(z[base + c] - m); }
    let inv = 1.0 / s;
    for (var c = 0u; c < p.cols; c++) {
      let q = exp(z[base + c] - m) * inv;
      grad[base + c] = (q - select(0.0, 1.0, c == y)) * p.gradScale;
    }
    loss = m + log(s) - z[base + y];
  }
  acc[lid.x] = loss;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { acc[lid.x] += acc[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partial[group] = acc[0]; }
}
