// Bindings and global loads of the tiled matmul when the stored rows of A and B are multiples of 4 long
// (the host checks): every 4-run a thread loads is then 16-byte aligned and wholly inside or outside the
// matrix, so it is one vec4 read. matmul_tiled.wgsl is appended to this file.

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

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn loadA4(bi: u32, i: u32, j: u32) -> vec4<f32> {
  let rows = select(p.M, p.K, TRANS_A);
  let cols = select(p.K, p.M, TRANS_A);
  if (i >= rows || j >= cols) { return vec4<f32>(0.0); }
  return a[(bi * p.aStride + i * cols + j) / 4u];
}

fn loadB4(bi: u32, i: u32, j: u32) -> vec4<f32> {
  let rows = select(p.K, p.N, TRANS_B);
  let cols = select(p.N, p.K, TRANS_B);
  if (i >= rows || j >= cols) { return vec4<f32>(0.0); }
  return b[(bi * p.bStride + i * cols + j) / 4u];
}
