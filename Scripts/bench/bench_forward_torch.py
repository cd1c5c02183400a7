#!/usr/bin/env python3
"""PyTorch (CPU, f32) counterpart of `vlm-bench forward`: prefill and KV-cached decode of a
LLaMA-shaped LlamaForCausalLM with random weights, same shapes and FLOP count as
Sources/vlm-bench/ForwardBenchmark.swift (heads = C/64, MLP 8C/3 rounded up to 256, lm_head
on the last token only).

Usage: /work/pyenv/bin/python Scripts/bench/bench_forward_torch.py [--hidden-sizes 1024 2048]
       [--layers 8] [--vocabulary 32000] [--prompt-tokens 128] [--decode-tokens 32]
       [--trials 3] [--threads N] [--attn eager|sdpa]
"""
import argparse
import time

import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM


def flops(c, tokens, past):
    h, i = c.hidden_size, c.intermediate_size
    q = kv = c.num_attention_heads * (h // c.num_attention_heads)
    linear_per_token = 2 * (h * q + 2 * h * kv + q * h + 3 * h * i)
    visible = tokens * past + tokens * (tokens + 1) / 2
    return c.num_hidden_layers * (linear_per_token * tokens + 4 * q * visible) + 2 * h * c.vocab_size


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden-sizes", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--vocabulary", type=int, default=32000)
    p.add_argument("--prompt-tokens", type=int, default=128)
    p.add_argument("--decode-tokens", type=int, default=32)
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--attn", default="sdpa")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, attention {a.attn}; layers {a.layers}, "
          f"V {a.vocabulary}, prompt {a.prompt_tokens}, decode {a.decode_tokens}")
    print("    C   heads  MLP   | prefill tok/s  GFLOP/s | decode tok/s  GFLOP/s")
    for hidden in a.hidden_sizes:
        c = LlamaConfig(vocab_size=a.vocabulary, hidden_size=hidden, intermediate_size=(8 * hidden // 3 + 255) // 256 * 256,
                        num_hidden_layers=a.layers, num_attention_heads=hidden // 64, num_key_value_heads=hidden // 64,
                        max_position_embeddings=4096)
        torch.manual_seed(0)
        model = LlamaForCausalLM._from_config(c, attn_implementation=a.attn, dtype=torch.float32).eval()
        ids = torch.randint(0, a.vocabulary, (1, a.prompt_tokens))
        best_prefill, best_decode = float("inf"), float("inf")
        with torch.inference_mode():
            for trial in range(a.trials + 1):  # first round warms up
                cache = DynamicCache(config=c)
                start = time.perf_counter()
                out = model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
                prefill = time.perf_counter() - start
                token = out.logits[:, -1:].argmax(-1)
                start = time.perf_counter()
                for _ in range(a.decode_tokens):
                    out = model(input_ids=token, cache=cache, use_cache=True, logits_to_keep=1)
                    token = out.logits[:, -1:].argmax(-1)
                decode = time.perf_counter() - start
                if trial > 0:
                    best_prefill, best_decode = min(best_prefill, prefill), min(best_decode, decode)
        decode_flops = sum(flops(c, 1, a.prompt_tokens + s) for s in range(a.decode_tokens))
        print(f"{hidden:5d}  {c.num_attention_heads:5d}  {c.intermediate_size:5d} | {a.prompt_tokens / best_prefill:13.1f}  "
              f"{flops(c, a.prompt_tokens, 0) / best_prefill / 1e9:7.1f} | {a.decode_tokens / best_decode:12.1f}  "
              f"{decode_flops / best_decode / 1e9:7.1f}")


if __name__ == "__main__":
    main()
