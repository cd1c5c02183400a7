#!/usr/bin/env bash
# Held-out scores of one model on the default world's task families (200 questions each; captions
# by token F1, the rest by exact match, as Scripts/compare_table.py scores them), to judge a
# candidate base model before it replaces Data/base-model.
#
#   Scripts/experiments/heldout_families.sh MODEL OUT [FAMILY...] [-- extra vlm-eval flags, e.g. --adapter DIR]
#
# Paths are relative to the repository root (the script runs there). Default families: the base
# model's pretraining ones (caption color shape shape_existence object_existence, as compare_table.py).
# Writes OUT/FAMILY.jsonl (answers) and prints one line "family score" per family.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
model=$1 out=$2; shift 2
families=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do families+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#families[@]} -gt 0 ] || families=(caption color shape shape_existence object_existence)
WORLD=Data/generated/world
mkdir -p "$out"
for family in "${families[@]}"; do
  [ -f "$WORLD/heldout/$family.jsonl" ] || { echo "no held-out family $family in $WORLD/heldout" >&2; exit 1; }
  # Held-out questions are LLaVA question lines; any model_vqa_loader benchmark answers them.
  .build/release/vlm-eval textvqa --model-path "$model" "$@" --no-score --max-new-tokens 64 --batch-size 16 \
    --question-file "$WORLD/heldout/$family.jsonl" --image-folder "$WORLD/images" \
    --answers-file "$out/$family.jsonl" >"$out/$family.log" 2>&1 || { tail -n 3 "$out/$family.log" >&2; exit 1; }
  python3 - "$WORLD" "$family" "$out/$family.jsonl" <<'PY'
import sys
sys.path.insert(0, "Scripts")
from compare_table import heldout_score
world, family, answers = sys.argv[1:]
print(f"{family} {heldout_score(world, family, answers):.1f}")
PY
done
