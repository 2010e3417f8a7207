// Tiled C[b] = op(A[b])·op(B[b]) + bias. Appended to matmul_tiled_scalar.wgsl or matmul_tiled_vec4.wgsl,
// which declare the bindings, Params, loadA4 and loadB4 (scalar or vec4 global loads); this part is the
// same for both.
//
// One 8×8 workgroup computes a 64×64 block of C; each thread owns an 8×8 sub-block in registers, so each
// k step costs 4 vec4 workgroup-memory reads for 16 vec4 FMAs (a 4×4 block measured 1.75× the CPU time
// on llvmpipe, which reads workgroup memory lane by lane). op(A) and op(B) are staged through workgroup
// memory in 16-deep slices along K, stored k-major as vec4s along M and N.
// Edges: loads outside the matrices give 0 (so partial K slices add nothing) and stores are bounds-checked.
// The grid starts at row rowOff and column colOff of C, so that the edge strips the 128×128 kernel
// leaves (matmul_tiled128.wgsl) run here with the same bounds.

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const WG: u32 = 64u; // 8×8 threads
const V: u32 = 16u; // vec4s per tile row: BM / 4 = BN / 4

override TRANS_A: bool = false;
override TRANS_B: bool = false;

var<workgroup> As: array<vec4<f32>, 256>; // [BK][BM / 4]
var<workgroup> Bs: array<vec4<f32>, 256>; // [BK][BN / 4]

// Each tile is 256 runs of 4 values consecutive in memory, 4 per thread: runs along the stored rows, which
// are K-long for A (M-long when transA) and N-long for B (K-long when transB). A run along K is spread
// over 4 k-slices of the tile.
fn loadTiles(bi: u32, row0: u32, col0: u32, k0: u32, li: u32) {
  for (var step = 0u; step < 4u; step++) {
    let run = li + step * WG;
    if (TRANS_A) {
      let kk = run / V;
      let q = run % V;
      As[kk * V + q] = loadA4(bi, k0 + kk, row0 + q * 4u);
    } else {
      let r = run / 4u;
      let q = run % 4u;
      let v = loadA4(bi, row0 + r, k0 + q * 4u);
      let at = q * 4u * V + r / 4u;
      let lane = r % 4u;
      As[at][lane] = v.x;
      As[at + V][lane] = v.y;
      As[at + 2u * V][lane] = v.z;
      As[at + 3u * V][lane] = v.w;
    }
    if (TRANS_B) {
      let n = run / 4u;
      let q = run % 4u;
      let v = loadB4(bi, col0 + n, k0 + q * 4u);
      let at = q * 4u * V + n / 4u;
      let lane = n % 4u;
      Bs[at][lane] = v.x;
      Bs[at + V][lane] = v.y;
      Bs[at + 2u * V][lane] = v.z;
      Bs[at + 3u * V][lane] = v.w;
    } else {
      let kk = run / V;
      let q = run % V;
      Bs[kk * V + q] = loadB4(bi, k0 + kk, col0 + q * 4u);
    }
  }
}

fn store4(bi: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  let at = bi * p.cStride + row * p.N + col;
  for (var t = 0u; t < 4u; t++) {
    if (col + t < p.N) { c[at + t] = v[t]; }
  }
}

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let bi = wid.z + p.batch0;
  let row0 = p.rowOff + wid.y * BM;
  let col0 = p.colOff + wid.x * BN;
  // acc[2·i + h]: row i of the thread's block, columns 4h..4h+3.
  var acc: array<vec4<f32>, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    loadTiles(bi, row0, col0, k0, li);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = As[kk * V + lid.y * 2u];
      let a1 = As[kk * V + lid.y * 2u + 1u];
      let b0 = Bs[kk * V + lid.x * 2u];
      let b1 = Bs[kk * V + lid.x * 2u + 1u];
      for (var i = 0u; i < 4u; i++) {
        acc[2u * i] = fma(vec4<f32>(a0[i]), b0, acc[2u * i]);
        acc[2u * i + 1u] = fma(vec4<f32>(a0[i]), b1, acc[2u * i + 1u]);
        acc[2u * i + 8u] = fma(vec4<f32>(a1[i]), b0, acc[2u * i + 8u]);
        acc[2u * i + 9u] = fma(vec4<f32>(a1[i]), b1, acc[2u * i + 9u]);
      }
    }
    workgroupBarrier();
  }
  let row = row0 + lid.y * 8u;
  let col = col0 + lid.x * 8u;
  var bias0 = vec4<f32>(0.0);
  var bias1 = vec4<f32>(0.0);
  if (p.hasBias == 1u) {
    for (var t = 0u; t < 4u; t++) {
      if (col + t < p.N) { bias0[t] = bias[col + t]; }
      if (col + 4u + t < p.N) { bias1[t] = bias[col + 4u + t]; }
    }
  }
  for (var i = 0u; i < 8u; i++) {
    store4(bi, row + i, col, acc[2u * i] + bias0);
    store4(bi, row + i, col + 4u, acc[2u * i + 1u] + bias1);
  }
}
