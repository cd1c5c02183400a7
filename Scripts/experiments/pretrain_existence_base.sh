#!/usr/bin/env bash
# An attempt at a base model that answers POPE's object existence before any fine-tuning
# (Data/pope-investigation.md, "Building that base model" has every run's numbers). Kept so that
# the run can be repeated and changed; the committed base model is Scripts/pretrain_default_model.sh's.
#   1. the world tokenizer and a random tiny LLaVA with a 16-head decoder (make_world_base.py --heads 16)
#   2. stage 0: the tower classifies each patch's shape, colour, size and character (as the
#      committed model's stage 0); then, tower frozen, the projector learns to map each patch onto
#      the sum of fixed random codes of those labels, empty patches onto a code of their own
#      (vlm-data pretrain-tower --objective codes)
#   3. stage 1: --tune projector on captions at lr 2e-5 (at LLaVA's 1e-3 the frozen random
#      decoder's caption loss pushed a shared vector into the image tokens: 87% of their energy)
#   4. stage 2: --tune full (tower frozen, projector at 2e-5), EPOCHS (default 1) over the seed-1
#      world's short-answer families, every third caption, and three POPE-style object-existence
#      questions per image (Scripts/experiments/pretraining_mix.py)
# Writes Data/generated/pretrain-existence/stage2 (a llava-hf folder). About 35 minutes on 2 cores
# per epoch. Needs the Python venv of Scripts/fixtures: PYTHON=/path/to/venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
WORLD=Data/generated/world
WORK=Data/generated/pretrain-existence
INIT=Data/generated/base-init-h16
EPOCHS="${EPOCHS:-1}"

[ -f "$WORLD/train/pretrain.json" ] || Scripts/make_default_data.sh "$WORLD"
[ -f "$INIT/model.safetensors" ] || "$PYTHON" Scripts/make_world_base.py "$WORLD" --heads 16 --out "$INIT"
swift build -c release --product vlm-tune
swift build -c release --product vlm-data
PRETRAIN_WORLD=Data/generated/pretrain-world
[ -f "$PRETRAIN_WORLD/train/pretrain.json" ] || .build/release/vlm-data generate --output "$PRETRAIN_WORLD" \
  --seed 1 --overwrite --train-size 24000 --finetune-size 16 --heldout-size 16 --max-turns 3

# Stage 1 data: the captions of scenes with two or more shapes, one round each (LCS-558K's role).
"$PYTHON" Scripts/experiments/pretraining_mix.py "$PRETRAIN_WORLD" "$PRETRAIN_WORLD/train/captions.json" --captions-only

rm -rf "$WORK"
.build/release/vlm-data pretrain-tower --model-path "$INIT" --world "$PRETRAIN_WORLD" \
  --output-dir "$WORK/stage0" --num-train-epochs 1
.build/release/vlm-data pretrain-tower --objective codes --model-path "$WORK/stage0" --world "$PRETRAIN_WORLD" \
  --output-dir "$WORK/stage0b" --num-train-epochs 2
.build/release/vlm-tune --tune projector --model-path "$WORK/stage0b" \
  --data-path "$PRETRAIN_WORLD/train/captions.json" --image-folder "$PRETRAIN_WORLD/images" --output-dir "$WORK/stage1" \
  --num-train-epochs 1 --per-device-train-batch-size 32 --learning-rate 2e-5 --seed 0
"$PYTHON" Scripts/experiments/pretraining_mix.py "$PRETRAIN_WORLD" "$PRETRAIN_WORLD/train/stage2.json" --seed 1
.build/release/vlm-tune --tune full --model-path "$WORK/stage1" \
  --data-path "$PRETRAIN_WORLD/train/stage2.json" --image-folder "$PRETRAIN_WORLD/images" --output-dir "$WORK/stage2" \
  --num-train-epochs "$EPOCHS" --per-device-train-batch-size 16 --learning-rate 1e-3 --mm-projector-lr 2e-5 --seed 0 --save-steps 500
echo "model written to $WORK/stage2" >&2
