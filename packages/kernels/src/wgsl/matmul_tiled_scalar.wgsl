// Bindings and global loads of the tiled matmul for any shape: four scalar reads, each bounds-checked.
// matmul_tiled.wgsl is appended to this file.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  aStride: u32,
  bStride: u32,
  cStride: u32,
  hasBias: u32,
  batch0: u32,
  rowOff: u32,
  colOff: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// Stored A of entry bi (M×K, K×M when transA) at row i, columns j..j+3; 0 outside the matrix.
fn loadA4(bi: u32, i: u32, j: u32) -> vec4<f32> {
  let rows = select(p.M, p.K, TRANS_A);
  let cols = select(p.K, p.M, TRANS_A);
  var v = vec4<f32>(0.0);
  if (i >= rows) { return v; }
  let base = bi * p.aStride + i * cols + j;
  for (var t = 0u; t < 4u; t++) {
    if (j + t < cols) { v[t] = a[base + t]; }
  }
  return v;
}

// Stored B of entry bi (K×N, N×K when transB) at row i, columns j..j+3; 0 outside the matrix.
fn loadB4(bi: u32, i: u32, j: u32) -> vec4<f32> {
  let rows = select(p.K, p.N, TRANS_B);
  let cols = select(p.N, p.K, TRANS_B);
  var v = vec4<f32>(0.0);
  if (i >= rows) { return v; }
  let base = bi * p.bStride + i * cols + j;
  for (var t = 0u; t < 4u; t++) {
    if (j + t < cols) { v[t] = b[base + t]; }
  }
  return v;
}
