// Prepended to the subgroup kernels. A workgroup's subgroups number themselves without assuming a
// subgroup size, that subgroups are full, or that they are contiguous runs of local_invocation_index:
// the first lane of each subgroup takes a slot from a workgroup counter, and the count is read back
// uniformly after a barrier; lanes rank themselves densely (subgroupExclusiveAdd) and stride by the
// subgroup's own lane count, so a subgroup missing lanes still covers every column. Call
// claimSubgroupSlot() once, from uniform control flow, then read the number of subgroups with
// workgroupUniformLoad(&subgroupCount): it is uniform there, which the slot and ranks are not.

enable subgroups;

var<workgroup> slotCounter: atomic<u32>;
var<workgroup> subgroupCount: u32;

struct SubgroupSlot {
  // This subgroup's number in the workgroup, 0 … subgroupCount − 1.
  slot: u32,
  // This lane's rank in the subgroup, 0 … lanes − 1.
  rank: u32,
  lanes: u32,
}

fn claimSubgroupSlot(li: u32) -> SubgroupSlot {
  var slot = 0u;
  if (subgroupElect()) { slot = atomicAdd(&slotCounter, 1u); }
  slot = subgroupBroadcastFirst(slot);
  workgroupBarrier();
  if (li == 0u) { subgroupCount = atomicLoad(&slotCounter); }
  return SubgroupSlot(slot, subgroupExclusiveAdd(1u), subgroupAdd(1u));
}
