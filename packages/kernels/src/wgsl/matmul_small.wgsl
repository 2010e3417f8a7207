// C[b] = op(A[b])·op(B[b]) + bias when M or N is small (GEMV-like): a tile of 64 rows or columns would
// leave most of the tiled kernel's work idle. One workgroup owns a BR×BC block of C (BR·BC = 8, e.g.
// 1×8 for a vector times a matrix, 8×1 for a matrix times a vector); its WG threads split K between
// them, each keeping 8 partial sums, and a tree reduction in workgroup memory adds the partials.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  aStride: u32,
  bStride: u32,
  cStride: u32,
  hasBias: u32,
  batch0: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// WG must be a power of two; BR·BC must be SLOTS.
override WG: u32 = 64u;
override BR: u32 = 8u;
override BC: u32 = 1u;

const SLOTS: u32 = 8u;

var<workgroup> partial: array<f32, SLOTS * WG>; // [slot][thread]

fn aAt(bi: u32, row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[bi * p.aStride + k * p.M + row]; }
  return a[bi * p.aStride + row * p.K + k];
}

fn bAt(bi: u32, k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[bi * p.bStride + col * p.K + k]; }
  return b[bi * p.bStride + k * p.N + col];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let bi = wid.z + p.batch0;
  let block = wid.y * p.gridX + wid.x;
  let blocksPerRow = (p.N + BC - 1u) / BC;
  let row0 = (block / blocksPerRow) * BR;
  let col0 = (block % blocksPerRow) * BC;
  // Uniform over the workgroup (it depends on the workgroup id only), so no thread skips a barrier.
  if (row0 >= p.M) { return; }
  let rows = min(BR, p.M - row0);
  let cols = min(BC, p.N - col0);
  let t = lid.x;

  // Loop bounds are pipeline constants so the loops unroll and acc stays in registers; rows and columns
  // past the edge re-read the last one (clamped) and are never stored.
  var acc: array<f32, SLOTS>;
  var bk: array<f32, SLOTS>;
  for (var k = t; k < p.K; k += WG) {
    for (var j = 0u; j < BC; j++) { bk[j] = bAt(bi, k, min(col0 + j, p.N - 1u)); }
    for (var i = 0u; i < BR; i++) {
      let av = aAt(bi, min(row0 + i, p.M - 1u), k);
      for (var j = 0u; j < BC; j++) { acc[i * BC + j] = fma(av, bk[j], acc[i * BC + j]); }
    }
  }
  for (var s = 0u; s < SLOTS; s++) { partial[s * WG + t] = acc[s]; }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      for (var s = 0u; s < SLOTS; s++) { partial[s * WG + t] += partial[s * WG + t + stride]; }
    }
    workgroupBarrier();
  }
  if (t < SLOTS) {
    let i = t / BC;
    let j = t % BC;
    if (i < rows && j < cols) {
      let col = col0 + j;
      var v = partial[t * WG];
      if (p.hasBias == 1u) { v += bias[col]; }
      c[bi * p.cStride + (row0 + i) * p.N + col] = v;
    }
  }
}
