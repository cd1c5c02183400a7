"""Assemble Scripts/compare_methods.sh's results into the paper's Table 4 shape.

    python3 Scripts/compare_table.py RUNS_DIR WORLD_DIR

Reads RUNS_DIR/<method>/eval/<bench>_scores.json (vlm-eval's score JSON) and
RUNS_DIR/<method>/heldout/<family>.jsonl (answers to the world's held-out questions), writes
RUNS_DIR/comparison.md, comparison.json and comparison.svg. Standard library only.
"""
import json
import os
import re
import sys

BENCHES = [("vqav2", "VQAv2"), ("gqa", "GQA"), ("vizwiz", "VisWiz"), ("sqa", "SQA"), ("textvqa", "VQAT"),
           ("pope", "POPE"), ("mmbench", "MMBench")]
# The base model learned object existence in pretraining (Data/README.md), so it counts towards
# forgetting, although the world's fine-tuning task asks it too (two questions in every conversation).
PRETRAIN = ["caption", "color", "shape", "shape_existence", "object_existence"]
FINETUNE = ["counting", "reading", "position", "multiple_choice"]


def normalise(text):
    return re.sub(r"[.\s]+$", "", text.strip().lower())


def heldout_score(world, family, answers_path):
    """Exact match (captions: SQuAD-style token F1) against the world's held-out answers, in %."""
    truth = {}
    for line in open(os.path.join(world, "heldout", family + ".jsonl")):
        record = json.loads(line)
        truth[record["question_id"]] = record["answer"]
    answers = {}
    for line in open(answers_path):
        record = json.loads(line)
        answers[record["question_id"]] = record["text"]
    total = 0.0
    for qid, gold in truth.items():
        guess = answers.get(qid, "")
        if family == "caption":
            g, p = normalise(gold).split(), normalise(guess).split()
            common = sum(min(g.count(w), p.count(w)) for w in set(p))
            total += 0 if common == 0 else 2 * common / (len(g) + len(p))
        else:
            total += normalise(guess) == normalise(gold)
    return 100 * total / max(1, len(truth))


def headline(path):
    if not os.path.exists(path):
        return None
    report = json.load(open(path))
    value = report.get("headline", {}).get("value") if isinstance(report.get("headline"), dict) else report.get("headline")
    if value is None:
        for key in ("score", "accuracy", "overall"):
            if isinstance(report.get(key), (int, float)):
                value = report[key]
    return value


def main():
    runs, world = sys.argv[1], sys.argv[2]
    methods = [m for m in ["base", "lora", "pissa", "milora"] if os.path.isdir(os.path.join(runs, m))]
    table = {}
    for method in methods:
        row = {}
        for bench, _ in BENCHES:
            row[bench] = headline(os.path.join(runs, method, "eval", bench + "_scores.json"))
        for family in PRETRAIN + FINETUNE:
            path = os.path.join(runs, method, "heldout", family + ".jsonl")
            row["heldout_" + family] = heldout_score(world, family, path) if os.path.exists(path) else None
        vision = [row[b] for b, _ in BENCHES if row[b] is not None]
        row["avg"] = sum(vision) / len(vision) if vision else None
        kept = [row["heldout_" + f] for f in PRETRAIN if row["heldout_" + f] is not None]
        row["pretraining_tasks"] = sum(kept) / len(kept) if kept else None
        learned = [row["heldout_" + f] for f in FINETUNE if row["heldout_" + f] is not None]
        row["finetuning_tasks"] = sum(learned) / len(learned) if learned else None
        table[method] = row
    json.dump(table, open(os.path.join(runs, "comparison.json"), "w"), indent=2)

    def cell(v):
        return "-" if v is None else f"{v:.1f}"
    header = "| Method | " + " | ".join(name for _, name in BENCHES) + " | Avg. | new tasks (held-out) | pretraining tasks (forgetting) |"
    lines = [header, "|" + "---|" * (len(BENCHES) + 4)]
    for method in methods:
        row = table[method]
        lines.append(f"| {method} | " + " | ".join(cell(row[b]) for b, _ in BENCHES) +
                     f" | {cell(row['avg'])} | {cell(row['finetuning_tasks'])} | {cell(row['pretraining_tasks'])} |")
    open(os.path.join(runs, "comparison.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))

    # A grouped bar chart: one group per column, one bar per method.
    columns = [(b, n) for b, n in BENCHES] + [("finetuning_tasks", "new tasks"), ("pretraining_tasks", "pretraining")]
    colours = {"base": "#7f7f7f", "lora": "#1f77b4", "pissa": "#ff7f0e", "milora": "#d62728"}
    width, height, left, bottom, top = 900, 360, 50, 60, 30
    group = (width - left - 20) / len(columns)
    bar = group * 0.8 / max(1, len(methods))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">LoRA vs PiSSA vs MiLoRA on the built-in world (score, %)</text>']
    scale = (height - top - bottom) / 100
    for tick in range(0, 101, 20):
        y = height - bottom - tick * scale
        svg.append(f'<line x1="{left}" x2="{width - 20}" y1="{y}" y2="{y}" stroke="#ddd"/><text x="{left - 5}" y="{y + 4}" text-anchor="end">{tick}</text>')
    for i, (key, name) in enumerate(columns):
        x0 = left + i * group + group * 0.1
        for j, method in enumerate(methods):
            value = table[method].get(key)
            if value is None:
                continue
            h = max(0.0, min(100.0, value)) * scale
            svg.append(f'<rect x="{x0 + j * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar * 0.95:.1f}" height="{h:.1f}" fill="{colours[method]}"/>')
        svg.append(f'<text x="{left + (i + 0.5) * group:.1f}" y="{height - bottom + 15}" text-anchor="middle">{name}</text>')
    for j, method in enumerate(methods):
        svg.append(f'<rect x="{left + 10 + 90 * j}" y="{height - 22}" width="10" height="10" fill="{colours[method]}"/>'
                   f'<text x="{left + 24 + 90 * j}" y="{height - 13}">{method}</text>')
    svg.append("</svg>")
    open(os.path.join(runs, "comparison.svg"), "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
