// Stage 1 of the calibration gradient pass without subgroups (appended to nll_grad_common.wgsl).
// LANES threads share a row, WG / LANES rows at a time; a workgroup takes p.rowsPerGroup consecutive
// rows. Lanes merge their summaries through workgroup memory in a tree (none with LANES = 1, the
// variant for short rows); the row's first lane adds its terms to its running sums.

override WG: u32 = 64u;
override LANES: u32 = 8u;
// 2·WG: bank 0 of thread t at t, bank 1 at WG + t. (Workgroup array sizes take an override, not an
// expression of one.)
override SLOTS: u32 = 128u;

var<workgroup> scratch: array<Bank, SLOTS>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let lane = t % LANES;
  let slot = t / LANES;
  let slots = WG / LANES;
  let wg = wid.y * p.gridX + wid.x;
  let first = wg * p.rowsPerGroup;
  let bias0 = cand[0];
  let bias1 = cand[1];
  let invT0 = cand[2];
  let invT1 = cand[3];
  var acc0 = zeroBank();
  var acc1 = zeroBank();
  for (var it = 0u; it < p.rowsPerGroup; it += slots) {
    let row = first + it + slot;
    let live = it + slot < p.rowsPerGroup && row < p.rows;
    var b0 = emptyBank();
    var b1 = emptyBank();
    if (live) {
      let base = row * p.cols;
      for (var c = lane; c < p.cols; c += LANES) {
        let v = vec4<f32>(z[base + c]);
        let isU = groups[c] == 1u;
        let u = select(0.0, 1.0, isU);
        b0 = addColumn(b0, (v + select(vec4<f32>(0.0), bias0, isU)) * invT0, u);
        if (K > 4u) { b1 = addColumn(b1, (v + select(vec4<f32>(0.0), bias1, isU)) * invT1, u); }
      }
    }
    if (LANES > 1u) {
      scratch[t] = b0;
      scratch[WG + t] = b1;
      workgroupBarrier();
      for (var stride = LANES / 2u; stride > 0u; stride >>= 1u) {
        if (lane < stride) {
          scratch[t] = mergeBanks(scratch[t], scratch[t + stride]);
          if (K > 4u) { scratch[WG + t] = mergeBanks(scratch[WG + t], scratch[WG + t + stride]); }
        }
        workgroupBarrier();
      }
      b0 = scratch[t];
      b1 = scratch[WG + t];
      // The next rows' summaries overwrite these slots.
      workgroupBarrier();
    }
    if (live && lane == 0u) {
      let yU = labelInU(row);
      acc0 = sumBanks(acc0, rowTerms(b0, labelScores(row, bias0, invT0), yU, invT0));
      if (K > 4u) { acc1 = sumBanks(acc1, rowTerms(b1, labelScores(row, bias1, invT1), yU, invT1)); }
    }
  }

  scratch[t] = acc0;
  scratch[WG + t] = acc1;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      scratch[t] = sumBanks(scratch[t], scratch[t + stride]);
      if (K > 4u) { scratch[WG + t] = sumBanks(scratch[WG + t], scratch[WG + t + stride]); }
    }
    workgroupBarrier();
  }
  if (t < K) { writePartial(wg, t, scratch[0], scratch[WG]); }
}
