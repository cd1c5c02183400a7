"""Split a folder's model.safetensors into two shards with model.safetensors.index.json
(Hugging Face's sharded layout) so no committed file exceeds 20 MB. Values are unchanged.

    python Scripts/shard_checkpoint.py MODEL_DIR   (needs numpy and safetensors)
"""
import json, os, sys
from safetensors.numpy import load_file, save_file
folder = sys.argv[1]
tensors = load_file(os.path.join(folder, "model.safetensors"))
names = sorted(tensors)
total = sum(t.nbytes for t in tensors.values())
shards, current, size = [], [], 0
for n in names:
    if current and size + tensors[n].nbytes > total / 2:
        shards.append(current); current, size = [], 0
    current.append(n); size += tensors[n].nbytes
shards.append(current)
weight_map = {}
for i, shard in enumerate(shards):
    fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    save_file({n: tensors[n] for n in shard}, os.path.join(folder, fname), metadata={"format": "pt"})
    weight_map.update({n: fname for n in shard})
json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, open(os.path.join(folder, "model.safetensors.index.json"), "w"), indent=2, sort_keys=True)
os.remove(os.path.join(folder, "model.safetensors"))
