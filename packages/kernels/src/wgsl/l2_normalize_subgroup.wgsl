// Divides each row by its L2 norm, one subgroup per row (appended to subgroup_slot.wgsl and an io part
// that declares the bindings, loadQuad and storeQuad). The maths is l2_normalize.wgsl's: the row is
// scaled by the power of two 2^-e that brings its largest |x| into [0.5, 1) (exact, and the f32 sum of
// squares can neither overflow nor underflow), the largest |x| found as the largest u32 of the bits
// without the sign (which also spots Inf/NaN). An all-zero row is written back unchanged; a row with an
// Inf or NaN becomes all NaN. Each lane holds its first REGS quads in registers, so a row of up to
// 4·REGS·(subgroup size) columns is read once; a longer row reads the rest once per pass.

override WG: u32 = 128u;
override ROWS: u32 = 32u;

const REGS: u32 = 8u;

// ldexp takes exponents in (-127, 128]; splitting the shift in two halves covers all of [-128, 125].
fn scaled(v: vec4<f32>, shift: i32) -> vec4<f32> {
  let half = shift / 2;
  return ldexp(ldexp(v, vec4<i32>(half)), vec4<i32>(shift - half));
}

fn maxBits(v: vec4<f32>) -> u32 {
  let b = bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu);
  return max(max(b.x, b.y), max(b.z, b.w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let me = claimSubgroupSlot(li);
  let count = workgroupUniformLoad(&subgroupCount);
  let quads = (p.cols + 3u) / 4u;
  let first = (wid.y * p.gridX + wid.x) * ROWS;
  var nanBits = 0x7fc00000u;
  let nan = bitcast<f32>(nanBits);
  // Uniform loop (count is uniform), so the subgroup operations in it are in uniform control flow;
  // rows past the end are computed on the last row and not stored.
  for (var it = 0u; it < ROWS; it += count) {
    let row = first + it + me.slot;
    let live = it + me.slot < ROWS && row < p.rows;
    let r = min(row, p.rows - 1u);
    var held: array<vec4<f32>, REGS>;
    var m = 0u;
    for (var j = 0u; j < REGS; j++) {
      let q = me.rank + j * me.lanes;
      if (q < quads) {
        held[j] = loadQuad(r, q);
        m = max(m, maxBits(held[j]));
      }
    }
    for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
      m = max(m, maxBits(loadQuad(r, q)));
    }
    let top = subgroupMax(m);
    let shift = 126 - i32(max(top >> 23u, 1u));
    // Four running sums per lane (one per component) keep the f32 rounding of long rows small.
    var sq = vec4<f32>(0.0);
    for (var j = 0u; j < REGS; j++) {
      let q = me.rank + j * me.lanes;
      if (q < quads) {
        let w = scaled(held[j], shift);
        sq = fma(w, w, sq);
      }
    }
    for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
      let w = scaled(loadQuad(r, q), shift);
      sq = fma(w, w, sq);
    }
    let total = subgroupAdd((sq.x + sq.y) + (sq.z + sq.w));
    let norm = sqrt(total);
    if (live) {
      for (var j = 0u; j < REGS; j++) {
        let q = me.rank + j * me.lanes;
        if (q < quads) { storeQuad(row, q, finish(held[j], top, total, shift, norm, nan)); }
      }
      for (var q = me.rank + REGS * me.lanes; q < quads; q += me.lanes) {
        storeQuad(row, q, finish(loadQuad(row, q), top, total, shift, norm, nan));
      }
    }
  }
}

fn finish(v: vec4<f32>, top: u32, total: f32, shift: i32, norm: f32, nan: f32) -> vec4<f32> {
  if (top >= 0x7f800000u) { return vec4<f32>(nan); }
  if (total == 0.0) { return v; }
  return scaled(v, shift) / norm;
}
