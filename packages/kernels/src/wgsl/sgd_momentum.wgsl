// SGD with momentum and L2 weight decay, in place, PyTorch's convention (dampening 0, no Nesterov):
//   d = g + weightDecay·w;  v = momentum·v + d;  w = w − lr·v.
// One thread per parameter.

struct Params {
  count: u32,
  gridX: u32,
  lr: f32,
  momentum: f32,
  weightDecay: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * p.gridX + wid.x) * WG + lid.x;
  if (i >= p.count) { return; }
  let d = g[i] + p.weightDecay * w[i];
  let nv = p.momentum * v[i] + d;
  v[i] = nv;
  w[i] = w[i] - p.lr * nv;
}
