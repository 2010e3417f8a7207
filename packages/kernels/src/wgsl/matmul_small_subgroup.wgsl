// matmul_small_common.wgsl's blocks, one per subgroup (appended to subgroup_slot.wgsl and
// matmul_small_common.wgsl): the lanes split K and subgroupAdd adds their partial sums, so no workgroup
// memory and no barrier per block. A workgroup takes BLOCKS consecutive blocks, its subgroups every
// count-th of them; nothing depends on the subgroup size.

override WG: u32 = 128u;
override BLOCKS: u32 = 32u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let me = claimSubgroupSlot(li);
  let count = workgroupUniformLoad(&subgroupCount);
  let bi = wid.z + p.batch0;
  let blocksPerRow = (p.N + BC - 1u) / BC;
  let total = ((p.M + BR - 1u) / BR) * blocksPerRow;
  let first = (wid.y * p.gridX + wid.x) * BLOCKS;
  // Uniform loop (count is uniform), so subgroupAdd is in uniform control flow; blocks past the end
  // are computed on the last block and not stored.
  for (var it = 0u; it < BLOCKS; it += count) {
    let block = first + it + me.slot;
    let blk = min(block, total - 1u);
    let row0 = (blk / blocksPerRow) * BR;
    let col0 = (blk % blocksPerRow) * BC;
    let acc = blockPartials(bi, row0, col0, me.rank, me.lanes);
    var sums: array<f32, SLOTS>;
    for (var s = 0u; s < SLOTS; s++) { sums[s] = subgroupAdd(acc[s]); }
    if (it + me.slot < BLOCKS && block < total && me.rank == 0u) {
      for (var s = 0u; s < SLOTS; s++) { storeSlot(bi, row0, col0, s, sums[s]); }
    }
  }
}
