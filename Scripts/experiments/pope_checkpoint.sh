#!/usr/bin/env bash
# POPE of a `vlm-tune --tune full` checkpoint, mid-run: merge RUN/checkpoint-STEP onto the run's
# starting model BASE (merge_full_checkpoint.py) as RUN/model-STEP, score it on the built-in POPE
# set, and print the headline with each split's accuracy and "yes" ratio.
#
#   PYTHON=/path/to/venv/bin/python Scripts/experiments/pope_checkpoint.sh BASE RUN STEP
#
# Writes RUN/pope-STEP.jsonl (answers), RUN/pope-STEP.json (scores) and RUN/pope-STEP.log.
# A split answered "No" throughout cannot be scored (no true positive): look at the answers.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 3 ] || { sed -n 2,9p "$0" >&2; exit 2; }
base=$1 run=$2 step=$3
PYTHON="${PYTHON:-python3}"
model="$run/model-$step"
[ -d "$run/checkpoint-$step" ] || { echo "no checkpoint $run/checkpoint-$step" >&2; exit 1; }
# The weights are the merge's last write: a folder without them is an interrupted merge, redone.
[ -f "$model/model.safetensors" ] || "$PYTHON" Scripts/experiments/merge_full_checkpoint.py "$base" "$run/checkpoint-$step" "$model" >/dev/null
if ! .build/release/vlm-eval pope --model-path "$model" --answers-file "$run/pope-$step.jsonl" \
  --scores-file "$run/pope-$step.json" --batch-size 16 >/dev/null 2>"$run/pope-$step.log"; then
  tail -n 3 "$run/pope-$step.log" >&2
  [ -f "$run/pope-$step.jsonl" ] || exit 1  # it failed before answering: the log says why
  python3 - "$run/pope-$step.jsonl" <<'PY' >&2
import json, sys
answers = [json.loads(line)["text"].strip().lower() for line in open(sys.argv[1])]
print(f"{sys.argv[1]}: {sum(a.startswith('yes') for a in answers)} of {len(answers)} answers are 'yes'")
PY
  exit 1
fi
python3 - "$run/pope-$step.json" <<'PY'
import json, sys
scores = json.load(open(sys.argv[1]))
splits = scores["metrics"]
print(f"{sys.argv[1]}: POPE {scores['headline']['value']:.1f}; accuracy / yes ratio " + ", ".join(
    f"{name} {100 * splits[name]['accuracy']:.1f} / {100 * splits[name]['yes_ratio']:.0f}%"
    for name in ("random", "popular", "adversarial")))
PY
