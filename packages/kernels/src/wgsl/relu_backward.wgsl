// In place: g[i] = g[i] where the forward ReLU output h[i] was positive, else 0 (the ReLU's derivative
// at 0 is taken as 0, as in PyTorch). One thread per element.

struct Params {
  count: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> g: array<f32>;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * p.gridX + wid.x) * WG + lid.x;
  if (i >= p.count) { return; }
  g[i] = select(0.0, g[i], h[i] > 0.0);
}
