// In place: out[i] = fill wherever z[i] is −∞, one thread per element. The linear family's full maps
// (s = W·x + b) treat a −∞ logit as a class masked in its row: the matmul sees 0 there (fill 0 on its
// copy of x), and the class's score is put back to −∞ (fill −∞ on s).

struct Params {
  count: u32,
  gridX: u32,
  fill: f32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read_write> outp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * p.gridX + wid.x) * WG + lid.x;
  if (i >= p.count) { return; }
  if (z[i] == negInf()) { outp[i] = p.fill; }
}
