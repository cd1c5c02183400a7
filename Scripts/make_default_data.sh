#!/usr/bin/env bash
# Generate the built-in synthetic world (training, held-out and all seven benchmark sets).
#
#   Scripts/make_default_data.sh [OUTPUT_DIR] [extra vlm-data generate flags...]
#
# OUTPUT_DIR defaults to Data/generated/world (ignored by git). SEED (default 0) picks the
# world; the same seed gives byte-identical files. The default sizes take about 60 MB and under a
# minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-Data/generated/world}"
shift $(( $# > 0 ? 1 : 0 ))
SEED="${SEED:-0}"
swift build -c release --product vlm-data
.build/release/vlm-data generate --output "$OUT" --seed "$SEED" --overwrite "$@"
echo "synthetic world (seed $SEED) written to $OUT" >&2
