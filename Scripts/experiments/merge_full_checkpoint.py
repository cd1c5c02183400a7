#!/usr/bin/env python3
"""Make a model folder from a `vlm-tune --tune full` checkpoint, to evaluate it mid-run.

A full-training checkpoint holds only the trained tensors (checkpoint-STEP/
trainable_parameters.safetensors, transformers' LlavaForConditionalGeneration key names); this
copies the run's starting model folder BASE to OUT and overwrites those tensors in its
model.safetensors. Needs the venv of Scripts/fixtures (torch, safetensors).

    merge_full_checkpoint.py BASE CHECKPOINT OUT
"""
import os
import shutil
import sys

from safetensors.torch import load_file, save_file


def stored_name(key, weights):
    """The base file's name for a checkpoint key (the two llava-hf layouts name the decoder differently)."""
    for candidate in (key, key.replace("model.language_model.", "language_model.model."), "language_model." + key,
                      key.replace("model.multi_modal_projector.", "multi_modal_projector.")):
        if candidate in weights:
            return candidate
    return None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base, checkpoint, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(base):
        if name.endswith(".json") or name.startswith("tokenizer"):
            shutil.copy(os.path.join(base, name), out)
    weights = load_file(os.path.join(base, "model.safetensors"))
    trained = load_file(os.path.join(checkpoint, "trainable_parameters.safetensors"))
    unknown = [key for key in trained if stored_name(key, weights) is None]
    if unknown:
        sys.exit(f"checkpoint tensors not in {base}: {unknown[:5]}")
    for key, tensor in trained.items():
        target = stored_name(key, weights)
        if weights[target].shape != tensor.shape:
            sys.exit(f"{key}: checkpoint shape {tuple(tensor.shape)} != base {tuple(weights[target].shape)}")
        weights[target] = tensor
    save_file(weights, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    print(f"{len(trained)} tensors replaced; model folder written to {out}")


if __name__ == "__main__":
    main()
