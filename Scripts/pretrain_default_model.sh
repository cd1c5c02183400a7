#!/usr/bin/env bash
# Reproduce the built-in base model (Data/base-model) with the project's own tools: the stages of
# Scripts/experiments/pretrain_existence_base.sh (its header lists them; Data/README.md has the
# numbers after each), then the final model's files, every stage's training log and the random
# initialisation's provenance copied into Data/base-model, sharded so no file exceeds 20 MB.
# Needs a Python venv with torch, transformers, sentencepiece and safetensors for the
# tokenizer, the initialisation and the sharding: PYTHON=/path/to/venv/bin/python. About 5.5 hours
# on 2 cores.
#
# (The previous base model, a 4-head decoder pretrained without object existence, came from this
# script at commit cbd6a04: `git show cbd6a04:Scripts/pretrain_default_model.sh`.)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WORK=Data/generated/pretrain-existence
FINAL=stage4f

PYTHON="$PYTHON" Scripts/experiments/pretrain_existence_base.sh

rm -rf Data/base-model && mkdir -p Data/base-model
for f in config.json generation_config.json model.safetensors preprocessor_config.json tokenizer.json \
         tokenizer.model tokenizer_config.json special_tokens_map.json; do
  [ -f "$WORK/$FINAL/$f" ] && cp "$WORK/$FINAL/$f" Data/base-model/
done
cp Data/generated/base-init-h16/provenance.json Data/base-model/init_provenance.json
cp "$WORK/stage0/tower_metrics.jsonl" Data/base-model/stage0_tower_metrics.jsonl
cp "$WORK/stage0b/projector_metrics.jsonl" Data/base-model/stage0b_projector_metrics.jsonl
for stage in stage1 stage2 stage3 stage3b stage3c stage3d stage4 stage4b stage4c stage4d stage4e stage4f; do
  cp "$WORK/$stage/metrics.jsonl" "Data/base-model/${stage}_metrics.jsonl"
done
cp "$WORK/$FINAL/loss.svg" "Data/base-model/${FINAL}_loss.svg"
"$PYTHON" Scripts/shard_checkpoint.py Data/base-model
echo "base model written to Data/base-model" >&2
