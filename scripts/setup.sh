#!/usr/bin/env bash
# Installs everything ftcal's build, demo and tests need on a Debian machine: system libraries for
# WebGPU without a GPU (Mesa llvmpipe through EGL for Dawn's OpenGL ES backend), Chromium (the report
# and browser tests, and SwiftShader: the CPU Vulkan driver it ships, which Dawn's Vulkan backend runs
# on), Dask for the distributed map/reduce test (examples/dask), pnpm, and the workspace's packages. Safe
# to run again; skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(mesa-vulkan-drivers libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri libegl-dev chromium
  python3-dask python3-distributed)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# SwiftShader, the second adapter every GPU test runs on (DEVELOPERS.md), comes with Debian's chromium.
icd=/usr/lib/chromium/vk_swiftshader_icd.json
[ -e "$icd" ] || [ -n "${FTCAL_SWIFTSHADER_ICD:-}" ] ||
  echo "setup: warning: $icd is missing (set FTCAL_SWIFTSHADER_ICD); GPU tests on SwiftShader will skip or fail" >&2

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "setup: installing pnpm 12.4.2" >&2
  npm install -g pnpm@12.4.2 >/dev/null
fi
pnpm install --frozen-lockfile
