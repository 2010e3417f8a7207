// Prepended to the subgroup kernels. A workgroup's subgroups number themselves without assuming a
// subgroup size, that subgroups are full, or that they are contiguous runs of local_invocation_index:
// the first lane of each subgroup takes a slot from a workgroup counter, and the count is read back
// uniformly after a barrier. Call claimSubgroupSlot() once, from uniform control flow, then read the
// count with workgroupUniformLoad(&subgroupCount). The kernels rank their lanes densely with
// subgroupExclusiveAdd(1u) and stride by subgroupAdd(1u), so a subgroup missing lanes still covers every
// column.

enable subgroups;

var<workgroup> slotCounter: atomic<u32>;
var<workgroup> subgroupCount: u32;

fn claimSubgroupSlot(li: u32) -> u32 {
  var slot = 0u;
  if (subgroupElect()) { slot = atomicAdd(&slotCounter, 1u); }
  slot = subgroupBroadcastFirst(slot);
  workgroupBarrier();
  if (li == 0u) { subgroupCount = atomicLoad(&slotCounter); }
  return slot;
}
