// Tiled C[b] = op(A[b])·op(B[b]) + bias. Appended to matmul_tiled_scalar.wgsl or matmul_tiled_vec4.wgsl,
// which declare the bindings, Params, loadA4 and loadB4 (scalar or vec4 global loads); this part is the
// same for both.
//
// One 16×16 workgroup computes a 64×64 block of C; each thread owns a 4×4 sub-block in registers.
// op(A) and op(B) are staged through workgroup memory in 16-deep slices along K, stored k-major as vec4s
// so a thread reads its 4 rows of op(A) and its 4 columns of op(B) with one load each per k.
// Edges: loads outside the matrices give 0 (so partial K slices add nothing) and stores are bounds-checked.

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const TPR: u32 = 16u; // threads per row and per column of the workgroup: BM / 4 = BN / 4

override TRANS_A: bool = false;
override TRANS_B: bool = false;

var<workgroup> As: array<vec4<f32>, 256>; // [BK][BM / 4]
var<workgroup> Bs: array<vec4<f32>, 256>; // [BK][BN / 4]

// Each of the 256 threads loads 4 values of each tile, 4 consecutive in memory: along the stored rows,
// which are K-long for A (M-long when transA) and N-long for B (K-long when transB). A run along K is
// spread over 4 k-slices of the tile.
fn loadTiles(bi: u32, row0: u32, col0: u32, k0: u32, li: u32) {
  if (TRANS_A) {
    let kk = li / TPR;
    let q = li % TPR;
    As[kk * TPR + q] = loadA4(bi, k0 + kk, row0 + q * 4u);
  } else {
    let r = li / 4u;
    let q = li % 4u;
    let v = loadA4(bi, row0 + r, k0 + q * 4u);
    let base = q * 4u * TPR + r / 4u;
    let lane = r % 4u;
    As[base][lane] = v.x;
    As[base + TPR][lane] = v.y;
    As[base + 2u * TPR][lane] = v.z;
    As[base + 3u * TPR][lane] = v.w;
  }
  if (TRANS_B) {
    let cN = li / 4u;
    let q = li % 4u;
    let v = loadB4(bi, col0 + cN, k0 + q * 4u);
    let base = q * 4u * TPR + cN / 4u;
    let lane = cN % 4u;
    Bs[base][lane] = v.x;
    Bs[base + TPR][lane] = v.y;
    Bs[base + 2u * TPR][lane] = v.z;
    Bs[base + 3u * TPR][lane] = v.w;
  } else {
    let kk = li / TPR;
    let q = li % TPR;
    Bs[kk * TPR + q] = loadB4(bi, k0 + kk, col0 + q * 4u);
  }
}

fn storeRow(bi: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  let base = bi * p.cStride + row * p.N + col;
  for (var t = 0u; t < 4u; t++) {
    if (col + t < p.N) { c[base + t] = v[t]; }
  }
}

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let bi = wid.z + p.batch0;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    loadTiles(bi, row0, col0, k0, li);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let av = As[kk * TPR + lid.y];
      let bv = Bs[kk * TPR + lid.x];
      acc0 = fma(vec4<f32>(av.x), bv, acc0);
      acc1 = fma(vec4<f32>(av.y), bv, acc1);
      acc2 = fma(vec4<f32>(av.z), bv, acc2);
      acc3 = fma(vec4<f32>(av.w), bv, acc3);
    }
    workgroupBarrier();
  }
  let col = col0 + lid.x * 4u;
  let row = row0 + lid.y * 4u;
  var bias4 = vec4<f32>(0.0);
  if (p.hasBias == 1u) {
    for (var t = 0u; t < 4u; t++) {
      if (col + t < p.N) { bias4[t] = bias[col + t]; }
    }
  }
  storeRow(bi, row, col, acc0 + bias4);
  storeRow(bi, row + 1u, col, acc1 + bias4);
  storeRow(bi, row + 2u, col, acc2 + bias4);
  storeRow(bi, row + 3u, col, acc3 + bias4);
}
