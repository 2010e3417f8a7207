// matmul_small.wgsl with subgroups (appended to subgroup_slot.wgsl): one subgroup per BR×BC block of C
// instead of one workgroup, its lanes splitting K and the 8 partial sums added with subgroupAdd, so no
// workgroup memory and no barrier per block. A workgroup takes BLOCKS consecutive blocks, its subgroups
// every count-th of them; nothing depends on the subgroup size.

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
override WG: u32 = 128u;
override BLOCKS: u32 = 32u;
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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let slot = claimSubgroupSlot(li);
  let count = workgroupUniformLoad(&subgroupCount);
  let rank = subgroupExclusiveAdd(1u);
  let lanes = subgroupAdd(1u);
  let bi = wid.z + p.batch0;
  let blocksPerRow = (p.N + BC - 1u) / BC;
  let total = ((p.M + BR - 1u) / BR) * blocksPerRow;
  let first = (wid.y * p.gridX + wid.x) * BLOCKS;
  // Uniform loop (count is uniform), so subgroupAdd is in uniform control flow; blocks past the end
  // are computed on the last block and not stored.
  for (var it = 0u; it < BLOCKS; it += count) {
    let block = first + it + slot;
    let live = it + slot < BLOCKS && block < total;
    let blk = min(block, total - 1u);
    let row0 = (blk / blocksPerRow) * BR;
    let col0 = (blk % blocksPerRow) * BC;
    let rows = min(BR, p.M - row0);
    let cols = min(BC, p.N - col0);
    // Rows and columns past the edge re-read the last one (clamped) and are never stored.
    var acc: array<f32, SLOTS>;
    var bk: array<f32, SLOTS>;
    for (var k = rank; k < p.K; k += lanes) {
      for (var j = 0u; j < BC; j++) { bk[j] = bAt(bi, k, min(col0 + j, p.N - 1u)); }
      for (var i = 0u; i < BR; i++) {
        let av = aAt(bi, min(row0 + i, p.M - 1u), k);
        for (var j = 0u; j < BC; j++) { acc[i * BC + j] = fma(av, bk[j], acc[i * BC + j]); }
      }
    }
    var sums: array<f32, SLOTS>;
    for (var s = 0u; s < SLOTS; s++) { sums[s] = subgroupAdd(acc[s]); }
    if (live && rank == 0u) {
      for (var t = 0u; t < SLOTS; t++) {
        let i = t / BC;
        let j = t % BC;
        if (i < rows && j < cols) {
          let col = col0 + j;
          var v = sums[t];
          if (p.hasBias == 1u) { v += bias[col]; }
          c[bi * p.cStride + (row0 + i) * p.N + col] = v;
        }
      }
    }
  }
}
