#!/usr/bin/env bash
# Reproduce the built-in base model (Data/base-model) with the project's own trainer:
#   0. the synthetic world (Scripts/make_default_data.sh, seed 0)
#   1. the world tokenizer and a randomly initialised tiny LLaVA (Scripts/make_world_base.py;
#      needs a Python venv with torch, transformers, sentencepiece: set PYTHON=/path/to/venv/bin/python)
#   2. stage 1, LLaVA's projector pretraining: --tune projector, 'plain' template, captions only
#   3. stage 2: --tune full on the pretraining task families (captions, colour, shape, shape existence)
# The fine-tuning families (object existence, counting, reading, position, multiple choice) are
# left for vlm-tune's default task. About 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WORLD=Data/generated/world
WORK=Data/generated/pretrain
EPOCHS="${EPOCHS:-4}"

[ -f "$WORLD/train/pretrain.json" ] || Scripts/make_default_data.sh "$WORLD"
[ -f Data/generated/base-init/model.safetensors ] || "$PYTHON" Scripts/make_world_base.py "$WORLD"
swift build -c release --product vlm-tune

# Stage 1 data: the caption conversations, one round each, as LLaVA's LCS-558K captions.
"$PYTHON" - "$WORLD" <<'PY'
import json, sys
world = sys.argv[1]
captions = []
for sample in json.load(open(f"{world}/train/pretrain.json")):
    question, answer = sample["conversations"][0]["value"], sample["conversations"][1]["value"]
    if answer.startswith(("There is", "There are")):
        captions.append({"id": sample["id"], "image": sample["image"], "conversations": [
            {"from": "human", "value": "<image>\n" + question.replace("<image>\n", "").replace("<image>", "")},
            {"from": "gpt", "value": answer}]})
json.dump(captions, open(f"{world}/train/captions.json", "w"))
print(f"stage 1: {len(captions)} captions", file=sys.stderr)
PY

rm -rf "$WORK"
# --mm-projector-lr 2e-5 reproduces the committed model, which was trained when vlm-tune applied
# its LoRA-recipe projector rate to every mode (so the projector barely moved in both stages).
# Dropping it (the projector then learns at --learning-rate, as LLaVA's scripts do) is the fix
# to make next: on a 72 px / patch 24 world it took held-out shape accuracy from 26.5% to 56%
# (Data/README.md).
.build/release/vlm-tune --tune projector --model-path Data/generated/base-init \
  --data-path "$WORLD/train/captions.json" --image-folder "$WORLD/images" --output-dir "$WORK/stage1" \
  --num-train-epochs 2 --per-device-train-batch-size 32 --learning-rate 1e-3 --mm-projector-lr 2e-5 --seed 0
.build/release/vlm-tune --tune full --model-path "$WORK/stage1" \
  --data-path "$WORLD/train/pretrain.json" --image-folder "$WORLD/images" --output-dir "$WORK/stage2" \
  --num-train-epochs "$EPOCHS" --per-device-train-batch-size 16 --learning-rate 1e-3 --mm-projector-lr 2e-5 --seed 0

rm -rf Data/base-model && mkdir -p Data/base-model
for f in config.json generation_config.json model.safetensors preprocessor_config.json tokenizer.json \
         tokenizer.model tokenizer_config.json special_tokens_map.json; do
  [ -f "$WORK/stage2/$f" ] && cp "$WORK/stage2/$f" Data/base-model/
done
cp "$WORK/stage1/metrics.jsonl" Data/base-model/stage1_metrics.jsonl
cp "$WORK/stage2/metrics.jsonl" Data/base-model/stage2_metrics.jsonl
cp "$WORK/stage2/loss.svg" Data/base-model/stage2_loss.svg
cp Data/generated/base-init/provenance.json Data/base-model/init_provenance.json
# Shards keep every committed file under 20 MB; the values are unchanged.
"$PYTHON" Scripts/shard_checkpoint.py Data/base-model
echo "base model written to Data/base-model" >&2
