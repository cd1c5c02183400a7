#!/usr/bin/env python3
"""One pretraining stage's conversations for the built-in base model (Scripts/pretrain_default_model.sh).

Reads a world written by `vlm-data generate` (train/pretrain.json and scenes/pretrain.jsonl) and
writes LLaVA conversation JSON with, per image:
  - the world's short-answer turns (colour, shape, shape existence: answers of at most three words),
  - its caption for every CAPTION_EVERY-th caption conversation (0: none); captions have ~40 answer
    tokens against 1-2 for a short answer, so kept in full they take most of the gradient,
  - OBJECT_TURNS object-existence questions in POPE's wording ("Is there a red star in the image?"),
    half of them true; two thirds of the false ones share the colour or the shape with an object
    in the image (POPE's hard negatives), the rest name any absent colour-and-shape category.
The turns of one image are shuffled together. Standard library only.

With --captions-only it writes stage 1's data instead: the caption conversations of scenes with
two or more shapes ("There are two shapes on ..."), one round each, as LLaVA's LCS-558K captions.

With --object-existence-only it writes only the object-existence questions, one per conversation.
With --with-attributes as well, a third of them become colour existence and a third shape
existence; with --balanced instead, the false questions name each pair as often as the true ones
do. With --multi-turn instead: one conversation per image, its OBJECT_TURNS questions about
different categories; add --independent so that each answer is "Yes" with probability 1/2 whatever
the earlier ones were.

usage: pretraining_mix.py WORLD OUT.json [--caption-every N] [--object-turns K] [--seed S]
                          [--hard-share P] [--captions-only | --object-existence-only
                           [--with-attributes | --balanced | --multi-turn [--independent]]]
"""
import argparse
import json
import random

COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "gray", "white", "black"]
SHAPES = ["circle", "square", "triangle", "star", "cross", "diamond"]
SUFFIX = "\nAnswer the question using a single word or phrase."


def article(phrase):
    return "an" if phrase[0] in "aeiou" else "a"


def object_existence(rng, objects, positive=None, category=None, weights=None, hard_share=2 / 3):
    """One POPE-style question about a scene's (colour, shape) pairs and its answer (true with
    probability 1/2 unless POSITIVE says; CATEGORY fixes a true question's pair; WEIGHTS, a weight
    per pair, draws a false question's pair in proportion to it instead of uniformly; HARD_SHARE of
    the false questions share the colour or the shape with an object, as POPE's hard negatives)."""
    present = sorted({(o["color"], o["shape"]) for o in objects})
    if positive is None:
        positive = rng.random() < 0.5
    if positive:
        (color, shape), answer = category or rng.choice(present), "Yes"
    else:
        absent = [(c, s) for c in COLORS for s in SHAPES if (c, s) not in present]
        colors, shapes = {c for c, _ in present}, {s for _, s in present}
        hard = [(c, s) for c, s in absent if c in colors or s in shapes]
        pool = hard if hard and rng.random() < hard_share else absent
        (color, shape), answer = rng.choice(pool) if weights is None else \
            rng.choices(pool, [weights[pair] for pair in pool])[0], "No"
    category = f"{color} {shape}"
    return f"Is there {article(category)} {category} in the image?{SUFFIX}", answer


def attribute_existence(rng, objects):
    """A colour- or shape-existence question ("Is there anything gray in the image?", "Is there a
    star in the image?"), true with probability 1/2; the two attribute skills POPE's question
    combines (Scripts/experiments/existence_interference.py asks them the same way)."""
    if rng.random() < 0.5:
        present, names, words = {o["color"] for o in objects}, COLORS, "anything {}".format
    else:
        present, names, words = {o["shape"] for o in objects}, SHAPES, lambda shape: f"{article(shape)} {shape}"
    name = rng.choice(sorted(present)) if rng.random() < 0.5 else rng.choice([n for n in names if n not in present])
    return f"Is there {words(name)} in the image?{SUFFIX}", "Yes" if name in present else "No"


def load_scenes(world, set_name):
    """The scene graph of every image of one set (WORLD/scenes/SET.jsonl), by image key."""
    scenes = {}
    with open(f"{world}/scenes/{set_name}.jsonl") as lines:
        for line in lines:
            record = json.loads(line)
            scenes[record["key"]] = record["scene"]
    return scenes


def positive_shares(scenes):
    """How often each (colour, shape) pair is a true question's pair, when a true question picks
    one of its scene's pairs at random: the weights that make the false questions name each pair
    as often as the true ones do (--balanced), so that a pair's name alone says nothing about the
    answer. Without them a rare colour is mostly asked about falsely ("white": 13-15% "Yes" in the
    worlds of seeds 1 and 4) and the model learns to answer it "No" without looking
    (Data/pope-investigation.md)."""
    shares = {(c, s): 1e-9 for c in COLORS for s in SHAPES}  # never zero: rng.choices needs a positive total
    for scene in scenes.values():
        present = {(o["color"], o["shape"]) for o in scene["objects"]}
        for pair in present:
            shares[pair] += 1 / len(present)
    return shares


def distinct_questions(rng, objects, count):
    """Up to COUNT object-existence questions about different categories, half of them true (a
    repeated question in one conversation could be answered by copying the earlier answer; a scene
    with fewer categories than COUNT / 2 gets fewer questions, so that "Yes" stays at half).
    Flawed, kept because Data/pope-investigation.md reports its run: with exactly half "Yes", the
    last answers of a conversation follow from the earlier ones without looking at the image."""
    present = sorted({(o["color"], o["shape"]) for o in objects})
    positives = rng.sample(present, min(len(present), count // 2))
    questions = {question: answer for question, answer in
                 (object_existence(rng, objects, positive=True, category=c) for c in positives)}
    target = 2 * len(positives)
    for _ in range(50 * count):
        if len(questions) == target:
            break
        question, answer = object_existence(rng, objects, positive=False)
        questions.setdefault(question, answer)
    return list(questions.items())


def independent_questions(rng, objects, count):
    """Object-existence questions about different categories, each true with probability 1/2
    drawn afresh, so that no answer follows from the earlier ones. A scene gets at most as many
    questions as it has categories, so a true question always has one left to ask about."""
    present = sorted({(o["color"], o["shape"]) for o in objects})
    unasked, questions = list(present), []
    for _ in range(min(count, len(present))):
        if rng.random() < 0.5:
            category = unasked.pop(rng.randrange(len(unasked)))
            questions.append(object_existence(rng, objects, positive=True, category=category))
            continue
        earlier = {question for question, _ in questions}
        while True:  # an absent category not asked yet (a scene holds at most 9 of the 66)
            negative = object_existence(rng, objects, positive=False)
            if negative[0] not in earlier:
                break
        questions.append(negative)
    return questions


def write_captions(world, out):
    captions = []
    for sample in json.load(open(f"{world}/train/pretrain.json")):
        question, answer = sample["conversations"][0]["value"], sample["conversations"][1]["value"]
        if answer.startswith(("There is", "There are")):
            captions.append({"id": sample["id"], "image": sample["image"], "conversations": [
                {"from": "human", "value": "<image>\n" + question.replace("<image>\n", "")},
                {"from": "gpt", "value": answer}]})
    with open(out, "w") as f:
        json.dump(captions, f)
    print(json.dumps({"world": world, "captions": len(captions)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("world")
    parser.add_argument("out")
    parser.add_argument("--caption-every", type=int, default=3, help="keep every N-th caption conversation (0: none)")
    parser.add_argument("--object-turns", type=int, default=3, help="object-existence questions per image")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--captions-only", action="store_true", help="write stage 1's caption conversations instead")
    parser.add_argument("--object-existence-only", action="store_true",
                        help="only object-existence questions, each its own one-turn conversation (the harness's setting)")
    parser.add_argument("--multi-turn", action="store_true",
                        help="object-existence questions about different categories; with --object-existence-only all OBJECT_TURNS "
                             "in one conversation per image. Without --independent exactly half are true, which leaks: "
                             "the last answers follow from the earlier ones (Data/pope-investigation.md)")
    parser.add_argument("--with-attributes", action="store_true",
                        help="with --object-existence-only (one question per conversation): a third of the questions "
                             "colour existence and a third shape existence instead of POPE's")
    parser.add_argument("--balanced", action="store_true",
                        help="with --object-existence-only (one question per conversation): draw each false question's "
                             "pair in proportion to how often it is a true question's, so every pair is answered 'Yes' "
                             "about half the time")
    parser.add_argument("--hard-share", type=float, default=2 / 3,
                        help="share of the false object-existence questions that share the colour or the shape with an "
                             "object in the image (POPE's two thirds by default; 0: only random absent categories)")
    parser.add_argument("--independent", action="store_true",
                        help="with --multi-turn: each answer 'Yes' with probability 1/2 on its own, so none leaks; at most "
                             "as many questions per image as it has colour-and-shape categories")
    args = parser.parse_args()
    if args.independent and not args.multi_turn:
        parser.error("--independent needs --multi-turn")
    if args.with_attributes and (args.multi_turn or not args.object_existence_only):
        parser.error("--with-attributes needs --object-existence-only without --multi-turn")
    if args.balanced and (args.multi_turn or args.with_attributes or not args.object_existence_only):
        parser.error("--balanced needs --object-existence-only without --multi-turn or --with-attributes")
    if not 0 <= args.hard_share <= 1:
        parser.error(f"--hard-share is a share, between 0 and 1, not {args.hard_share}")
    if args.multi_turn and args.hard_share != 2 / 3:
        parser.error("--hard-share does not apply to --multi-turn's questions")
    if args.captions_only:
        return write_captions(args.world, args.out)
    rng = random.Random(args.seed)
    multi_turn_questions = independent_questions if args.independent else distinct_questions
    scenes = load_scenes(args.world, "pretrain")
    weights = positive_shares(scenes) if args.balanced else None
    conversations, captions = [], 0
    counts = {"short": 0, "caption": 0, "object_existence": 0, "attribute_existence": 0}
    for sample in json.load(open(f"{args.world}/train/pretrain.json")):
        turns = [(q["value"].replace("<image>\n", ""), a["value"])
                 for q, a in zip(sample["conversations"][0::2], sample["conversations"][1::2])]
        if args.object_existence_only:
            turns = []
        elif len(turns[0][1].split()) > 3:  # a caption conversation
            captions += 1
            keep = args.caption_every > 0 and captions % args.caption_every == 0
            turns = turns if keep else []
            counts["caption"] += len(turns)
        else:
            counts["short"] += len(turns)
        objects = scenes[sample["id"]]["objects"]
        extra = multi_turn_questions(rng, objects, args.object_turns) if args.multi_turn and objects else \
            [object_existence(rng, objects, weights=weights, hard_share=args.hard_share)
             for _ in range(args.object_turns)] if objects else []
        pope = extra
        if args.with_attributes:  # drawn after POPE's questions, so the rest of the stream is unchanged
            extra = [attribute_existence(rng, objects) if rng.random() < 2 / 3 else turn for turn in pope]
        counts["object_existence"] += sum(turn in pope for turn in extra)
        counts["attribute_existence"] += sum(turn not in pope for turn in extra)
        if args.object_existence_only and not args.multi_turn:
            conversations += [{"id": f"{sample['id']}-{k}", "image": sample["image"], "conversations": [
                {"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": a}]} for k, (q, a) in enumerate(extra)]
            continue
        turns = turns + extra
        if not turns:
            continue
        if extra:
            rng.shuffle(turns)
        conversation = []
        for i, (question, answer) in enumerate(turns):
            conversation += [{"from": "human", "value": ("<image>\n" if i == 0 else "") + question},
                             {"from": "gpt", "value": answer}]
        conversations.append({"id": sample["id"], "image": sample["image"], "conversations": conversation})
    with open(args.out, "w") as out:
        json.dump(conversations, out)
    print(json.dumps({"world": args.world, "conversations": len(conversations), "turns": counts}))


if __name__ == "__main__":
    main()
