#!/usr/bin/env bash
# Images/s of decode + CLIP preprocessing (LLaVA-1.5's pipeline) here and in PIL + transformers'
# CLIPImageProcessorPil, on the same COCO-sized JPEGs, in one run.
# Usage: Scripts/bench_imaging.sh [COUNT]   (PYTHON=/path/to/python to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-/work/pyenv/bin/python}"
COUNT="${1:-32}"
FOLDER="$(mktemp -d)"
trap 'rm -rf "$FOLDER"' EXIT
"$PYTHON" Scripts/bench_imaging_pil.py make "$FOLDER" --count "$COUNT"
swift build -c release --product vlm-bench >/dev/null
BENCH="$(swift build -c release --show-bin-path)/vlm-bench"
for aspect in pad original; do
    "$BENCH" imaging --images "$FOLDER" --image-aspect-ratio "$aspect"
    VLM_NUM_THREADS=1 "$BENCH" imaging --images "$FOLDER" --image-aspect-ratio "$aspect"
    OMP_NUM_THREADS=1 "$PYTHON" Scripts/bench_imaging_pil.py run "$FOLDER" --image-aspect-ratio "$aspect"
done
