#!/usr/bin/env python3
"""Which existence questions can the base model's 4-layer decoder learn, alone and together?

POPE on the synthetic world asks for a colour and a shape ("Is there a red star?").
Scripts/pope_attribute_ceiling.py shows that knowing which colours and which shapes are in the
image, without binding them, already gives POPE 92.8, so the decoder needs two existence skills:
colour existence ("Is there anything gray in the image?", `ce`) and shape existence ("Is there a
star in the image?", `se`); `oe` is POPE's own question with its mix of hard negatives; `and`
asks for both attributes anywhere in the image ("Is there anything gray and a star in the
image?"), the answerer that gives POPE 92.8. This trains Data/base-model's decoder and LM head
(full training, AdamW, cosine with warm-up, batch --batch, gradient clipping 1.0) on image
features computed once, and prints held-out accuracy on all four every fifth of the run (or
every --report-every steps). Data/pope-investigation.md quotes its numbers. Needs the Python venv of
Scripts/fixtures (torch, transformers, pillow).

    python Scripts/experiments/existence_interference.py WORLD --task ce|se|cese|oe|and|cesand|oecese
        [--init fresh|base|CHECKPOINT.pt] [--features model|tower|additive|offsets|fitted|oracle]
        [--lr 1e-3] [--steps 600]
        [--batch 32] [--report-every N] [--save CHECKPOINT.pt] [--cache FEATURES.pt] [--heads N] [--layers N]
    python Scripts/experiments/existence_interference.py WORLD --feature-stats [--cache FEATURES.pt]

WORLD is a generated world with at least 4000 pretrain images (the first 24000 are used, the
last 2000 of them held out). `--features model` gives each cell the committed tower and
projector's output; `oracle` gives it a fixed random code for its colour plus one for its shape
(nothing for an empty cell). `--init fresh` is a randomly initialised decoder with the committed
token embeddings, with `--heads` attention heads (head size = width / heads) and `--layers` layers
if given (a checkpoint of `--save` keeps them); `cese` alternates colour and shape existence at
random, `cesand` adds `and`, `oecese` asks object, colour and shape existence side by side.
`--feature-stats` prints how much of the (RMS-normalised) object cells' energy is one shared
vector, how much of the rest colour and shape each explain (and the other objects of the scene,
which a cell sees through the tower's attention), and the closest pairs of centred class means,
then stops. `--features additive` keeps only the model's class
means (each object cell = the mean object cell + its colour's and its shape's mean offsets),
`offsets` only the two offsets (nothing shared, nothing in empty cells), `tower` trains the
projector with the decoder, `fitted` maps the tower's features onto the oracle codes with a
projector-shaped MLP fitted beforehand (a stand-in for a tower trained towards fixed codes).
"""
import argparse, json, math, os, random, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conjunction_plateau import CELLS, COLORS, SHAPES, model_features, oracle_features  # noqa: E402

SUFFIX = "\nAnswer the question using a single word or phrase."
TASKS = {"ce": ["ce"], "se": ["se"], "oe": ["oe"], "and": ["and"], "cese": ["ce", "se"], "cesand": ["ce", "se", "and"],
         "oecese": ["oe", "ce", "se"]}


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def question(rng, scene, kind):
    objects = [(o["color"], o["shape"]) for o in scene["objects"]]
    colors, shapes = {c for c, _ in objects}, {s for _, s in objects}
    if kind == "ce":
        c = rng.choice(sorted(colors)) if rng.random() < .5 else rng.choice([c for c in COLORS if c not in colors])
        return f"Is there anything {c} in the image?", "Yes" if c in colors else "No"
    if kind == "se":
        s = rng.choice(sorted(shapes)) if rng.random() < .5 else rng.choice([s for s in SHAPES if s not in shapes])
        return f"Is there {article(s)} {s} in the image?", "Yes" if s in shapes else "No"
    if kind == "and":  # both attributes anywhere in the image, not necessarily on one object
        c = rng.choice(sorted(colors)) if rng.random() < .6 else rng.choice([c for c in COLORS if c not in colors])
        s = rng.choice(sorted(shapes)) if rng.random() < .6 else rng.choice([s for s in SHAPES if s not in shapes])
        return f"Is there anything {c} and {article(s)} {s} in the image?", "Yes" if c in colors and s in shapes else "No"
    if rng.random() < .5:
        (c, s), answer = rng.choice(objects), "Yes"
    else:  # POPE-like: two thirds of the negatives share the colour or the shape with an object
        hard_draw, answer = rng.random(), "No"
        absent = [(c, s) for c in COLORS for s in SHAPES if (c, s) not in objects]
        hard = [(c, s) for c, s in absent if s in shapes or c in colors]
        c, s = rng.choice(hard if hard_draw < .67 and hard else absent)
    return f"Is there {article(c)} {c} {s} in the image?", answer


def oracle_codes(scenes, width):
    """A fixed random code per colour and per shape, summed in each object's cell."""
    codes = torch.randn(len(COLORS) + len(SHAPES), width, generator=torch.Generator().manual_seed(1)) * 10.6
    return oracle_features(scenes) @ codes


def additive_features(features, scenes, shared_mean=True):
    """Each object cell as the mean object cell plus its colour's and its shape's mean offsets from
    it (the model's own geometry, no noise, nothing else); empty cells as the mean empty cell.
    Without shared_mean, only the two offsets, and nothing in empty cells."""
    occupied = oracle_features(scenes)
    colour, shape = occupied[..., :len(COLORS)], occupied[..., len(COLORS):]
    has_object = colour.sum(-1) > 0
    mean = features[has_object].mean(0)
    colour_means = torch.stack([features[colour[..., k] > 0].mean(0) - mean for k in range(len(COLORS))])
    shape_means = torch.stack([features[shape[..., k] > 0].mean(0) - mean for k in range(len(SHAPES))])
    out = colour @ colour_means + shape @ shape_means
    if not shared_mean:
        return out
    return torch.where(has_object[..., None], out + mean, features[~has_object].mean(0))


def fitted_codes(tower, codes, n_train, steps=3000):
    """A projector-shaped MLP (Linear, GELU, Linear) fitted by least squares to map each cell's
    tower features onto its oracle code: what a tower and projector trained towards fixed codes
    (rather than to classify) would give the decoder, noise included."""
    torch.manual_seed(0)
    width = tower.shape[-1]
    mlp = torch.nn.Sequential(torch.nn.Linear(width, codes.shape[-1]), torch.nn.GELU(), torch.nn.Linear(codes.shape[-1], codes.shape[-1]))
    x, y = tower[:n_train].reshape(-1, width), codes[:n_train].reshape(-1, codes.shape[-1])
    optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    for step in range(steps):
        rows = torch.randint(0, len(x), (512,))
        loss = (mlp(x[rows]) - y[rows]).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        out = mlp(tower)
        held = codes[n_train:]
        r2 = 1 - (out[n_train:] - held).pow(2).sum() / (held - held.mean((0, 1))).pow(2).sum()
    print(json.dumps({"fitted_codes_held_out_r2": round(r2.item(), 4)}), flush=True)
    return out


def cached(path, compute):
    """compute(), kept in path (if given) for the next run."""
    if path and os.path.exists(path):
        return torch.load(path)
    features = compute()
    if path:
        torch.save(features, path)
    return features


def check_width(features, width, cache):
    """--features model caches the projector's outputs, tower and fitted the tower's: not interchangeable."""
    if features.shape[-1] != width:
        sys.exit(f"{cache}: features of width {features.shape[-1]}, this mode needs {width}; "
                 "was it written with another --features?")


def tower_features(world, scenes, model_path):
    """The tower's selected features, as the projector receives them: a hook on its input."""
    inputs = []
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, output: inputs.append(args[0]) if type(module).__name__ == "LlavaMultiModalProjector" else None)
    try:
        model_features(world, scenes, model_path, normalize=False)
    finally:
        hook.remove()
    return torch.cat(inputs).reshape(len(scenes), 9, -1)


def feature_stats(features, scenes):
    cells, labels, others = [], {"colour": [], "shape": []}, []
    for i, scene in enumerate(scenes):
        for o in scene["objects"]:
            cells.append(features[i, CELLS.index(o["position"])])
            labels["colour"].append(COLORS.index(o["color"]))
            labels["shape"].append(SHAPES.index(o["shape"]))
            other = torch.zeros(len(COLORS) + len(SHAPES))  # the other objects' attributes
            for p in scene["objects"]:
                if p is not o:
                    other[COLORS.index(p["color"])] += 1
                    other[len(COLORS) + SHAPES.index(p["shape"])] += 1
            others.append(other)
    x = torch.stack(cells)
    x = x / x.pow(2).mean(-1, keepdim=True).sqrt()
    shared = x.mean(0).pow(2).sum() / x.pow(2).sum(-1).mean()
    x = x - x.mean(0)
    total = x.pow(2).sum(-1).mean()
    own = torch.cat([torch.nn.functional.one_hot(torch.tensor(labels["colour"]), len(COLORS)),
                     torch.nn.functional.one_hot(torch.tensor(labels["shape"]), len(SHAPES))], 1).float()

    def explained(z):  # share of the centred cells' variance a least-squares fit on z explains
        z = torch.cat([z, torch.ones(len(z), 1)], 1)
        return 1 - (x - z @ torch.linalg.lstsq(z, x).solution).pow(2).sum() / x.pow(2).sum()
    print(json.dumps({"shared_mean_share_of_object_cells": round(shared.item(), 3),
                      "explained_by_own_colour_and_shape": round(explained(own).item(), 3),
                      "explained_adding_other_objects": round(explained(torch.cat([own, torch.stack(others)], 1)).item(), 3)}))
    for name, names in (("colour", COLORS), ("shape", SHAPES)):
        label = torch.tensor(labels[name])
        means = torch.stack([x[label == k].mean(0) for k in range(len(names))])
        between = sum((label == k).float().mean() * means[k].pow(2).sum() for k in range(len(names)))
        unit = means / means.norm(dim=-1, keepdim=True)
        cosine = unit @ unit.T - 2 * torch.eye(len(names))
        pairs = sorted(((cosine[a, b].item(), names[a], names[b]) for a in range(len(names)) for b in range(a)), reverse=True)
        print(json.dumps({"attribute": name, "between_class_variance_share": round((between / total).item(), 3),
                          "closest_class_means": [[a, b, round(c, 2)] for c, a, b in pairs[:3]]}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("world")
    p.add_argument("--task", choices=sorted(TASKS))
    p.add_argument("--feature-stats", action="store_true", help="print the features' colour and shape statistics and stop")
    p.add_argument("--init", default="fresh", help="fresh, base, or a checkpoint written by --save")
    p.add_argument("--features", choices=["model", "tower", "additive", "offsets", "fitted", "oracle"], default="model")
    p.add_argument("--model-path", default="Data/base-model")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--report-every", type=int, help="held-out accuracy every this many steps (default: a fifth of the run)")
    p.add_argument("--save", help="write the decoder's state here at the end")
    p.add_argument("--cache", help="the model's (or, for tower and fitted, the tower's) features: load from this file, or compute and write it")
    p.add_argument("--heads", type=int, help="attention heads of a fresh decoder (default: the base model's)")
    p.add_argument("--layers", type=int, help="layers of a fresh decoder (default: the base model's)")
    args = p.parse_args()
    if not args.task and not args.feature_stats:
        p.error("give --task or --feature-stats")
    from transformers import AutoTokenizer, LlavaConfig, LlavaForConditionalGeneration
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = LlavaForConditionalGeneration.from_pretrained(args.model_path)
    if (args.heads or args.layers) and args.init == "base":
        sys.exit("--heads and --layers shape a fresh decoder (or one saved from it), not the base model")
    checkpoint = None if args.init in ("base", "fresh") else torch.load(args.init)
    if isinstance(checkpoint, dict) and "state_dict" in checkpoint:  # its shape, as --save wrote it
        for name in ("heads", "layers"):
            if getattr(args, name) not in (None, checkpoint[name]):
                sys.exit(f"--{name} {getattr(args, name)} differs from the checkpoint's {checkpoint[name]}")
            setattr(args, name, checkpoint[name])
        checkpoint = checkpoint["state_dict"]
    base_projector = model.model.multi_modal_projector.state_dict()
    if args.init != "base":
        config = LlavaConfig.from_pretrained(args.model_path)
        text = config.text_config
        text.num_hidden_layers = args.layers or text.num_hidden_layers
        if args.heads:
            if text.hidden_size % args.heads:
                sys.exit(f"--heads {args.heads} does not divide the width {text.hidden_size}")
            text.num_attention_heads = text.num_key_value_heads = args.heads
            text.head_dim = text.hidden_size // args.heads
        fresh = LlavaForConditionalGeneration(config)
        fresh.model.language_model.embed_tokens.load_state_dict(model.model.language_model.embed_tokens.state_dict())
        model = fresh
        if checkpoint is not None:
            model.load_state_dict(checkpoint)
    decoder, head = model.model.language_model, model.lm_head
    projector = model.model.multi_modal_projector if args.features == "tower" else None
    tokenizer = AutoTokenizer.from_pretrained(args.model_path)
    scenes = [json.loads(line) for line in open(f"{args.world}/scenes/pretrain.jsonl")][:24000]
    if len(scenes) < 4000:
        sys.exit(f"{args.world} has {len(scenes)} pretrain scenes; generate at least 4000")
    if args.features == "oracle":
        features = oracle_codes(scenes, decoder.config.hidden_size)
    elif args.features in ("tower", "fitted"):
        features = cached(args.cache, lambda: tower_features(args.world, scenes, args.model_path))
        check_width(features, model.config.vision_config.hidden_size, args.cache)
        if args.features == "fitted":  # the tower's features mapped onto the oracle codes
            features = fitted_codes(features, oracle_codes(scenes, decoder.config.hidden_size), len(scenes) - 2000)
        elif args.init == "fresh":  # tower: the committed projector, training with the decoder
            model.model.multi_modal_projector.load_state_dict(base_projector)
    else:
        features = cached(args.cache, lambda: model_features(args.world, scenes, args.model_path, normalize=False))
        check_width(features, decoder.config.hidden_size, args.cache)
        if args.features in ("additive", "offsets"):
            features = additive_features(features, scenes, shared_mean=args.features == "additive")
    scenes = [s["scene"] for s in scenes]
    if args.feature_stats:
        return feature_stats(features, scenes)
    train, held_out = range(0, len(scenes) - 2000), range(len(scenes) - 2000, len(scenes))
    embed = decoder.embed_tokens
    before = tokenizer("USER: ").input_ids  # BOS and the turn's opening, the same for every question

    def image_tokens(i):
        return projector(features[i]) if projector is not None else features[i]

    def batch(rng, indices, kinds, with_answer=True):
        """LLaVA v1 turns without the system prompt: USER: <image>\\nQ ASSISTANT: A</s>."""
        sequences, labels, answers = [], [], []
        for i, kind in zip(indices, kinds):
            q, a = question(rng, scenes[i], kind)
            after = tokenizer("\n" + q + SUFFIX + " ASSISTANT:", add_special_tokens=False).input_ids
            answer = tokenizer("\n" + q + SUFFIX + " ASSISTANT: " + a + "</s>", add_special_tokens=False).input_ids[len(after):]
            tail = after + (answer if with_answer else [])
            sequences.append(torch.cat([embed(torch.tensor(before)), image_tokens(i), embed(torch.tensor(tail))]))
            labels.append([-100] * (len(before) + 9 + len(after)) + answer)
            answers.append(a)
        length = max(len(s) for s in sequences)
        x = torch.zeros(len(sequences), length, decoder.config.hidden_size)
        mask = torch.zeros(len(sequences), length, dtype=torch.long)
        y = torch.full((len(sequences), length), -100)
        for j, s in enumerate(sequences):
            if with_answer:  # right padding for training, left padding to read the last position
                x[j, :len(s)], mask[j, :len(s)], y[j, :len(s)] = s, 1, torch.tensor(labels[j])
            else:
                x[j, length - len(s):], mask[j, length - len(s):] = s, 1
        return x, mask, y, answers

    yes, no = (tokenizer(w, add_special_tokens=False).input_ids[0] for w in ("Yes", "No"))

    @torch.no_grad()
    def accuracy(kind):
        rng, right, indices = random.Random(7), 0, list(held_out)[:600]
        for i in range(0, len(indices), 200):
            x, mask, _, answers = batch(rng, indices[i:i + 200], [kind] * 200, with_answer=False)
            logits = head(decoder(inputs_embeds=x, attention_mask=mask).last_hidden_state[:, -1])
            right += sum(("Yes" if l[yes] > l[no] else "No") == a for l, a in zip(logits, answers))
        return round(right / len(indices), 3)

    def report(step, loss=None):
        print(json.dumps({"step": step, "loss": loss, **{k: accuracy(k) for k in ("oe", "ce", "se", "and")}}), flush=True)

    parameters = list(decoder.parameters()) + list(head.parameters()) + list(projector.parameters() if projector else [])
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.0)
    warmup = max(1, args.steps // 30)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: s / warmup if s < warmup else
                                                 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, args.steps - warmup))))
    rng, kinds = random.Random(0), TASKS[args.task]
    report(0)
    for step in range(1, args.steps + 1):
        indices = rng.sample(train, args.batch)
        x, mask, y, _ = batch(rng, indices, [rng.choice(kinds) for _ in indices])
        logits = head(decoder(inputs_embeds=x, attention_mask=mask).last_hidden_state)
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), y[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        schedule.step()
        if step % (args.report_every or max(1, args.steps // 5)) == 0:
            report(step, round(loss.item(), 4))
    if args.save:
        text = decoder.config
        torch.save({"heads": text.num_attention_heads, "layers": text.num_hidden_layers,
                    "state_dict": model.state_dict()}, args.save)


if __name__ == "__main__":
    main()
