// C[b] = op(A[b])·op(B[b]) + bias when M or N is small (GEMV-like): a tile of 64 rows or columns would
// leave most of the tiled kernel's work idle. Each BR×BC block of C (BR·BC = 8, e.g. 1×8 for a vector
// times a matrix, 8×1 for a matrix times a vector) is summed along K by a group of threads, each
// keeping 8 partial sums: a workgroup with a tree in workgroup memory (matmul_small.wgsl) or a subgroup
// with subgroupAdd (matmul_small_subgroup.wgsl), appended to this file.

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
// BR·BC must be SLOTS.
override BR: u32 = 8u;
override BC: u32 = 1u;

const SLOTS: u32 = 8u;

fn aAt(bi: u32, row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[bi * p.aStride + k * p.M + row]; }
  return a[bi * p.aStride + row * p.K + k];
}

fn bAt(bi: u32, k: u32, col: u32) -> f32 {
  if (TRANS_B) { return b[bi * p.bStride + col * p.K + k]; }
  return b[bi * p.bStride + k * p.N + col];
}

// One thread's 8 partial sums of the block at (row0, col0) over k = first, first + step, … Loop bounds
// are pipeline constants so the loops unroll and the sums stay in registers; rows and columns past the
// edge re-read the last one (clamped) and are never stored.
fn blockPartials(bi: u32, row0: u32, col0: u32, first: u32, step: u32) -> array<f32, SLOTS> {
  var acc: array<f32, SLOTS>;
  var bk: array<f32, SLOTS>;
  for (var k = first; k < p.K; k += step) {
    for (var j = 0u; j < BC; j++) { bk[j] = bAt(bi, k, min(col0 + j, p.N - 1u)); }
    for (var i = 0u; i < BR; i++) {
      let av = aAt(bi, min(row0 + i, p.M - 1u), k);
      for (var j = 0u; j < BC; j++) { acc[i * BC + j] = fma(av, bk[j], acc[i * BC + j]); }
    }
  }
  return acc;
}

// Slot s of the block's sum, plus the bias, into C when it lies inside the matrix.
fn storeSlot(bi: u32, row0: u32, col0: u32, s: u32, sum: f32) {
  let row = row0 + s / BC;
  let col = col0 + s % BC;
  if (row >= p.M || col >= p.N) { return; }
  var v = sum;
  if (p.hasBias == 1u) { v += bias[col]; }
  c[bi * p.cStride + row * p.N + col] = v;
}
