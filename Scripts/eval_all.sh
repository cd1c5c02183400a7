#!/usr/bin/env bash
# Batch scoring: scores every benchmark's answers found in ANSWERS_DIR (<bench>.jsonl) and writes
# OUT_DIR/scores/<bench>.json plus OUT_DIR/summary.md and OUT_DIR/summary.json in the shape of the
# paper's Table 4 (VQAv2, GQA, VisWiz, SQA, VQAT, POPE, MMBench, Avg.) and the text benchmarks.
#
#   Scripts/eval_all.sh ANSWERS_DIR OUT_DIR [DATA_ROOT] [BENCH ...]
#
# DATA_ROOT defaults to playground/data/eval (LLaVA's layout; see Evaluation/<bench>/README.md).
# VLM_EVAL overrides the binary (default: .build/release/vlm-eval, else .build/debug/vlm-eval).
# Extra vlm-eval flags per benchmark: set e.g. VQAV2_FLAGS="--split test-dev". Generation is not
# run here yet: produce the answers first, then score them with this script.
set -euo pipefail
if [ $# -lt 2 ]; then sed -n '2,12p' "$0"; exit 2; fi
ANSWERS_DIR=$1; OUT_DIR=$2; DATA_ROOT=${3:-playground/data/eval}; shift $(( $# >= 3 ? 3 : 2 ))
BENCHES=("$@")
[ ${#BENCHES[@]} -eq 0 ] && BENCHES=(vqav2 gqa vizwiz sqa textvqa pope mmbench boolq piqa siqa hellaswag winogrande arc-e arc-c obqa gsm8k math)
VLM_EVAL=${VLM_EVAL:-}
if [ -z "$VLM_EVAL" ]; then
  if [ -x .build/release/vlm-eval ]; then VLM_EVAL=.build/release/vlm-eval; else VLM_EVAL=.build/debug/vlm-eval; fi
fi
mkdir -p "$OUT_DIR/scores"
declare -A HEADLINE
failed=0
for bench in "${BENCHES[@]}"; do
  answers="$ANSWERS_DIR/$bench.jsonl"
  if [ ! -f "$answers" ]; then echo "skip $bench: no $answers"; continue; fi
  var="$(echo "$bench" | tr 'a-z-' 'A-Z_')_FLAGS"
  # shellcheck disable=SC2086
  if "$VLM_EVAL" "$bench" --score-only --answers-file "$answers" --data-root "$DATA_ROOT" \
      --scores-file "$OUT_DIR/scores/$bench.json" ${!var:-}; then
    # The headline value is the line after "headline" / "name" in the pretty score JSON.
    HEADLINE[$bench]=$(awk '/"headline"/{h=1} h && /"value"/{gsub(/[ ,]/,"",$2); print $2; exit}' "$OUT_DIR/scores/$bench.json")
  else
    echo "FAILED: $bench" >&2; failed=1
  fi
done

fmt() { local v=${HEADLINE[$1]:-}; if [ -z "$v" ] || [ "$v" = null ]; then echo "-"; else printf "%.1f" "$v"; fi; }
avg() {
  local sum=0 n=0 v
  for b in "$@"; do v=${HEADLINE[$b]:-}; if [ -n "$v" ] && [ "$v" != null ]; then sum=$(awk -v s="$sum" -v x="$v" 'BEGIN{print s+x}'); n=$((n+1)); fi; done
  if [ $n -eq 0 ]; then echo "-"; else awk -v s="$sum" -v n="$n" 'BEGIN{printf "%.1f", s/n}'; fi
}
VLM=(vqav2 gqa vizwiz sqa textvqa pope mmbench); TEXT=(boolq piqa siqa hellaswag winogrande arc-e arc-c obqa)
{
  echo "| VQAv2 | GQA | VisWiz | SQA | VQAT | POPE | MMBench | Avg. |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| $(fmt vqav2) | $(fmt gqa) | $(fmt vizwiz) | $(fmt sqa) | $(fmt textvqa) | $(fmt pope) | $(fmt mmbench) | $(avg "${VLM[@]}") |"
  echo
  echo "| BoolQ | PIQA | SIQA | HellaSwag | WinoGrande | ARC-e | ARC-c | OBQA | Avg. | GSM8K | MATH |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  echo "| $(fmt boolq) | $(fmt piqa) | $(fmt siqa) | $(fmt hellaswag) | $(fmt winogrande) | $(fmt arc-e) | $(fmt arc-c) | $(fmt obqa) | $(avg "${TEXT[@]}") | $(fmt gsm8k) | $(fmt math) |"
  echo
  echo "Averages are over the benchmarks scored here; server-scored splits (VQAv2 test-dev, VizWiz test) show '-'."
} > "$OUT_DIR/summary.md"
{
  echo "{"
  first=1
  for b in "${VLM[@]}" "${TEXT[@]}" gsm8k math; do
    v=${HEADLINE[$b]:-null}; [ -z "$v" ] && v=null
    [ $first -eq 0 ] && echo ","; first=0
    printf '  "%s": %s' "$b" "$v"
  done
  printf ',\n  "vlm_avg": %s,\n  "commonsense_avg": %s\n}\n' "$(avg "${VLM[@]}" | sed 's/^-$/null/')" "$(avg "${TEXT[@]}" | sed 's/^-$/null/')"
} > "$OUT_DIR/summary.json"
cat "$OUT_DIR/summary.md"
exit $failed
