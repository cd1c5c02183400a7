#!/usr/bin/env bash
# The main job on the built-in default, from a fresh machine: set up, fine-tune the built-in
# base model with MiLoRA (rank 128) on the synthetic world's new task, evaluate it on the
# built-in POPE set and print the score JSON. About 10-15 minutes on 2 cores.
#
#   Scripts/quickstart.sh [extra vlm-tune flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
OUT=runs/quickstart-milora-r128
.build/release/vlm-tune --rank 128 --output-dir "$OUT" "$@"
.build/release/vlm-eval pope --model-path Data/base-model --adapter "$OUT" \
  --answers-file "$OUT/eval/pope_answers.jsonl" --scores-file "$OUT/eval/pope_scores.json"
echo "== POPE scores ($OUT/eval/pope_scores.json)"
cat "$OUT/eval/pope_scores.json"
