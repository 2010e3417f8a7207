// matmul_small_common.wgsl's blocks, one per workgroup: its WG threads split K and a tree reduction in
// workgroup memory adds their partial sums. Appended to matmul_small_common.wgsl.

// WG must be a power of two.
override WG: u32 = 64u;

var<workgroup> partial: array<f32, SLOTS * WG>; // [slot][thread]

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let bi = wid.z + p.batch0;
  let block = wid.y * p.gridX + wid.x;
  let blocksPerRow = (p.N + BC - 1u) / BC;
  let row0 = (block / blocksPerRow) * BR;
  let col0 = (block % blocksPerRow) * BC;
  // Uniform over the workgroup (it depends on the workgroup id only), so no thread skips a barrier.
  if (row0 >= p.M) { return; }
  let t = lid.x;
  let acc = blockPartials(bi, row0, col0, t, WG);
  for (var s = 0u; s < SLOTS; s++) { partial[s * WG + t] = acc[s]; }
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) {
      for (var s = 0u; s < SLOTS; s++) { partial[s * WG + t] += partial[s * WG + t + stride]; }
    }
    workgroupBarrier();
  }
  if (t < SLOTS) { storeSlot(bi, row0, col0, t, partial[t * WG]); }
}
