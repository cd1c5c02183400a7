#!/usr/bin/env bash
# Every throughput benchmark, in release mode, with the Python references where they exist,
# one after the other (run on a quiet machine; figures are relative to the sgemm rate measured
# in the same run). PYTHON names a venv with torch, transformers, peft, pillow for the references.
#
#   Scripts/bench/run_all.sh [LOG]
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG="${1:-runs/bench/$(date +%Y%m%d-%H%M%S).log}"
mkdir -p "$(dirname "$LOG")"
PYTHON="${PYTHON:-python3}"
swift build -c release --product vlm-bench
{
  echo "== gemm";    .build/release/vlm-bench gemm --trials 3
  echo "== forward"; .build/release/vlm-bench forward --hidden-sizes 1024 2048 --trials 2
  echo "== train";   .build/release/vlm-bench train
  if "$PYTHON" -c "import torch, peft" 2>/dev/null; then
    echo "== pytorch + peft train step"; "$PYTHON" Scripts/bench/train_step_torch.py
    echo "== transformers forward";      "$PYTHON" -u Scripts/bench/bench_forward_torch.py --hidden-sizes 1024 2048 --trials 2
  else
    echo "(no torch/peft in $PYTHON: Python references skipped)"
  fi
} 2>&1 | tee "$LOG"
