#!/usr/bin/env bash
# The main job on a fresh machine: install what ftcal needs (scripts/setup.sh), build the CLI and run the
# embedded demo (MNIST: pre-train, fine-tune on five digits, calibrate). Extra arguments go to
# `ftcal demo`, e.g. `bash scripts/demo.sh --device gpu --out /tmp/demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm demo "$@"
