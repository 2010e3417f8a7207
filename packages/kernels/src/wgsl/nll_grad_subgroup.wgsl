// Stage 1 of the calibration gradient pass with subgroups (subgroup_slot.wgsl, then nll_grad_common.wgsl,
// then this): one subgroup per row, whatever its size (4 on SwiftShader, 32 on NVIDIA, 32 or 64 on AMD)
// and however the device forms subgroups. A workgroup takes p.rowsPerGroup consecutive rows and its
// subgroups every count-th of them. Lanes stride the row's columns; the subgroup merges their summaries
// with subgroupMax (the common max) and subgroupAdd (the rescaled sums), without barriers, and its first
// lane adds the row's terms. At the end subgroupAdd and one slot per subgroup in workgroup memory sum
// the workgroup's rows.

override WG: u32 = 128u;
// 2·WG/4: two banks for each subgroup a workgroup can have (subgroups hold at least 4 lanes).
override SLOTS: u32 = 64u;

var<workgroup> slotSums: array<Bank, SLOTS>;

// One bank's summary over the whole subgroup, in every lane: each lane's sums are rescaled to the
// subgroup's max and re-centred on it (one exp per lane), then added; lanes with no weight add 0.
fn subgroupBank(b: Bank) -> Bank {
  let m = subgroupMax(b.m);
  let d = b.m - m;
  let e = exp(d);
  let keep = e > vec4<f32>(0.0);
  let o = vec4<f32>(0.0);
  let s1 = b.s1 + (b.wU + b.wSO) * d;
  return Bank(
    m,
    subgroupAdd(select(o, e * b.wU, keep)),
    subgroupAdd(select(o, e * b.wSO, keep)),
    subgroupAdd(select(o, e * s1, keep)),
    subgroupAdd(select(o, e * (b.s2 + d * (b.s1 + s1)), keep)),
    subgroupAdd(select(o, e * (b.su1 + b.wU * d), keep)),
  );
}

fn subgroupSum(b: Bank) -> Bank {
  return Bank(subgroupAdd(b.m), subgroupAdd(b.wU), subgroupAdd(b.wSO), subgroupAdd(b.s1), subgroupAdd(b.s2), subgroupAdd(b.su1));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let me = claimSubgroupSlot(li);
  let slot = me.slot;
  let rank = me.rank;
  let lanes = me.lanes;
  let count = workgroupUniformLoad(&subgroupCount);
  let wg = wid.y * p.gridX + wid.x;
  let first = wg * p.rowsPerGroup;
  let bias0 = cand[0];
  let bias1 = cand[1];
  let invT0 = cand[2];
  let invT1 = cand[3];
  var acc0 = zeroBank();
  var acc1 = zeroBank();
  // A uniform loop (count is uniform), so the subgroup operations in it are in uniform control flow.
  for (var it = 0u; it < p.rowsPerGroup; it += count) {
    let row = first + it + slot;
    let live = it + slot < p.rowsPerGroup && row < p.rows;
    var b0 = emptyBank();
    var b1 = emptyBank();
    if (live) {
      let base = row * p.cols;
      for (var c = rank; c < p.cols; c += lanes) {
        let v = vec4<f32>(z[base + c]);
        let isU = groups[c] == 1u;
        let u = select(0.0, 1.0, isU);
        b0 = addColumn(b0, (v + select(vec4<f32>(0.0), bias0, isU)) * invT0, u);
        if (K > 4u) { b1 = addColumn(b1, (v + select(vec4<f32>(0.0), bias1, isU)) * invT1, u); }
      }
    }
    b0 = subgroupBank(b0);
    if (K > 4u) { b1 = subgroupBank(b1); }
    if (live && rank == 0u) {
      let yU = labelInU(row);
      acc0 = sumBanks(acc0, rowTerms(b0, labelScores(row, bias0, invT0), yU, invT0));
      if (K > 4u) { acc1 = sumBanks(acc1, rowTerms(b1, labelScores(row, bias1, invT1), yU, invT1)); }
    }
  }

  acc0 = subgroupSum(acc0);
  if (K > 4u) { acc1 = subgroupSum(acc1); }
  if (subgroupElect()) {
    slotSums[2u * slot] = acc0;
    slotSums[2u * slot + 1u] = acc1;
  }
  workgroupBarrier();
  if (li < K) {
    var t0 = slotSums[0];
    var t1 = slotSums[1];
    for (var s = 1u; s < count; s++) {
      t0 = sumBanks(t0, slotSums[2u * s]);
      t1 = sumBanks(t1, slotSums[2u * s + 1u]);
    }
    writePartial(wg, li, t0, t1);
  }
}
