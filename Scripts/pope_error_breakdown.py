#!/usr/bin/env python3
"""How often a model says "yes" on the built-in POPE set, by kind of question.

POPE's F1 hides *why* a model fails. On the synthetic world every POPE object is a colour and a
shape ("a red cross"), so each negative either shares the shape with an object in the image,
shares the colour, both (on different objects), or neither. A model that answers by shape alone
says "yes" to same-shape negatives as often as to positives.

    Scripts/pope_error_breakdown.py ANSWERS.jsonl [WORLD]     (WORLD: Data/generated/world)

It then gives the same by the question's colour and by its shape, positives and negatives apart:
a model that has learned a pair's prior instead of looking says "no" to its positives as well.

ANSWERS.jsonl is what `vlm-eval pope --answers-file` writes. Uses only the standard library.
"""
import collections
import json
import os
import re
import sys


def kind_of(color, shape, objects):
    if any(o["color"] == color and o["shape"] == shape for o in objects):
        return "positive"
    same_shape = any(o["shape"] == shape for o in objects)
    same_color = any(o["color"] == color for o in objects)
    if same_shape and same_color:
        return "negative: shape and colour present on different objects"
    if same_shape:
        return "negative: same shape present in another colour"
    if same_color:
        return "negative: same colour present on another shape"
    return "negative: neither present"


def reads_as_yes(text):
    """eval_pope.py's reading: first sentence, commas deleted, "no" iff a word is No, no or not.
    Anything else, "1" or "triangle" too, counts as "yes", as in the F1."""
    words = text.split(".")[0].replace(",", "").split(" ")
    return not ("No" in words or "no" in words or "not" in words)


def share(yes, total):
    return f"{yes:4d}/{total:<4d} = {yes / total:.2f}" if total else f"{'-':>15s}"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    answers_path = sys.argv[1]
    world = sys.argv[2] if len(sys.argv) == 3 else "Data/generated/world"
    scenes = {}
    with open(os.path.join(world, "scenes", "pope.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            scenes[row["key"]] = row["scene"]["objects"]
    with open(os.path.join(world, "eval", "pope", "llava_pope_test.jsonl")) as f:
        questions = {q["question_id"]: q for q in map(json.loads, f)}
    counts = collections.defaultdict(lambda: [0, 0])
    by_attribute = collections.defaultdict(lambda: [0, 0, 0, 0])  # yes / all on positives, on negatives
    neither = 0
    with open(answers_path) as f:
        for answer in map(json.loads, f):
            question = questions.get(answer["question_id"])
            if question is None:
                sys.exit(f"{answers_path}: question_id {answer['question_id']} is not in the world's POPE set")
            match = re.match(r"Is there an? (\w+) (\w+) in the image\?", question["text"])
            if match is None:
                sys.exit(f"unexpected POPE question: {question['text']!r}")
            kind = kind_of(match.group(1), match.group(2), scenes[question["image"]])
            said_yes = reads_as_yes(answer["text"])
            if answer["text"].strip().rstrip(".").lower() not in ("yes", "no"):
                neither += 1
            counts[kind][0] += said_yes
            counts[kind][1] += 1
            column = 0 if kind == "positive" else 2
            for attribute in zip(("colour", "shape"), match.groups()):
                by_attribute[attribute][column] += said_yes
                by_attribute[attribute][column + 1] += 1
    print(f"{'question kind':58s} said yes (as the scorer reads it)")
    for kind, (yes, total) in sorted(counts.items()):
        print(f"{kind:58s} {share(yes, total)}")
    print(f"\n{'colour or shape asked':22s} {'said yes to positives':>24s} {'said yes to negatives':>24s}")
    for (_, attribute), (pos_yes, pos, neg_yes, neg) in sorted(by_attribute.items()):
        print(f"{attribute:22s} {share(pos_yes, pos):>24s} {share(neg_yes, neg):>24s}")
    print(f"\nanswers neither \"yes\" nor \"no\" (read as \"yes\"): {neither} of {sum(t for _, t in counts.values())}")


if __name__ == "__main__":
    main()
