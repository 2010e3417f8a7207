// In-place exclusive scan of the radix sort's block sums (radix_sort_blocks.wgsl), by one workgroup:
// each thread sums a contiguous segment, the segment sums are scanned in workgroup memory, and each
// thread then rewrites its segment as running offsets. Two reads and one write per value.

struct Params {
  m: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

override WG: u32 = 256u;

var<workgroup> sums: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let seg = (p.m + WG - 1u) / WG;
  let begin = min(t * seg, p.m);
  let end = min(begin + seg, p.m);
  var own = 0u;
  for (var i = begin; i < end; i++) {
    own += counts[i];
  }
  sums[t] = own;
  workgroupBarrier();
  for (var off = 1u; off < WG; off <<= 1u) {
    var add = 0u;
    if (t >= off) { add = sums[t - off]; }
    workgroupBarrier();
    sums[t] += add;
    workgroupBarrier();
  }
  var run = sums[t] - own;
  for (var i = begin; i < end; i++) {
    let c = counts[i];
    counts[i] = run;
    run += c;
  }
}
