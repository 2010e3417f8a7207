// Row softmax / log-softmax of s_c = (z_c + gamma*[c in U]) * invT, one subgroup per row (appended to
// subgroup_slot.wgsl and an io part that declares the bindings, loadQuad, groupQuad and storeQuad). A
// workgroup takes ROWS consecutive rows, its subgroups every count-th of them. Each lane reads quads
// rank, rank+lanes, … of the row once into registers (its first REGS quads; a longer row reads the
// rest again for the output), keeps an online (max, sum) over them, and the subgroup merges the lanes'
// pairs with subgroupMax / subgroupAdd. -inf entries add exp(-inf) = 0; a row of only -inf gives NaN,
// like log(0) - log(0), as the CPU twin does.

override WG: u32 = 128u;
override ROWS: u32 = 32u;

// Quads per lane held in registers: a row of up to 4·REGS·(subgroup size) columns is read once.
const REGS: u32 = 8u;

fn negInf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn quietNaN() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// γ for the absent-class columns of a quad, 0 elsewhere.
fn biasOf(g: vec4<u32>) -> vec4<f32> {
  return select(vec4<f32>(0.0), vec4<f32>(p.gamma), g == vec4<u32>(1u));
}

// Adds a quad of scaled scores to an online (max, sum of exp(s - max)); sum 0 is empty.
fn addQuad(ms: vec2<f32>, v: vec4<f32>) -> vec2<f32> {
  let top = max(max(v.x, v.y), max(v.z, v.w));
  if (top == negInf()) { return ms; }
  let m = max(ms.x, top);
  let e = exp(v - vec4<f32>(m));
  return vec2<f32>(m, ms.y * exp(ms.x - m) + (e.x + e.y) + (e.z + e.w));
}

// A row of only -inf (sum 0) is NaN, written explicitly: WGSL lets an implementation assume no
// infinities, so -inf - -inf need not give one (SwiftShader's does not).
fn outQuad(v: vec4<f32>, m: f32, sum: f32, lse: f32) -> vec4<f32> {
  if (sum == 0.0) { return vec4<f32>(quietNaN()); }
  if (p.logOut == 1u) { return v - vec4<f32>(lse); }
  return exp(v - vec4<f32>(m)) / sum;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let me = claimSubgroupSlot(li);
  let count = workgroupUniformLoad(&subgroupCount);
  let quads = (p.cols + 3u) / 4u;
  var bias: array<vec4<f32>, REGS>;
  for (var j = 0u; j < REGS; j++) {
    let q = me.rank + j * me.lanes;
    if (q < quads) { bias[j] = biasOf(groupQuad(q)); }
  }
  let first = (wid.y * p.gridX + wid.x) * ROWS;
  // Uniform loop (count is uniform), so the subgroup operations in it are in uniform control flow;
  // rows past the end are computed on the last row and not stored.
  for (var it = 0u; it < ROWS; it += count) {
    let row = first + it + me.slot;
    let live = it + me.slot < ROWS && row < p.rows;
    let r = min(row, p.rows - 1u);
    var held: array<vec4<f32>, REGS>;
    var ms = vec2<f32>(negInf(), 0.0);
    for (var j = 0u; j < REGS; j++) {
      let q = me.rank + j * me.lanes;
      if (q < quads) {
        held[j] = (loadQuad(r, q) + bias[j]) * p.invT;
        ms = addQuad(ms, held[j]);
      }
    }
    for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
      ms = addQuad(ms, (loadQuad(r, q) + biasOf(groupQuad(q))) * p.invT);
    }
    let m = subgroupMax(ms.x);
    let sum = subgroupAdd(select(0.0, ms.y * exp(ms.x - m), ms.y > 0.0));
    let lse = m + log(sum);
    if (live) {
      for (var j = 0u; j < REGS; j++) {
        let q = me.rank + j * me.lanes;
        if (q < quads) { storeQuad(row, q, outQuad(held[j], m, sum, lse)); }
      }
      for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
        storeQuad(row, q, outQuad((loadQuad(row, q) + biasOf(groupQuad(q))) * p.invT, m, sum, lse));
      }
    }
  }
}
