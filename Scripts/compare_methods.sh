#!/usr/bin/env bash
# LoRA vs PiSSA vs MiLoRA on the built-in default task, with the paper's rules for visual
# instruction tuning (vlm-tune's defaults): r 128; alpha = r for PiSSA/MiLoRA, 2r for LoRA;
# lr 2e-4, projector lr 2e-5, 1 epoch, batch 16, cosine, warmup 0.03, dropout 0.05, every
# language-model linear.
# Each adapter is evaluated on the seven benchmark sets of the world and on the held-out questions
# of the fine-tuning families (learning) and of the pretraining families (forgetting), beside the
# untuned base model. Writes runs/compare/comparison.{md,json,svg}.
#
#   Scripts/compare_methods.sh [extra vlm-tune flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
OUT=${OUT:-runs/compare}
WORLD=Data/generated/world
BENCHES="pope vqav2 gqa vizwiz textvqa sqa mmbench"
FAMILIES="caption color shape shape_existence object_existence counting reading position multiple_choice"
mkdir -p "$OUT"

evaluate() {  # evaluate METHOD [--adapter DIR]
  local method=$1; shift
  mkdir -p "$OUT/$method/eval" "$OUT/$method/heldout"
  for bench in $BENCHES; do
    # A set the official scorer cannot score (e.g. POPE with no "yes" at all divides by zero)
    # is reported and left out of the table rather than stopping the comparison.
    .build/release/vlm-eval "$bench" --model-path Data/base-model "$@" \
      --answers-file "$OUT/$method/eval/$bench.jsonl" --scores-file "$OUT/$method/eval/${bench}_scores.json" \
      || echo "compare: $method $bench could not be scored (see above)" >&2
  done
  for family in $FAMILIES; do
    # Held-out questions are LLaVA question lines; any model_vqa_loader benchmark generates them.
    .build/release/vlm-eval textvqa --model-path Data/base-model "$@" --no-score --max-new-tokens 64 \
      --question-file "$WORLD/heldout/$family.jsonl" --image-folder "$WORLD/images" \
      --answers-file "$OUT/$method/heldout/$family.jsonl"
  done
}

evaluate base
for method in lora pissa milora; do
  .build/release/vlm-tune --init "$method" --rank 128 --output-dir "$OUT/$method" --seed 42 "$@"
  evaluate "$method" --adapter "$OUT/$method"
done
python3 Scripts/compare_table.py "$OUT" "$WORLD"
