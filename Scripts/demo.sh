#!/usr/bin/env bash
# The main job this checkout can do end to end: set up, build in release mode, measure the
# tensor core against OpenBLAS, and inspect a checkpoint. Later milestones replace this with
# the MiLoRA training demo on the built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
echo "== sgemm wrapper vs direct cblas_sgemm, and bf16 -> f32 bandwidth"
swift run -c release vlm-bench gemm --trials 3
echo "== a sharded safetensors checkpoint"
swift run -c release vlm-inspect safetensors Tests/Fixtures/safetensors/sharded
