// Bindings, loads and stores of the subgroup softmax for any cols: four bounds-checked scalar accesses
// per quad; columns past the row's end load as -inf (adding nothing) and are never stored.
// softmax_subgroup.wgsl is appended to this file.

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

fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  var v = vec4<f32>(negInf());
  let c = 4u * q;
  let base = row * p.cols + c;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { v[t] = z[base + t]; }
  }
  return v;
}

fn groupQuad(q: u32) -> vec4<u32> {
  var g = vec4<u32>(0u);
  let c = 4u * q;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { g[t] = groups[c + t]; }
  }
  return g;
}

fn storeQuad(row: u32, q: u32, v: vec4<f32>) {
  let c = 4u * q;
  let base = row * p.cols + c;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { outp[base + t] = v[t]; }
  }
}
