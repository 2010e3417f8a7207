// Column sums out[c] (+)= Σ_r x[r, c] (the bias gradient): one workgroup per column, its threads stride
// over the rows and tree-sum in workgroup memory. accumulate == 1 adds to out, so a matrix split over
// several dispatches (binding-size chunks) sums into one result.

struct Params {
  rows: u32,
  cols: u32,
  accumulate: u32,
  gridX: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> outp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 64u;

var<workgroup> acc: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wid.y * p.gridX + wid.x;
  if (col >= p.cols) { return; }
  var s = 0.0;
  for (var r = lid.x; r < p.rows; r += WG) { s += x[r * p.cols + col]; }
  acc[lid.x] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { acc[lid.x] += acc[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    outp[col] = select(0.0, outp[col], p.accumulate == 1u) + acc[0];
  }
}
