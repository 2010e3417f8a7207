// Calibration gradient pass, stage 2 of 2: one workgroup per output value i < count sums the `parts`
// per-workgroup partials of nll_grad.wgsl (value i of partial w at w·count + i) with a strided then
// tree sum into out[offset + i]. The host runs it once per row chunk (6K values into the chunk's slot)
// and once over the slots, so no f32 total runs across chunks.

struct Params {
  count: u32,
  parts: u32,
  offset: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> outp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

var<workgroup> ws: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = wid.x;
  let t = lid.x;
  var s = 0.0;
  for (var w = t; w < p.parts; w += WG) { s += partials[w * p.count + i]; }
  ws[t] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) { ws[t] += ws[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) { outp[p.offset + i] = ws[0]; }
}
