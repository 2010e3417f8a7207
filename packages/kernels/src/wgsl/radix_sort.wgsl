// One pass of a stable LSD radix sort on 4-bit digits. A tile is WG*ITEMS consecutive keys, ITEMS per
// thread. `histogram` counts each thread's digits, scans them over the tile's threads, and stores each
// thread's exclusive per-digit prefix (`prefix`) and the tile's totals (counts[d*numTiles + tile]);
// the scan kernel turns the totals, digit-major and tile-minor, into global start offsets; `scatter`
// moves each key and its value to offset + prefix + its rank among the thread's earlier equal digits.
// So every key lands after all equal keys of lower index: the pass is stable. The scatter re-reads
// nothing it can be handed and has no barrier, which matters on llvmpipe, where every divergent
// memory access is a per-lane loop and every barrier a coroutine switch.
// Keys are f32 bits read as u32 and mapped to a u32 whose unsigned order is the float total order
// (-inf < finite, -0 < +0 < +inf < NaN); every NaN maps to 0xffffffff so all NaNs tie and stay in
// input order. The first pass applies that map and sets value = index; the last pass recomputes the
// mapped key from the original bits through the value and writes the original bits, so the sorted
// keys are an exact bitwise permutation of the input (NaN payloads and -0 included).

struct Params {
  n: u32,
  shift: u32,
  mode: u32,
  numTiles: u32,
  gridX: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<storage, read> keysIn: array<u32>;
@group(0) @binding(1) var<storage, read> valsIn: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> prefix: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valsOut: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

override WG: u32 = 128u;
override ITEMS: u32 = 32u;

const MODE_FIRST: u32 = 0u;
const MODE_LAST: u32 = 2u;

// Per-thread digit counts, two 16-bit counters per u32 (digit d in lane d/2, half d%2), as
// cnt[thread*8 + lane]. A tile holds at most WG*ITEMS < 65536 keys, so no counter, even after the
// scan over the tile's threads, carries into its neighbour. In registers the 8 lanes are two vec4s.
var<workgroup> cnt: array<u32, 8u * WG>;
var<workgroup> totals: array<u32, 8>;

fn sortable(bits: u32) -> u32 {
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; }
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

fn valueAt(i: u32) -> u32 {
  if (p.mode == MODE_FIRST) { return i; }
  return valsIn[i];
}

fn keyAt(i: u32, value: u32) -> u32 {
  if (p.mode == MODE_FIRST) { return sortable(keysIn[i]); }
  if (p.mode == MODE_LAST) { return sortable(keysIn[value]); }
  return keysIn[i];
}

fn unitLo(d: u32) -> vec4<u32> {
  let inc = 1u << ((d & 1u) * 16u);
  let lane = (d >> 1u) & 3u;
  let hit = vec4<u32>(lane) == vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<u32>(0u), vec4<u32>(inc), hit & vec4<bool>(d < 8u));
}

fn unitHi(d: u32) -> vec4<u32> {
  let inc = 1u << ((d & 1u) * 16u);
  let lane = (d >> 1u) & 3u;
  let hit = vec4<u32>(lane) == vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<u32>(0u), vec4<u32>(inc), hit & vec4<bool>(d >= 8u));
}

fn field(l: vec4<u32>, h: vec4<u32>, d: u32) -> u32 {
  let v = select(l, h, d >= 8u)[(d >> 1u) & 3u];
  return (v >> ((d & 1u) * 16u)) & 0xffffu;
}

fn digitOf(key: u32) -> u32 {
  return (key >> p.shift) & 15u;
}

// Exclusive scan of cnt over the tile's threads, in place, with the tile totals in `totals`. Eight
// threads each walk one lane serially: two barriers in all, where a log-step scan needs two per step
// (on llvmpipe each step's divergent workgroup-memory accesses cost more than the whole serial walk).
fn scanTile(t: u32, l: vec4<u32>, h: vec4<u32>) {
  let at = t * 8u;
  cnt[at] = l.x;
  cnt[at + 1u] = l.y;
  cnt[at + 2u] = l.z;
  cnt[at + 3u] = l.w;
  cnt[at + 4u] = h.x;
  cnt[at + 5u] = h.y;
  cnt[at + 6u] = h.z;
  cnt[at + 7u] = h.w;
  workgroupBarrier();
  if (t < 8u) {
    var run = 0u;
    for (var s = 0u; s < WG; s++) {
      let v = cnt[s * 8u + t];
      cnt[s * 8u + t] = run;
      run += v;
    }
    totals[t] = run;
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = wid.y * p.gridX + wid.x;
  if (tile >= p.numTiles) { return; }
  let t = lid.x;
  let start = tile * WG * ITEMS + t * ITEMS;
  var l = vec4<u32>(0u);
  var h = vec4<u32>(0u);
  for (var j = 0u; j < ITEMS; j++) {
    let i = start + j;
    if (i >= p.n) { break; }
    let d = digitOf(keyAt(i, valueAt(i)));
    l += unitLo(d);
    h += unitHi(d);
  }
  scanTile(t, l, h);
  let thread = tile * WG + t;
  let at = t * 8u;
  prefix[2u * thread] = vec4<u32>(cnt[at], cnt[at + 1u], cnt[at + 2u], cnt[at + 3u]);
  prefix[2u * thread + 1u] = vec4<u32>(cnt[at + 4u], cnt[at + 5u], cnt[at + 6u], cnt[at + 7u]);
  if (t < 16u) {
    counts[t * p.numTiles + tile] = (totals[t >> 1u] >> ((t & 1u) * 16u)) & 0xffffu;
  }
}

@compute @workgroup_size(WG)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = wid.y * p.gridX + wid.x;
  if (tile >= p.numTiles) { return; }
  let t = lid.x;
  let start = tile * WG * ITEMS + t * ITEMS;
  let thread = tile * WG + t;
  var rl = prefix[2u * thread];
  var rh = prefix[2u * thread + 1u];
  for (var j = 0u; j < ITEMS; j++) {
    let i = start + j;
    if (i >= p.n) { break; }
    let value = valueAt(i);
    var key: u32;
    var raw: u32;
    if (p.mode == MODE_FIRST) {
      raw = keysIn[i];
      key = sortable(raw);
    } else if (p.mode == MODE_LAST) {
      raw = keysIn[value];
      key = sortable(raw);
    } else {
      key = keysIn[i];
      raw = key;
    }
    let d = digitOf(key);
    let dst = counts[d * p.numTiles + tile] + field(rl, rh, d);
    rl += unitLo(d);
    rh += unitHi(d);
    keysOut[dst] = select(key, raw, p.mode == MODE_LAST);
    valsOut[dst] = value;
  }
}
