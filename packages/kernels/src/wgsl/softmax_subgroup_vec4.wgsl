// Bindings, loads and stores of the subgroup softmax when cols is a multiple of 4: each quad of columns
// is one aligned vec4 read and one vec4 write. softmax_subgroup.wgsl is appended to this file.

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

@group(0) @binding(0) var<storage, read> z: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> groups: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> outp: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: Params;

fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  return z[row * (p.cols / 4u) + q];
}

fn groupQuad(q: u32) -> vec4<u32> {
  return groups[q];
}

fn storeQuad(row: u32, q: u32, v: vec4<f32>) {
  outp[row * (p.cols / 4u) + q] = v;
}
