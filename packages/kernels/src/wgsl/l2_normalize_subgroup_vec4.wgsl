// Bindings, loads and stores of the subgroup L2 normalisation when cols is a multiple of 4 (one aligned
// vec4 per quad of columns). l2_normalize_subgroup.wgsl is appended to this file.

struct Params {
  rows: u32,
  cols: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> outp: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  return x[row * (p.cols / 4u) + q];
}

fn storeQuad(row: u32, q: u32, v: vec4<f32>) {
  outp[row * (p.cols / 4u) + q] = v;
}
