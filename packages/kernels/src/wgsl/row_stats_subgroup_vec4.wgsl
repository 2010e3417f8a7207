// Bindings and loads of the subgroup row statistics when cols is a multiple of 4: every quad of
// columns is whole and 16-byte aligned, so it is one vec4 read (and one vec4 of group codes).
// row_stats_subgroup.wgsl is appended to this file.

struct Params {
  rows: u32,
  cols: u32,
  invT: f32,
  hasLabels: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> z: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> groups: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> outp: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

// Columns 4q..4q+3 of a row.
fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  return z[row * (p.cols / 4u) + q];
}

fn groupQuad(q: u32) -> vec4<u32> {
  return groups[q];
}

fn logitAt(row: u32, c: u32) -> f32 {
  let e = row * p.cols + c;
  return z[e / 4u][e % 4u];
}
