// Calibration gradient pass, stage 2 of 2: one workgroup per output value i < count sums the `parts`
// per-workgroup partials of nll_grad.wgsl (value i of partial w at w·count + i) with a strided then
// tree sum, and adds the result into out[offset + i] when `accumulate` is 1 (later row chunks), or
// stores it when 0. The dispatch covers `count` = 6K values, one candidate chunk.

struct Params {
  count: u32,
  parts: u32,
  offset: u32,
  accumulate: u32,
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
  if (t == 0u) {
    let o = p.offset + i;
    outp[o] = select(0.0, outp[o], p.accumulate == 1u) + ws[0];
  }
}
