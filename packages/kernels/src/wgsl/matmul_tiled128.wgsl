// C[b] = op(A[b])·op(B[b]) + bias on the whole 128×128 tiles of C (the host runs matmul_tiled.wgsl on
// the edge strips). Valid when the stored rows of A and B are multiples of 4 floats (vec4 loads), with
// at least 32 KiB of workgroup memory.
//
// 256 threads (16×16) per 128×128 tile; thread (tx, ty) owns an 8×8 block of C as 2×2 blocks of 4×4:
// rows 4ty..4ty+3 and 64+4ty.., columns 4tx..4tx+3 and 64+4tx... op(A) and op(B) go through workgroup
// memory in k-tiles of BK = 16, stored k-major as vec4s along M and N, so each k step is four vec4
// reads (two of B, distinct and consecutive across a subgroup: conflict-free; two of A, shared by the
// 16 threads of a row: broadcasts) for 64 FMAs. The k-tiles are double-buffered: the next tile is
// fetched into registers while this one is multiplied, then stored into the other buffer, so one
// barrier per k-tile suffices. Inner loop bounds are constants (the compiler unrolls them and keeps
// the accumulators in registers); tiles are whole, so only K is bounds-checked (a last partial k-tile
// reads zeros). Workgroups are ordered in groups of GROUP_M tile rows, so consecutive workgroups share
// B's columns and A's rows in L2.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  aStride: u32,
  bStride: u32,
  cStride: u32,
  hasBias: u32,
  batch0: u32,
  tilesM: u32,
  tilesN: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const BM: u32 = 128u;
const BK: u32 = 16u;
const WG: u32 = 256u;
const V: u32 = 32u; // vec4s per k-row of a tile: BM / 4
const TILE: u32 = 512u; // vec4s per k-tile: BK · V
const GROUP_M: u32 = 8u;

// Two buffers of one k-tile each, [buffer][k][m / 4] and [buffer][k][n / 4]: 32 KiB in all.
var<workgroup> As: array<vec4<f32>, 1024>;
var<workgroup> Bs: array<vec4<f32>, 1024>;

// A thread's share of one k-tile of A or B: two vec4s, as fetched from global memory.
struct Fetched {
  v0: vec4<f32>,
  v1: vec4<f32>,
}

// Stored k-major (op(X) rows along K in memory: A when transA, B when not): run L of the tile is k-row
// L / 32, vec4 L % 32, so a subgroup reads consecutive vec4s of one row and stores them as they are.
// Stored mn-major (A when not transA, B when transB): run L is tile row L % 128, k-quad L / 128, so a
// subgroup reads one vec4 from each of consecutive rows and stores their components to consecutive
// words of four k-rows (conflict-free), transposing the tile on the way.
fn fetchA(bi: u32, row0: u32, k0: u32, li: u32) -> Fetched {
  var f: array<vec4<f32>, 2>;
  for (var s = 0u; s < 2u; s++) {
    let run = li + s * WG;
    if (TRANS_A) {
      let k = k0 + run / V;
      if (k < p.K) { f[s] = a[(bi * p.aStride + k * p.M + row0) / 4u + run % V]; }
    } else {
      let k = k0 + (run / BM) * 4u;
      if (k < p.K) { f[s] = a[(bi * p.aStride + (row0 + run % BM) * p.K + k) / 4u]; }
    }
  }
  return Fetched(f[0], f[1]);
}

fn fetchB(bi: u32, col0: u32, k0: u32, li: u32) -> Fetched {
  var f: array<vec4<f32>, 2>;
  for (var s = 0u; s < 2u; s++) {
    let run = li + s * WG;
    if (TRANS_B) {
      let k = k0 + (run / BM) * 4u;
      if (k < p.K) { f[s] = b[(bi * p.bStride + (col0 + run % BM) * p.K + k) / 4u]; }
    } else {
      let k = k0 + run / V;
      if (k < p.K) { f[s] = b[(bi * p.bStride + k * p.N + col0) / 4u + run % V]; }
    }
  }
  return Fetched(f[0], f[1]);
}

fn storeA(buf: u32, f: Fetched, li: u32) {
  let at = buf * TILE;
  for (var s = 0u; s < 2u; s++) {
    let run = li + s * WG;
    let v = select(f.v0, f.v1, s == 1u);
    if (TRANS_A) {
      As[at + run] = v;
    } else {
      let r = run % BM;
      let kq = run / BM;
      for (var t = 0u; t < 4u; t++) { As[at + (kq * 4u + t) * V + r / 4u][r % 4u] = v[t]; }
    }
  }
}

fn storeB(buf: u32, f: Fetched, li: u32) {
  let at = buf * TILE;
  for (var s = 0u; s < 2u; s++) {
    let run = li + s * WG;
    let v = select(f.v0, f.v1, s == 1u);
    if (TRANS_B) {
      let r = run % BM;
      let kq = run / BM;
      for (var t = 0u; t < 4u; t++) { Bs[at + (kq * 4u + t) * V + r / 4u][r % 4u] = v[t]; }
    } else {
      Bs[at + run] = v;
    }
  }
}

// Tile (tm, tn) of workgroup `pid`: GROUP_M tile rows at a time, column by column within the group.
fn tileOf(pid: u32) -> vec2<u32> {
  let inGroup = GROUP_M * p.tilesN;
  let firstM = (pid / inGroup) * GROUP_M;
  let rowsHere = min(p.tilesM - firstM, GROUP_M);
  let local = pid % inGroup;
  return vec2<u32>(firstM + local % rowsHere, local / rowsHere);
}

fn store4(bi: u32, row: u32, col: u32, v: vec4<f32>) {
  let at = bi * p.cStride + row * p.N + col;
  c[at] = v.x;
  c[at + 1u] = v.y;
  c[at + 2u] = v.z;
  c[at + 3u] = v.w;
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let pid = wid.y * p.gridX + wid.x;
  // Uniform over the workgroup: a grid rounded up to two dimensions has a few spare workgroups.
  if (pid >= p.tilesM * p.tilesN) { return; }
  let tile = tileOf(pid);
  let bi = wid.z + p.batch0;
  let row0 = tile.x * BM;
  let col0 = tile.y * BM;
  let tx = li % 16u;
  let ty = li / 16u;
  let kTiles = (p.K + BK - 1u) / BK;

  storeA(0u, fetchA(bi, row0, 0u, li), li);
  storeB(0u, fetchB(bi, col0, 0u, li), li);
  workgroupBarrier();
  // acc[2·i + h]: row i of the thread's 8 (4ty + i, then 64 + 4ty + i - 4), columns half h.
  var acc: array<vec4<f32>, 16>;
  for (var t = 0u; t < kTiles; t++) {
    let cur = (t % 2u) * TILE;
    let more = t + 1u < kTiles;
    var nextA: Fetched;
    var nextB: Fetched;
    if (more) {
      nextA = fetchA(bi, row0, (t + 1u) * BK, li);
      nextB = fetchB(bi, col0, (t + 1u) * BK, li);
    }
    for (var kk = 0u; kk < BK; kk++) {
      let at = cur + kk * V;
      let a0 = As[at + ty];
      let a1 = As[at + 16u + ty];
      let b0 = Bs[at + tx];
      let b1 = Bs[at + 16u + tx];
      for (var i = 0u; i < 4u; i++) {
        acc[2u * i] = fma(vec4<f32>(a0[i]), b0, acc[2u * i]);
        acc[2u * i + 1u] = fma(vec4<f32>(a0[i]), b1, acc[2u * i + 1u]);
        acc[2u * i + 8u] = fma(vec4<f32>(a1[i]), b0, acc[2u * i + 8u]);
        acc[2u * i + 9u] = fma(vec4<f32>(a1[i]), b1, acc[2u * i + 9u]);
      }
    }
    if (more) {
      let other = 1u - t % 2u;
      storeA(other, nextA, li);
      storeB(other, nextB, li);
    }
    workgroupBarrier();
  }

  let col = col0 + tx * 4u;
  var bias0 = vec4<f32>(0.0);
  var bias1 = vec4<f32>(0.0);
  if (p.hasBias == 1u) {
    bias0 = vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]);
    bias1 = vec4<f32>(bias[col + 64u], bias[col + 65u], bias[col + 66u], bias[col + 67u]);
  }
  for (var i = 0u; i < 4u; i++) {
    let top = row0 + ty * 4u + i;
    store4(bi, top, col, acc[2u * i] + bias0);
    store4(bi, top, col + 64u, acc[2u * i + 1u] + bias1);
    store4(bi, top + 64u, col, acc[2u * i + 8u] + bias0);
    store4(bi, top + 64u, col + 64u, acc[2u * i + 9u] + bias1);
  }
}
