// Bindings and loads of the subgroup row statistics for any cols: a quad is four bounds-checked scalar
// reads, and columns past the row's end get group code NO_GROUP, which no statistic counts.
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

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> outp: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn loadQuad(row: u32, q: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  let c = 4u * q;
  let base = row * p.cols + c;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { v[t] = z[base + t]; }
  }
  return v;
}

fn groupQuad(q: u32) -> vec4<u32> {
  var g = vec4<u32>(NO_GROUP);
  let c = 4u * q;
  for (var t = 0u; t < 4u; t++) {
    if (c + t < p.cols) { g[t] = groups[c + t]; }
  }
  return g;
}

fn logitAt(row: u32, c: u32) -> f32 {
  return z[row * p.cols + c];
}
