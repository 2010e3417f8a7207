// One pass of a stable LSD radix sort on 8-bit digits. A tile is WG·ITEMS consecutive keys.
// `histogram` counts each tile's digits (counts[d·numTiles + tile], digit-major); the scan kernels
// turn the counts into global start offsets; `scatter` sorts its tile by digit in workgroup memory (a
// local shuffle: two stable counting sorts on the digit's low and high 4 bits), then writes it out in
// that order, so keys of one digit go to consecutive addresses (coalesced), each at its digit's offset
// for this tile plus its rank in the tile. Equal digits keep their input order at every step, so the
// pass is stable.
//
// Keys are f32 bits mapped to a u32 whose unsigned order is the float total order (-inf < finite,
// -0 < +0 < +inf < NaN); every NaN maps to 0xffffffff, so all NaNs tie and stay in input order. The
// first pass reads the original bits and sets value = index; the last pass writes the original bits
// back (the map is inverted; a NaN's bits are re-read from `original` through its value), so the sorted
// keys are an exact bitwise permutation of the input, NaN payloads and -0 included.

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

@group(0) @binding(0) var<storage, read> original: array<u32>;
@group(0) @binding(1) var<storage, read> keysIn: array<u32>;
@group(0) @binding(2) var<storage, read> valsIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valsOut: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

override WG: u32 = 128u;

// Keys per thread. A tile stays below 65536 keys: a key's index in its tile is packed in 16 bits.
const ITEMS: u32 = 16u;
const RADIX: u32 = 256u;
const MODE_FIRST: u32 = 0u;
const MODE_LAST: u32 = 2u;
// Packed tile entry: digit << 16 | index in the tile. Entries past the input's end get digit 0xff and
// sort after every real key of the tile (they come last and the sort is stable), so they are never
// written.
const PAST_END: u32 = 0xff0000u;

var<workgroup> hist: array<atomic<u32>, RADIX>;
// The tile's packed entries, one padding word per 32 so that a thread's run of ITEMS consecutive
// entries falls in distinct banks.
var<workgroup> entries: array<u32, WG * ITEMS + WG * ITEMS / 32u>;
// Per-thread 4-bit digit counts, two 16-bit counters per u32 (digit d in word d/2, half d%2), as
// cnt[thread*8 + word]; a tile holds fewer than 65536 keys, so no counter carries into its neighbour.
var<workgroup> cnt: array<u32, 8u * WG>;
var<workgroup> totals: array<u32, 8>;
var<workgroup> starts: array<u32, RADIX>;

fn sortable(bits: u32) -> u32 {
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; }
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

// The mapped key of input position i: the first pass maps the original bits, later ones read mapped keys.
fn keyAt(i: u32) -> u32 {
  if (p.mode == MODE_FIRST) { return sortable(keysIn[i]); }
  return keysIn[i];
}

fn digitOf(key: u32) -> u32 {
  return (key >> p.shift) & 0xffu;
}

fn pad(i: u32) -> u32 {
  return i + (i >> 5u);
}

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = wid.y * p.gridX + wid.x;
  if (tile >= p.numTiles) { return; }
  let t = lid.x;
  let start = tile * WG * ITEMS;
  for (var j = 0u; j < ITEMS; j++) {
    let i = start + j * WG + t;
    if (i < p.n) { atomicAdd(&hist[digitOf(keyAt(i))], 1u); }
  }
  workgroupBarrier();
  for (var d = t; d < RADIX; d += WG) {
    counts[d * p.numTiles + tile] = atomicLoad(&hist[d]);
  }
}

// The 16 four-bit counters as two vec4s of packed pairs: +1 at digit d.
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

// Stable counting sort of the tile's entries on the 4 bits at `bit`, in place. Thread t owns entries
// t·ITEMS … t·ITEMS + ITEMS − 1 (their input order is thread-major), counts its digits, and the counts
// are scanned over the threads by eight threads walking one counter word each: two barriers, where a
// log-step scan needs two per step (on llvmpipe each step costs more than the whole serial walk).
fn split(t: u32, bit: u32) {
  var mine: array<u32, ITEMS>;
  var l = vec4<u32>(0u);
  var h = vec4<u32>(0u);
  for (var j = 0u; j < ITEMS; j++) {
    let e = entries[pad(t * ITEMS + j)];
    mine[j] = e;
    let d = (e >> bit) & 15u;
    l += unitLo(d);
    h += unitHi(d);
  }
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
  // Where each digit starts in the sorted tile (exclusive sum of the totals), packed like the counters,
  // added to this thread's exclusive prefix: every packed field stays below 65536.
  var baseL = vec4<u32>(0u);
  var baseH = vec4<u32>(0u);
  var run = 0u;
  for (var d = 0u; d < 16u; d++) {
    let total = (totals[d >> 1u] >> ((d & 1u) * 16u)) & 0xffffu;
    baseL += unitLo(d) * run;
    baseH += unitHi(d) * run;
    run += total;
  }
  var rl = baseL + vec4<u32>(cnt[at], cnt[at + 1u], cnt[at + 2u], cnt[at + 3u]);
  var rh = baseH + vec4<u32>(cnt[at + 4u], cnt[at + 5u], cnt[at + 6u], cnt[at + 7u]);
  for (var j = 0u; j < ITEMS; j++) {
    let d = (mine[j] >> bit) & 15u;
    entries[pad(field(rl, rh, d))] = mine[j];
    rl += unitLo(d);
    rh += unitHi(d);
  }
  workgroupBarrier();
}

// The original bits of a mapped key: the map inverted, or for a NaN (all NaNs map to 0xffffffff) the
// input's own bits, so that the payload survives.
fn originalBits(key: u32, value: u32) -> u32 {
  if (key == 0xffffffffu) { return original[value]; }
  if ((key & 0x80000000u) != 0u) { return key & 0x7fffffffu; }
  return ~key;
}

@compute @workgroup_size(WG)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = wid.y * p.gridX + wid.x;
  if (tile >= p.numTiles) { return; }
  let t = lid.x;
  let size = WG * ITEMS;
  let start = tile * size;
  let here = min(size, p.n - start);
  // Coalesced loads: thread t takes keys t, t + WG, …
  for (var j = 0u; j < ITEMS; j++) {
    let q = j * WG + t;
    var e = PAST_END | q;
    if (q < here) { e = (digitOf(keyAt(start + q)) << 16u) | q; }
    entries[pad(q)] = e;
  }
  workgroupBarrier();
  split(t, 16u);
  split(t, 20u);
  for (var j = 0u; j < ITEMS; j++) {
    let q = j * WG + t;
    let d = entries[pad(q)] >> 16u;
    if (q < here && (q == 0u || (entries[pad(q - 1u)] >> 16u) != d)) { starts[d] = q; }
  }
  workgroupBarrier();
  for (var j = 0u; j < ITEMS; j++) {
    let q = j * WG + t;
    if (q >= here) { break; }
    let e = entries[pad(q)];
    let d = e >> 16u;
    let i = start + (e & 0xffffu);
    let key = keyAt(i);
    var value = i;
    if (p.mode != MODE_FIRST) { value = valsIn[i]; }
    let dst = counts[d * p.numTiles + tile] + q - starts[d];
    keysOut[dst] = select(key, originalBits(key, value), p.mode == MODE_LAST);
    valsOut[dst] = value;
  }
}
