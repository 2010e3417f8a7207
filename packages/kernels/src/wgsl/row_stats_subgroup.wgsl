// DESIGN.md §1 row statistics, one subgroup per row (appended to subgroup_slot.wgsl and an io part that
// declares the bindings, loadQuad, groupQuad and logitAt). A workgroup takes ROWS consecutive rows; its
// subgroups take every count-th of them. Each lane walks quads rank, rank+lanes, … of the row (vec4
// loads where the io part has them), keeping the group codes of its first REGS quads in registers
// (they are the same for every row), and the lane partials are merged with subgroup operations: no
// workgroup memory and no barrier per row.
//
// Ties, bit for bit with the CPU twin: a lane meets its columns in increasing order and keeps its lowest
// tied index (strict >, the first member always taken, so a group of only -inf reports its lowest index
// and an empty group keeps -inf / -1). Between lanes the maximum is subgroupMax, the winner the lowest
// index among the lanes holding it (-0 == +0, as in the twin's comparisons), and the reported value the
// winner's own bits, so a -0 at the lowest tied index stays -0.
//
// The log-sum-exps are online (max, sum, sum of squares) triples, as in row_stats.wgsl, so logSqSO and
// logSqU (log Σ p² of the softmax within the group) come at no extra exp.
//
// Output: as row_stats.wgsl, field f of row r at word f·rows + r (ROW_STATS_FIELDS order).

override WG: u32 = 128u;
override ROWS: u32 = 32u;

// Quads per lane whose group codes stay in registers; the rest of a longer row reads them per quad.
const REGS: u32 = 8u;
const NONE: i32 = 0x7fffffff;
// Group code of the columns past a row's end in the scalar io part's last quad: counted nowhere.
const NO_GROUP: u32 = 0xffffffffu;

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn quietNaN() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

struct Acc {
  maxSO: f32,
  argSO: i32,
  maxU: f32,
  argU: i32,
  maxS: f32,
  argS: i32,
  // Neumaier-compensated sums (sum, error): a lane adds hundreds of quads of a long row on a small
  // subgroup
  sumS: vec2<f32>,
  sumU: vec2<f32>,
  // online log-sum-exp (running max, sum of exp(x - max), sum of exp(2(x - max))); sum 0 is empty
  lseSO: vec3<f32>,
  lseU: vec3<f32>,
}

fn emptyAcc() -> Acc {
  let n = negInf();
  return Acc(n, -1, n, -1, n, -1, vec2<f32>(0.0), vec2<f32>(0.0), vec3<f32>(n, 0.0, 0.0), vec3<f32>(n, 0.0, 0.0));
}

// One column: branch-free, one exp. x·invT of -inf adds nothing to a log-sum-exp.
fn addColumn(a: ptr<function, Acc>, x: f32, g: u32, c: i32) {
  let isU = g == 1u;
  let isS = g == 0u;
  let isSO = !isU && g != NO_GROUP;
  let tSO = isSO && ((*a).argSO < 0 || x > (*a).maxSO);
  (*a).maxSO = select((*a).maxSO, x, tSO);
  (*a).argSO = select((*a).argSO, c, tSO);
  let tU = isU && ((*a).argU < 0 || x > (*a).maxU);
  (*a).maxU = select((*a).maxU, x, tU);
  (*a).argU = select((*a).argU, c, tU);
  let tS = isS && ((*a).argS < 0 || x > (*a).maxS);
  (*a).maxS = select((*a).maxS, x, tS);
  (*a).argS = select((*a).argS, c, tS);
  let y = select(negInf(), x * p.invT, isSO || isU);
  let old = select((*a).lseSO, (*a).lseU, isU);
  let up = y > old.x;
  let e = select(exp(select(y - old.x, old.x - y, up)), 0.0, y == negInf());
  let grown = vec3<f32>(y, old.y * e + 1.0, old.z * e * e + 1.0);
  let added = vec3<f32>(old.x, old.y + e, old.z + e * e);
  let lse = select(added, grown, up);
  (*a).lseSO = select(lse, (*a).lseSO, isU);
  (*a).lseU = select((*a).lseU, lse, isU);
}

// sc.x + x with the rounding error added to sc.y (Neumaier); once the sum is ±inf the error stops.
fn addCompensated(sc: vec2<f32>, x: f32) -> vec2<f32> {
  let t = sc.x + x;
  let err = select((x - t) + sc.x, (sc.x - t) + x, abs(sc.x) >= abs(x));
  return vec2<f32>(t, sc.y + select(0.0, err, abs(t) <= 0x1.fffffep+127f));
}

fn addQuad(a: ptr<function, Acc>, v: vec4<f32>, g: vec4<u32>, q: u32) {
  let c = i32(4u * q);
  addColumn(a, v.x, g.x, c);
  addColumn(a, v.y, g.y, c + 1);
  addColumn(a, v.z, g.z, c + 2);
  addColumn(a, v.w, g.w, c + 3);
  let vs = select(vec4<f32>(0.0), v, g == vec4<u32>(0u));
  let vu = select(vec4<f32>(0.0), v, g == vec4<u32>(1u));
  (*a).sumS = addCompensated((*a).sumS, (vs.x + vs.y) + (vs.z + vs.w));
  (*a).sumU = addCompensated((*a).sumU, (vu.x + vu.y) + (vu.z + vu.w));
}

// The subgroup's (max, arg) of one group: lowest index among the lanes at the maximum, its own bits.
fn mergeMax(m: f32, arg: i32) -> vec2<u32> {
  let top = subgroupMax(m);
  let held = arg >= 0 && m == top;
  let win = subgroupMin(select(NONE, arg, held));
  let bits = subgroupMax(select(0u, bitcast<u32>(m), held && arg == win));
  if (win == NONE) { return vec2<u32>(bitcast<u32>(negInf()), bitcast<u32>(-1i)); }
  return vec2<u32>(bits, bitcast<u32>(win));
}

// The subgroup's (log-sum-exp, log Σ p²) from the lanes' triples.
fn mergeLse(t: vec3<f32>) -> vec2<f32> {
  let top = subgroupMax(t.x);
  let f = select(0.0, exp(t.x - top), t.y > 0.0);
  let sum = subgroupAdd(t.y * f);
  let sq = subgroupAdd(t.z * f * f);
  if (sum == 0.0) { return vec2<f32>(negInf()); }
  return vec2<f32>(top + log(sum), log(sq) - 2.0 * log(sum));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let me = claimSubgroupSlot(li);
  let count = workgroupUniformLoad(&subgroupCount);
  let quads = (p.cols + 3u) / 4u;
  var g: array<vec4<u32>, REGS>;
  for (var j = 0u; j < REGS; j++) {
    let q = me.rank + j * me.lanes;
    if (q < quads) { g[j] = groupQuad(q); }
  }
  let first = (wid.y * p.gridX + wid.x) * ROWS;
  // The loop is uniform over the workgroup (count is), so the subgroup operations in it are too; rows
  // past the end are computed on the last row and not stored.
  for (var it = 0u; it < ROWS; it += count) {
    let row = first + it + me.slot;
    let live = it + me.slot < ROWS && row < p.rows;
    let r = min(row, p.rows - 1u);
    var a = emptyAcc();
    for (var j = 0u; j < REGS; j++) {
      let q = me.rank + j * me.lanes;
      if (q < quads) { addQuad(&a, loadQuad(r, q), g[j], q); }
    }
    for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
      addQuad(&a, loadQuad(r, q), groupQuad(q), q);
    }
    let so = mergeMax(a.maxSO, a.argSO);
    let u = mergeMax(a.maxU, a.argU);
    let s = mergeMax(a.maxS, a.argS);
    let sumS = subgroupAdd(a.sumS.x) + subgroupAdd(a.sumS.y);
    let sumU = subgroupAdd(a.sumU.x) + subgroupAdd(a.sumU.y);
    // (log-sum-exp, log Σ p²) of S∪O and of U
    let lseSO = mergeLse(a.lseSO);
    let lseU = mergeLse(a.lseU);
    if (live && me.rank == 0u) {
      var label = quietNaN();
      if (p.hasLabels == 1u) {
        let y = labels[row];
        if (y >= 0 && u32(y) < p.cols) { label = logitAt(row, u32(y)); }
      }
      let n = p.rows;
      outp[row] = so.x;
      outp[n + row] = so.y;
      outp[2u * n + row] = u.x;
      outp[3u * n + row] = u.y;
      outp[4u * n + row] = s.x;
      outp[5u * n + row] = s.y;
      outp[6u * n + row] = bitcast<u32>(label);
      outp[7u * n + row] = bitcast<u32>(sumS);
      outp[8u * n + row] = bitcast<u32>(sumU);
      outp[9u * n + row] = bitcast<u32>(lseSO.x);
      outp[10u * n + row] = bitcast<u32>(lseU.x);
      outp[11u * n + row] = bitcast<u32>(lseSO.y);
      outp[12u * n + row] = bitcast<u32>(lseU.y);
    }
  }
}
