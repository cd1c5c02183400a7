#!/usr/bin/env bash
# A base model that answers POPE's object existence before any fine-tuning (Data/pope-investigation.md,
# "Building that base model" has every run's numbers):
#   1. the world tokenizer and a random tiny LLaVA with a 16-head decoder (make_world_base.py --heads 16)
#   2. stage 0: the tower classifies each patch's shape, colour, size and character (as the
#      committed model's stage 0); then, tower frozen, the projector learns to map each patch onto
#      the sum of fixed random codes of those labels, empty patches onto a code of their own
#      (vlm-data pretrain-tower --objective codes)
#   3. stage 1: --tune projector on captions at lr 2e-5 (at LLaVA's 1e-3 the frozen random
#      decoder's caption loss pushed a shared vector into the image tokens: 87% of their energy)
#   4. stages 2-3: --tune full (tower frozen, projector at 2e-5, lr 1e-3, batch 32) on POPE-style
#      object existence alone, one question per conversation (pretraining_mix.py
#      --object-existence-only), its false questions random absent categories (--hard-share 0),
#      which the decoder learns without the plateau POPE's hard negatives put first: 1 epoch on
#      the seed-1 world, then 2 epochs on a fresh seed-2 world (POPE 82.3)
#   5. stages 3b-3d: 1 epoch each of POPE's own mix of negatives on fresh seed-3, seed-4 and seed-5
#      worlds (POPE 83.4, 86.5, then 88.0). Not a base model on its own: a decoder trained on
#      nothing but "Yes" and "No" loses 14 POPE points to the quick start's tuning
#   6. stage 4: the other pretraining families join (short answers, every third caption) with three
#      object-existence questions per image, on the seed-5 world's images (1 epoch, batch 16, lr
#      1e-3; POPE 82.1, 79.5 after the quick start), then stage 4b: the same mix on the seed-3
#      world's images at lr 5e-4 (POPE 83.5, 78.8 after the quick start), and stage 4c: the same on
#      the seed-4 world's images (POPE 85.5, 81.8 after the quick start). Data/pope-investigation.md,
#      stop 21, has every number
#   7. stages 4d-4f: the same mix on the seed-2, seed-1 and seed-6 worlds' images (lr 5e-4; POPE
#      85.0, 87.0, then 87.4; 83.2, 85.2, then 85.7 after the quick start; stop 22)
# Writes Data/generated/pretrain-existence/stage4f (a llava-hf folder), which
# Scripts/pretrain_default_model.sh commits as Data/base-model. About 5.5 hours on 2 cores.
# Needs the Python venv of Scripts/fixtures: PYTHON=/path/to/venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
WORLD=Data/generated/world
WORK=Data/generated/pretrain-existence
INIT=Data/generated/base-init-h16

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

# Fresh worlds for stages 3-4 (seeds 2-6, 24000 training images each).
for seed in 2 3 4 5 6; do
  world="Data/generated/pretrain-world-$seed"
  [ -f "$world/train/pretrain.json" ] || .build/release/vlm-data generate --output "$world" --seed "$seed" \
    --overwrite --train-size 24000 --finetune-size 16 --heldout-size 16 --max-turns 3 --pope-images 10 \
    --vqav2-size 10 --gqa-size 10 --vizwiz-size 10 --textvqa-size 10 --sqa-size 10 --mmbench-size 10
done
mix() { "$PYTHON" Scripts/experiments/pretraining_mix.py "$@"; }
mix "$PRETRAIN_WORLD" "$PRETRAIN_WORLD/train/oe_easy.json" --object-existence-only --object-turns 2 --seed 1 --hard-share 0
mix Data/generated/pretrain-world-2 Data/generated/pretrain-world-2/train/oe_easy.json --object-existence-only --object-turns 2 --seed 2 --hard-share 0
mix Data/generated/pretrain-world-3 Data/generated/pretrain-world-3/train/oe_only.json --object-existence-only --object-turns 2 --seed 3
mix Data/generated/pretrain-world-4 Data/generated/pretrain-world-4/train/oe_only.json --object-existence-only --object-turns 2 --seed 4
mix Data/generated/pretrain-world-5 Data/generated/pretrain-world-5/train/oe_only.json --object-existence-only --object-turns 2 --seed 5
mix Data/generated/pretrain-world-5 Data/generated/pretrain-world-5/train/mix.json --seed 5
mix Data/generated/pretrain-world-3 Data/generated/pretrain-world-3/train/mix.json --seed 3
mix Data/generated/pretrain-world-4 Data/generated/pretrain-world-4/train/mix.json --seed 4
mix Data/generated/pretrain-world-2 Data/generated/pretrain-world-2/train/mix.json --seed 2
mix "$PRETRAIN_WORLD" "$PRETRAIN_WORLD/train/mix.json" --seed 1
mix Data/generated/pretrain-world-6 Data/generated/pretrain-world-6/train/mix.json --seed 6

full() {  # FROM TO WORLD DATA EPOCHS BATCH LR SEED
  .build/release/vlm-tune --tune full --model-path "$WORK/$1" --output-dir "$WORK/$2" \
    --image-folder "$3/images" --data-path "$3/train/$4" --num-train-epochs "$5" \
    --per-device-train-batch-size "$6" --learning-rate "$7" --mm-projector-lr 2e-5 --seed "$8" \
    --save-steps 500 --save-total-limit 6
}
full stage1 stage2 "$PRETRAIN_WORLD" oe_easy.json 1 32 1e-3 0
full stage2 stage3 Data/generated/pretrain-world-2 oe_easy.json 2 32 1e-3 2
full stage3 stage3b Data/generated/pretrain-world-3 oe_only.json 1 32 1e-3 3
full stage3b stage3c Data/generated/pretrain-world-4 oe_only.json 1 32 1e-3 4
full stage3c stage3d Data/generated/pretrain-world-5 oe_only.json 1 32 1e-3 5
full stage3d stage4 Data/generated/pretrain-world-5 mix.json 1 16 1e-3 5
full stage4 stage4b Data/generated/pretrain-world-3 mix.json 1 16 5e-4 3
full stage4b stage4c Data/generated/pretrain-world-4 mix.json 1 16 5e-4 4
full stage4c stage4d Data/generated/pretrain-world-2 mix.json 1 16 5e-4 2
full stage4d stage4e "$PRETRAIN_WORLD" mix.json 1 16 5e-4 1
full stage4e stage4f Data/generated/pretrain-world-6 mix.json 1 16 5e-4 6
echo "model written to $WORK/stage4f" >&2
