// Rank of each row's label among the classes by calibrated score s_c = z_c + γ·[c∈U] (DESIGN.md §1.2
// top-k): the number of classes ranked before the label, where ties go to S∪O before U, then to the
// lower index. LANES threads share a row (WG / LANES rows per workgroup); their counts are summed in
// workgroup memory.
//
// Two ranks per row: among all C classes (rankY), and among the classes of the label's own group
// (rankOwn: S, U or O alone), which does not depend on γ and is exact in f32.
//
// Across the groups, a U class c goes before an S∪O class d iff z_c + γ > z_d: the tie rule of the
// top-1 prediction, which the host evaluates in float64 as γ > z_d − z_c. Here z_d − z_c is an f32
// difference, so a comparison closer than a few ulps is not decided in f32: the row's rankY is written
// as -1 and the host recomputes that row in float64 (CPU twin: labelRankRow). γ itself arrives as
// f32(γ) plus the sign of γ − f32(γ), which decides exact ties of an f32 value with γ.
//
// -inf is a legal logit: a U class at -inf never goes before an S∪O class, and an S∪O class at -inf
// goes after any finite U class (the top-1 thresholds' conventions). Labels must be in [0, cols).
//
// Output: 2 × rows i32, rankY of row r at r and rankOwn at rows + r.

struct Params {
  rows: u32,
  cols: u32,
  gamma: f32,
  gammaSign: i32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> groups: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> outp: array<i32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 128u;
override LANES: u32 = 32u;

var<workgroup> wRankY: array<u32, WG>;
var<workgroup> wRankOwn: array<u32, WG>;
var<workgroup> wUndecided: array<u32, WG>;

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// [γ > d] for an f32 value d, exactly: f32(γ) > d, or equal with γ above its f32 rounding.
fn gammaAbove(d: f32) -> u32 {
  if (p.gamma > d || (p.gamma == d && p.gammaSign > 0)) { return 1u; }
  return 0u;
}

// [zU + γ > zSO]: 1 or 0, or 2 when the f32 difference zSO − zU lies too close to γ to decide here.
fn absentFirst(zU: f32, zSO: f32) -> u32 {
  let NEG_INF = negInf();
  if (zU == NEG_INF) { return 0u; }
  if (zSO == NEG_INF) { return 1u; }
  if (zU == zSO) { return gammaAbove(0.0); }
  let d = zSO - zU;
  // One rounding of d and one of γ are each under 2^-23 of the largest magnitude; 2^-20 leaves margin
  // for hardware that is a few ulps off, and 1e-30 for flushed denormals.
  let tol = max(9.5367431640625e-7 * max(max(abs(zU), abs(zSO)), abs(p.gamma)), 1e-30);
  if (abs(d - p.gamma) <= tol) { return 2u; }
  return gammaAbove(d);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let lane = t % LANES;
  let row = (wid.y * p.gridX + wid.x) * (WG / LANES) + t / LANES;
  let inRange = row < p.rows;
  var rankY = 0u;
  var rankOwn = 0u;
  var undecided = 0u;
  if (inRange) {
    let base = row * p.cols;
    let y = u32(labels[row]);
    let zy = z[base + y];
    let gy = groups[y];
    let yAbsent = gy == 1u;
    for (var c = lane; c < p.cols; c += LANES) {
      if (c == y) { continue; }
      let v = z[base + c];
      let g = groups[c];
      let sameSide = (g == 1u) == yAbsent;
      let wins = v > zy || (v == zy && c < y);
      if (g == gy && wins) { rankOwn += 1u; }
      if (sameSide) {
        if (wins) { rankY += 1u; }
      } else {
        // c in U against a label in S∪O goes first iff absentFirst; c in S∪O against a label in U
        // goes first unless the label does.
        let a = select(absentFirst(v, zy), absentFirst(zy, v), yAbsent);
        if (a == 2u) {
          undecided = 1u;
        } else if (yAbsent) {
          rankY += 1u - a;
        } else {
          rankY += a;
        }
      }
    }
  }
  wRankY[t] = rankY;
  wRankOwn[t] = rankOwn;
  wUndecided[t] = undecided;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      wRankY[t] += wRankY[t + stride];
      wRankOwn[t] += wRankOwn[t + stride];
      wUndecided[t] = max(wUndecided[t], wUndecided[t + stride]);
    }
    workgroupBarrier();
  }
  if (!inRange || lane != 0u) { return; }
  outp[row] = select(i32(wRankY[t]), -1, wUndecided[t] != 0u);
  outp[p.rows + row] = i32(wRankOwn[t]);
}
