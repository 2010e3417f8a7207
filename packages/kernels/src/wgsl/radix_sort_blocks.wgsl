// The radix sort's exclusive scan of its m tile counts over many workgroups (reduce, scan, down-sweep):
// `reduce` sums each block of WG·PER counts into sums[block]; radix_sort_scan.wgsl scans the sums in
// one workgroup (a few thousand at most); `downsweep` rescans each block in place from its scanned sum.
// Every count is read twice and written once, whatever m is.

struct Params {
  m: u32,
  blocks: u32,
  gridX: u32,
  _pad0: u32,
}

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;
@group(0) @binding(1) var<storage, read_write> sums: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// WG must be a power of two.
override WG: u32 = 256u;

const PER: u32 = 4u;

var<workgroup> part: array<u32, WG>;

// This thread's PER consecutive counts of `block` (0 past m).
fn load(block: u32, t: u32) -> vec4<u32> {
  let at = (block * WG + t) * PER;
  var v = vec4<u32>(0u);
  for (var j = 0u; j < PER; j++) {
    if (at + j < p.m) { v[j] = counts[at + j]; }
  }
  return v;
}

@compute @workgroup_size(WG)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let block = wid.y * p.gridX + wid.x;
  if (block >= p.blocks) { return; }
  let t = lid.x;
  let v = load(block, t);
  part[t] = (v.x + v.y) + (v.z + v.w);
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (t < stride) { part[t] += part[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) { sums[block] = part[0]; }
}

@compute @workgroup_size(WG)
fn downsweep(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let block = wid.y * p.gridX + wid.x;
  if (block >= p.blocks) { return; }
  let t = lid.x;
  let v = load(block, t);
  let own = (v.x + v.y) + (v.z + v.w);
  part[t] = own;
  workgroupBarrier();
  // Inclusive scan of the thread totals (Hillis–Steele), then each thread's exclusive start.
  for (var off = 1u; off < WG; off <<= 1u) {
    var add = 0u;
    if (t >= off) { add = part[t - off]; }
    workgroupBarrier();
    part[t] += add;
    workgroupBarrier();
  }
  var run = sums[block] + part[t] - own;
  let at = (block * WG + t) * PER;
  for (var j = 0u; j < PER; j++) {
    if (at + j < p.m) { counts[at + j] = run; }
    run += v[j];
  }
}
