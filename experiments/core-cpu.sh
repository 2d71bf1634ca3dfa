#!/usr/bin/env bash
# The training core's measurements on the cpu preset (issue: ReFF training core):
#   1. trained at (p, q) = (0, 1), tested at (1, 1) "shift" and (0, 1) "iid":
#      baseline, and paper-form ReFF with lambda in {1e-5, 1e-4, 1e-3}, chosen by val accuracy
#      (val comes from the training distribution, as the paper's split);
#   2. the no-shortcut control: trained and tested at p = 1, baseline and ReFF (chosen lambda).
# Each run is a run folder under OUT; a finished run (checkpoint at the last epoch) is skipped, an
# interrupted one resumes. Summary lines go to OUT/summary.txt.
#   usage: experiments/core-cpu.sh [OUT] [SEED]     (default runs/core-cpu, seed 0)
# The composition and start it measured: cpu-preset-before-pretraining.sh.
set -euo pipefail
source "$(dirname "$0")/cpu-preset-before-pretraining.sh"
reff="${REFF:-build/reff}"
out="${1:-runs/core-cpu}"
seed="${2:-0}"
mkdir -p "$out"
summary="$out/summary.txt"

run() {  # run NAME ARGS...: train (or resume) and record the summary line and the wall time
  local name="$1"; shift
  local dir="$out/$name"
  if [ -f "$dir/checkpoint-last.pt" ]; then
    if grep -q "^$name " "$summary" 2>/dev/null; then return; fi
    set -- "$@" --resume
  fi
  local start=$SECONDS
  "$reff" train --preset cpu --seed "$seed" "${before_pretraining[@]}" "$@" --out "$dir" \
    2>"$dir.log" | tee "$dir.out"
  echo "$name $(head -1 "$dir.out") [wall $((SECONDS - start))s]" >>"$summary"
}

val_of() { sed -n 's/.*(val accuracy \([0-9.]*\)).*/\1/p' "$out/$1.out"; }

run baseline-p0 --method baseline
best=""
for lambda in 1e-5 1e-4 1e-3; do
  run "reff-p0-lambda$lambda" --method reff --lambda "$lambda"
  v="$(val_of "reff-p0-lambda$lambda")"
  if [ -z "$best" ] || awk "BEGIN{exit !($v > $best_val)}"; then best="$lambda"; best_val="$v"; fi
done
echo "lambda chosen on val: $best (val accuracy $best_val)" | tee -a "$summary"
run baseline-p1 --method baseline --p 1 --test shift:1:1
run "reff-p1-lambda$best" --method reff --p 1 --lambda "$best" --test shift:1:1
