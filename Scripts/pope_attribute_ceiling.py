#!/usr/bin/env python3
"""What the built-in POPE set gives a model that answers from single attributes.

Every POPE object in the synthetic world is a colour and a shape ("a red cross"). Binding the two
on one object is the hard part for a small decoder (Data/pope-investigation.md, "Why it is slow"). This
script scores rule-based answerers that use the image's ground truth, to show how far each
partial skill gets on POPE's headline (mean F1 over the three splits, x100, as eval_pope.py
computes each split's F1):

    shape                  "yes" when the shape is in the image (in any colour)
    colour                 "yes" when the colour is in the image (on any shape)
    shape and colour       both, possibly on different objects: no binding needed
    oracle                 the labels themselves (100 by construction)

    Scripts/pope_attribute_ceiling.py [WORLD]     (WORLD: Data/generated/world)

Uses only the standard library.
"""
import json
import os
import re
import sys

SPLITS = ("adversarial", "popular", "random")
QUESTION = re.compile(r"Is there an? (\w+) (\w+) in the image\?")


def answerers(color, shape, objects, label):
    has_shape = any(o[1] == shape for o in objects)
    has_color = any(o[0] == color for o in objects)
    return {"shape": has_shape, "colour": has_color, "shape and colour": has_shape and has_color,
            "oracle": label}


def f1(pairs):
    """F1 of the "yes" class over (predicted, label) pairs, as LLaVA's eval_pope.py."""
    tp = sum(p and l for p, l in pairs)
    fp = sum(p and not l for p, l in pairs)
    fn = sum(l and not p for p, l in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main():
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    pope = os.path.join(sys.argv[1] if len(sys.argv) == 2 else "Data/generated/world", "eval", "pope")
    try:
        with open(os.path.join(pope, "ground_truth_objects.json")) as f:
            truth = {row["image"]: [tuple(o.split(" ", 1)) for o in row["objects"]] for row in json.load(f)}
    except FileNotFoundError as error:
        sys.exit(f"{error.filename}: not found (make the world with Scripts/make_default_data.sh)")
    scores = {}
    for split in SPLITS:
        pairs = {}
        with open(os.path.join(pope, "coco", f"coco_pope_{split}.json")) as f:
            for question in map(json.loads, f):
                match = QUESTION.fullmatch(question["text"])
                if match is None:
                    sys.exit(f"unexpected POPE question: {question['text']!r}")
                label = question["label"] == "yes"
                for name, said_yes in answerers(*match.groups(), truth[question["image"]], label).items():
                    pairs.setdefault(name, []).append((said_yes, label))
        for name, answered in pairs.items():
            scores.setdefault(name, {})[split] = 100 * f1(answered)
    print(f"{'answers from':18s} " + " ".join(f"{s:>11s}" for s in SPLITS) + "   mean F1")
    for name, by_split in scores.items():
        mean = sum(by_split.values()) / len(SPLITS)
        print(f"{name:18s} " + " ".join(f"{by_split[s]:11.1f}" for s in SPLITS) + f"   {mean:7.1f}")


if __name__ == "__main__":
    main()
