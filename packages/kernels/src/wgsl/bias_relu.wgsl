// In place: x[r, c] = x[r, c] + bias[c], then max(·, 0) when relu == 1. One thread per element.
// The ReLU is written as select(0, v, v > 0) rather than max(v, 0) so -0 and NaN map to +0 exactly as
// the CPU twin does (WGSL leaves max(-0, 0) to the implementation).

struct Params {
  rows: u32,
  cols: u32,
  relu: u32,
  gridX: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * p.gridX + wid.x) * WG + lid.x;
  if (i >= p.rows * p.cols) { return; }
  let v = x[i] + bias[i % p.cols];
  if (p.relu == 1u) {
    x[i] = select(0.0, v, v > 0.0);
  } else {
    x[i] = v;
  }
}
