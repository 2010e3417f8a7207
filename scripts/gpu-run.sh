#!/usr/bin/env bash
# Prepares the one GPU-machine run of the bench (issue 12: the H100/H200 targets) and prints the exact
# `run` tool call that does the whole device check. Run from the project root after
# `bash scripts/setup.sh`:
#   bash scripts/gpu-run.sh            # pack .gpu-kit/, check the bundle on the CPU, print the call
#   bash scripts/gpu-run.sh --verify   # then run that very command here, SwiftShader standing in for the
#                                      # GPU at --quick sizes (PyTorch on its CPU backend where
#                                      # /usr/bin/python3 imports torch), and show what came back
# It packs ../shared/gpu-kit (Node, Vulkan/EGL loaders, Dawn) into .gpu-kit/, bundles the bench into
# .gpu-kit/app/bench.mjs with its Python peers beside it (and tfjs in .gpu-kit/node_modules), and checks
# the bundle under plain node on the CPU. docs/benchmarks.md ("GPU machine") says what the run measures.
set -euo pipefail
cd "$(dirname "$0")/.."

verify=0
[ "${1:-}" = --verify ] && verify=1

[ -d node_modules ] || { echo "gpu-run: run 'bash scripts/setup.sh' first" >&2; exit 1; }
# The team's shared kit: beside the main checkout (../shared), or two up from a worktree, or $GPU_KIT.
kit_src=""
for d in "${GPU_KIT:-}" ../shared/gpu-kit ../../shared/gpu-kit; do
  [ -n "$d" ] && [ -f "$d/pack.sh" ] && { kit_src="$d/pack.sh"; break; }
done
[ -n "$kit_src" ] || { echo "gpu-run: the shared gpu-kit (pack.sh) was not found; set GPU_KIT to its folder" >&2; exit 1; }

bash "$kit_src"
node tools/esbuild.mjs packages/bench/src/main.ts .gpu-kit/app/bench.mjs
# The bundle looks for its peers next to itself (paths.ts: peerScript tries ./NAME.py last).
cp packages/bench/src/peers/numpy_peer.py packages/bench/src/peers/torch_peer.py \
  packages/bench/src/peers/torch_linear_peer.py .gpu-kit/app/
# tfjs is imported by name at run time (peers/tfjs.ts): give it small ESM bundles in the kit.
node scripts/gpu-run-tfjs.mjs
# The command the device runs, kept in the kit so --verify runs the same bytes.
cat >.gpu-kit/device-run.sh <<'EOF'
#!/usr/bin/env bash
# The device check: one bench process, PyTorch first, then a 20-second preflight, then the kernels, the
# nll fit and the GPU half of the curve suite; then a second process for the linear family's fits
# (vector, matrix, dirichlet, affine at 10⁴ and 10⁵×100 and 10⁶×10³, each beside a PyTorch CUDA LBFGS of
# the same objective) into $OUT/linear. Every measurement is written to bench-full.json as it is taken,
# so a run stopped by its time limit keeps what it measured. BENCH_DEVICE and BENCH_SIZE let --verify
# run it on a software adapter at small sizes.
set -uo pipefail
mkdir -p "$OUT/linear"
# torch lives in the image's own environment on the GPU machine; python3 elsewhere.
export PYTHON="${PYTHON:-/opt/torch/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
export FTCAL_CPU_THREADS=16
bench=(node .gpu-kit/app/bench.mjs --device "${BENCH_DEVICE:-gpu}" ${BENCH_SIZE:---reps 3} --gpu-only)
# 330 s, then SIGTERM (the bench writes its report and exits 124), then SIGKILL 15 s later; the linear
# fits get 190 s more: with start-up, the whole run stays well inside the tool's 10 minutes.
timeout -k 15 330 "${bench[@]}" --preflight --only kernels,nll,curve --out "$OUT" 2>&1 | tee "$OUT/log.txt" | tail -60
status=${PIPESTATUS[0]}
echo "device-run: bench exited $status (0 done, 3 preflight failed, 124 stopped by the time limit)"
[ "$status" = 3 ] && exit 3
timeout -k 15 190 "${bench[@]}" --only linear --out "$OUT/linear" 2>&1 | tee "$OUT/linear/log.txt" | tail -40
linear=${PIPESTATUS[0]}
echo "device-run: the linear bench exited $linear (0 done, 124 stopped by the time limit)"
[ "$status" = 0 ] && status=$linear
exit "$status"
EOF
chmod +x .gpu-kit/device-run.sh

echo "gpu-run: checking the bundle under plain node (--device cpu --quick)" >&2
check_out=$(mktemp -d)
node .gpu-kit/app/bench.mjs --device cpu --quick --only kernels --no-peers --out "$check_out" >/dev/null 2>"$check_out/log" || {
  tail -20 "$check_out/log" >&2
  echo "gpu-run: the bundle failed on the CPU; not ready" >&2
  exit 1
}
[ -s "$check_out/bench-quick.json" ] || { echo "gpu-run: the bundle wrote no result document" >&2; exit 1; }
rm -rf "$check_out"

kit_bytes=$(du -sb .gpu-kit | cut -f1)
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
echo "gpu-run: .gpu-kit is $((kit_bytes / 1048576)) MiB, the rest of the tree $((tree_bytes / 1048576)) MiB (limit 64 MiB for carried paths)" >&2
if [ "$kit_bytes" -ge $((64 * 1048576)) ]; then
  echo "gpu-run: .gpu-kit is over the 64 MiB carry limit" >&2
  exit 1
fi

# OUT is passed on explicitly: the inner shell reads it, and the device tool may not export it.
command='OUT=$OUT bash .gpu-kit/run.sh bash .gpu-kit/device-run.sh'

if [ "$verify" = 1 ]; then
  out=$(mktemp -d)
  echo "gpu-run: --verify: the device command here, SwiftShader for the GPU, --quick sizes, results in $out" >&2
  # run.sh unpacks the kit's loader libraries (the same Debian packages this machine has) and points
  # Vulkan at an NVIDIA driver only where one is installed; SwiftShader is found by core itself.
  torch_cpu=()
  /usr/bin/python3 -c 'import torch' 2>/dev/null && torch_cpu=(PYTHON=/usr/bin/python3 FTCAL_TORCH_DEVICE=cpu)
  set +e
  env "${torch_cpu[@]}" OUT="$out" EGL_PLATFORM=surfaceless BENCH_DEVICE=gpu:swiftshader BENCH_SIZE='--quick --reps 1' \
    bash .gpu-kit/run.sh bash .gpu-kit/device-run.sh
  status=$?
  set -e
  ls -l "$out"
  exit "$status"
fi

cat <<EOF

Ready. Make this one call of the device tool (under 10 minutes with start-up; the results come back
under files_at: bench-full.json, benchmarks.md and log.txt, and the linear family's under linear/):

  run(
    command: "${command}",
    carry: [".gpu-kit"],
    timeout_s: 590
  )

Then render the tables with:
  node packages/bench/dist/bench.mjs --render <files_at>/bench-full.json --docs /tmp/gpu.md
EOF
