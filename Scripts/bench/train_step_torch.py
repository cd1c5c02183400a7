"""PyTorch + PEFT LoRA training-step throughput on LLaMA-shaped decoders (the baseline for
`vlm-bench train`). CPU, fp32, eager (or --attn-implementation sdpa) attention, batch 1, all seven projections adapted.

    python Scripts/bench/train_step_torch.py --hidden 512 1024 2048 --tokens 512 --rank 64

Prints tokens/s and GFLOP/s by the usual count: 4 x frozen linear parameters x tokens
(forward 2, input-gradient 2; frozen weights get no weight gradient) + attention
(4 x T^2 x C forward, 8 x T^2 x C backward) per layer, plus the adapters' 6 x r x (in + out) x T,
plus the lm_head's 4 x V x C per supervised row. --supervised-fraction labels only the last part
of the sequence (-100 elsewhere), as LLaVA masks the image and the prompt; transformers still
computes the logits of every position.
"""
import argparse
import json
import sys
import time

import torch
import transformers
import peft
from transformers import LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, get_peft_model


def flop_count(config, tokens, rank, supervised):
    c, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    frozen = layers * (4 * c * c + 3 * c * f)
    adapter = layers * rank * (4 * (c + c) + 3 * (c + f))
    attention = layers * 12 * tokens * tokens * c
    head = 4 * config.vocab_size * c * supervised
    return 4 * frozen * tokens + 6 * adapter * tokens + attention + head


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--supervised-fraction", type=float, default=1.0)
    parser.add_argument("--attn-implementation", default="eager", choices=["eager", "sdpa"],
                        help="transformers' attention kernel (sdpa is its default; report the faster)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    for hidden in args.hidden:
        config = LlamaConfig(hidden_size=hidden, intermediate_size=int(hidden * 11008 / 4096), num_hidden_layers=args.layers,
                             num_attention_heads=max(1, hidden // 128), num_key_value_heads=max(1, hidden // 128),
                             vocab_size=args.vocab, max_position_embeddings=args.tokens,
                             attn_implementation=args.attn_implementation)
        model = LlamaForCausalLM(config)
        lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0,
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        model = get_peft_model(model, lora)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        ids = torch.randint(0, args.vocab, (1, args.tokens))
        supervised = max(1, round(args.tokens * args.supervised_fraction))  # rows t whose labels[t + 1] count
        labels = ids.clone()
        labels[:, :args.tokens - supervised] = -100
        times = []
        for step in range(args.steps + 1):
            start = time.perf_counter()
            loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if step > 0:
                times.append(time.perf_counter() - start)
        best = min(times)
        flops = flop_count(config, args.tokens, args.rank, supervised)
        row = {"hidden": hidden, "tokens": args.tokens, "layers": args.layers, "rank": args.rank, "vocab": args.vocab,
               "supervised_rows": supervised, "attn_implementation": args.attn_implementation,
               "tokens_per_s": args.tokens / best, "gflops": flops / best / 1e9, "seconds_per_step": best}
        results.append(row)
        print(f"pytorch+peft hidden {hidden}: {row['tokens_per_s']:.1f} tokens/s, {row['gflops']:.1f} GFLOP/s", flush=True)
    print(json.dumps({"versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                                   "python": sys.version.split()[0], "threads": torch.get_num_threads()}, "results": results}))


if __name__ == "__main__":
    main()
