// Bindings, loads and stores of the subgroup L2 normalisation for any cols: four bounds-checked scalar
// accesses per quad; columns past the row's end load as 0 (no effect on the norm) and are not stored.
// l2_normalize_subgroup.wgsl is appended to this file.

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> outp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  let c = 4u * q;
  let base = row * p.cols + c;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { v[t] = x[base + t]; }
  }
  return v;
}

fn storeQuad(row: u32, q: u32, v: vec4<f32>) {
  let c = 4u * q;
  let base = row * p.cols + c;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { outp[base + t] = v[t]; }
  }
}
