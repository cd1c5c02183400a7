#!/usr/bin/env python3
"""How long does object existence ("Is there a red star?") sit on a plateau before it is learned,
for the ideal model of the task: a small MLP applied to each of the 9 image tokens together with
the question's colour and shape, maxed (logsumexp) over the cells. Data/pope-investigation.md quotes its
numbers. Needs the Python venv of Scripts/fixtures (torch, transformers, pillow).

    python Scripts/experiments/conjunction_plateau.py WORLD [--features oracle|model] [--hard 0.67]

WORLD is a generated world (vlm-data generate) with at least 24000 pretrain images (e.g.
`vlm-data generate --output /tmp/w5 --seed 5 --train-size 48000`). `--features model` uses
Data/base-model's projector outputs for each cell, `oracle` exact one-hot colour and shape codes.
`--hard` is the share of "No" questions whose colour or shape is in the image (POPE-like).
"""
import argparse, json, random, sys
import torch

COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "gray", "white", "black"]
SHAPES = ["circle", "square", "triangle", "star", "cross", "diamond"]
CELLS = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"]


def model_features(world, scenes, model_path, normalize=True):
    from PIL import Image
    from transformers import LlavaForConditionalGeneration, CLIPImageProcessor
    model = LlavaForConditionalGeneration.from_pretrained(model_path).eval()
    processor = CLIPImageProcessor.from_pretrained(model_path)
    out = []
    with torch.no_grad():
        for i in range(0, len(scenes), 200):
            keys = [s["key"] for s in scenes[i:i + 200]]
            pixels = processor(images=[Image.open(f"{world}/images/pretrain/{k}.png").convert("RGB") for k in keys],
                               return_tensors="pt")["pixel_values"]
            features = model.get_image_features(pixel_values=pixels)
            features = getattr(features, "pooler_output", features)
            features = torch.stack(list(features)) if isinstance(features, (list, tuple)) else features
            out.append(features.reshape(len(keys), 9, -1))
    x = torch.cat(out)
    if not normalize:  # the projector's raw outputs, as the decoder receives them
        return x
    return x / x.pow(2).mean(-1, keepdim=True).sqrt()  # as the decoder's first RMSNorm sees them


def oracle_features(scenes):
    x = torch.zeros(len(scenes), 9, len(COLORS) + len(SHAPES))
    for i, s in enumerate(scenes):
        for o in s["scene"]["objects"]:
            cell = CELLS.index(o["position"])
            x[i, cell, COLORS.index(o["color"])] = 1
            x[i, cell, len(COLORS) + SHAPES.index(o["shape"])] = 1
    return x


def question(rng, scene, hard_share):
    objects = [(o["color"], o["shape"]) for o in scene["objects"]]
    colors, shapes = {c for c, _ in objects}, {s for _, s in objects}
    if rng.random() < 0.5:
        (c, s), answer = rng.choice(objects), 1
    else:
        absent = [(c, s) for c in COLORS for s in SHAPES if (c, s) not in objects]
        hard = [(c, s) for c, s in absent if c in colors or s in shapes]
        (c, s), answer = rng.choice(hard if hard and rng.random() < hard_share else absent), 0
    q = torch.zeros(len(COLORS) + len(SHAPES))
    q[COLORS.index(c)] = 1
    q[len(COLORS) + SHAPES.index(s)] = 1
    return q, answer


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("world")
    p.add_argument("--features", choices=["oracle", "model"], default="model")
    p.add_argument("--model-path", default="Data/base-model")
    p.add_argument("--hard", type=float, default=0.67, help="share of hard negatives among the 'No' questions")
    p.add_argument("--images", type=int, default=24000, help="the last 2000 are held out")
    p.add_argument("--steps", type=int, default=1500)
    args = p.parse_args()
    torch.manual_seed(0)
    scenes = [json.loads(line) for line in open(f"{args.world}/scenes/pretrain.jsonl")][:args.images]
    if len(scenes) < 4000:
        sys.exit(f"{args.world} has {len(scenes)} pretrain scenes; generate at least 4000")
    x = model_features(args.world, scenes, args.model_path) if args.features == "model" else oracle_features(scenes)
    held_out = range(len(scenes) - 2000, len(scenes))
    width = x.shape[-1] + len(COLORS) + len(SHAPES)
    net = torch.nn.Sequential(torch.nn.Linear(width, 256), torch.nn.GELU(), torch.nn.Linear(256, 256),
                              torch.nn.GELU(), torch.nn.Linear(256, 1))
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    rng = random.Random(0)

    def logits(indices):
        questions, answers = zip(*[question(rng, scenes[i]["scene"], args.hard) for i in indices])
        inputs = torch.cat([x[list(indices)], torch.stack(questions)[:, None].expand(-1, 9, -1)], -1)
        return torch.logsumexp(net(inputs).squeeze(-1), 1), torch.tensor(answers, dtype=torch.float)

    for step in range(1, args.steps + 1):
        z, y = logits(rng.sample(range(len(scenes) - 2000), 32))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 300 == 0:
            with torch.no_grad():
                z, y = logits(held_out)
            print(json.dumps({"step": step, "loss": round(loss.item(), 4),
                              "held_out_accuracy": round(((z > 0).float() == y).float().mean().item(), 4)}), flush=True)


if __name__ == "__main__":
    main()
