#!/usr/bin/env python3
"""Variants of the built-in fine-tuning task as it was before stop 23 (WORLD/train/finetune.json of a
world written by `vlm-data generate --seed 0 --finetune-existence-turns 0`), for asking what the
quick start's tuning does to POPE (Data/pope-investigation.md, stop 23). Each writes LLaVA
conversation JSON over the same images (train with --image-folder WORLD/images):

  binding P      each false object-existence turn becomes, with probability P, a "binding" negative
                 when the scene has one: the colour of one object and the shape of another, a pair
                 not in the image (the negatives the base model answers "yes" to most often)
  replay N       the task plus N conversations drawn from WORLD/train/pretrain.json (the
                 pretraining families: colour, shape, shape existence, captions), shuffled in
  object-turns K the task with K more object-existence questions (pretraining_mix.py's, POPE's
                 mix of negatives) shuffled into each conversation, as LLaVA's mix groups
                 several datasets' questions about one image (the measured idea that the
                 generator's --finetune-existence-turns, default 2, now builds in)

usage: tuning_task_variants.py WORLD OUT.json {binding P | replay N | object-turns K} [--seed S]
Standard library only.
"""
import argparse
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pretraining_mix import article, load_scenes, object_existence  # noqa: E402

POPE_QUESTION = re.compile(r"^(<image>\n)?Is there an? (\w+) (\w+) in the image\?\n")


def with_binding_negatives(world, data, share, rng):
    scenes, rewritten, negatives = load_scenes(world, "finetune"), 0, 0
    for sample in data:
        objects = scenes[sample["id"]]["objects"]
        present = {(o["color"], o["shape"]) for o in objects}
        binding = sorted({(a["color"], b["shape"]) for a in objects for b in objects} - present)
        pairs = list(zip(sample["conversations"][0::2], sample["conversations"][1::2]))
        asked = {(m.group(2), m.group(3)) for m in (POPE_QUESTION.match(q["value"]) for q, _ in pairs) if m}
        for question, answer in pairs:
            match = POPE_QUESTION.match(question["value"])
            if not match or answer["value"] != "No":
                continue
            negatives += 1
            unasked = [pair for pair in binding if pair not in asked]
            if unasked and rng.random() < share:
                color, shape = rng.choice(unasked)
                asked.add((color, shape))
                category = f"{color} {shape}"
                question["value"] = (match.group(1) or "") + f"Is there {article(category)} {category} in the image?\n" \
                    + question["value"][match.end():]
                rewritten += 1
    return data, {"false_object_existence_turns": negatives, "binding_negatives": rewritten}


def with_replay(world, data, count, rng):
    replay = rng.sample(json.load(open(f"{world}/train/pretrain.json")), count)
    mixed = data + replay
    rng.shuffle(mixed)
    return mixed, {"replayed_conversations": count}


def with_object_turns(world, data, count, rng):
    scenes, added = load_scenes(world, "finetune"), 0
    for sample in data:
        conversation = sample["conversations"]
        turns = [(q["value"].replace("<image>\n", ""), a["value"]) for q, a in zip(conversation[0::2], conversation[1::2])]
        asked = {question for question, _ in turns}
        for _ in range(count):
            for _ in range(20):  # a question not asked yet in this conversation
                question, answer = object_existence(rng, scenes[sample["id"]]["objects"])
                if question not in asked:
                    break
            asked.add(question)
            turns.insert(rng.randrange(len(turns) + 1), (question, answer))
            added += 1
        sample["conversations"] = []
        for i, (question, answer) in enumerate(turns):
            sample["conversations"] += [{"from": "human", "value": ("<image>\n" if i == 0 else "") + question},
                                        {"from": "gpt", "value": answer}]
    return data, {"object_existence_turns_added": added}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("world")
    parser.add_argument("out")
    parser.add_argument("variant", choices=["binding", "replay", "object-turns"])
    parser.add_argument("amount", help="P for binding, N for replay, K for object-turns")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = json.load(open(f"{args.world}/train/finetune.json"))
    if args.variant == "binding":
        data, counts = with_binding_negatives(args.world, data, float(args.amount), rng)
    elif args.variant == "replay":
        data, counts = with_replay(args.world, data, int(args.amount), rng)
    else:
        data, counts = with_object_turns(args.world, data, int(args.amount), rng)
    with open(args.out, "w") as f:
        json.dump(data, f)
    print(json.dumps({"world": args.world, "variant": args.variant, "amount": args.amount, "conversations": len(data), **counts}))


if __name__ == "__main__":
    main()
