#!/usr/bin/env bash
# The pseudo-annotator's measurements on the cpu preset (issue: pseudo-annotator):
#   1. annotators trained on n in {1, 5, 10, 20, 50} annotated images per class: held-out IoU,
#      Dice and training time (OUT/n*/eval.json), and the paper's Fig. 2 as OUT/annotations.png;
#   2. ReFF trained at (p, q) = (0, 1) with the n = 10 annotator's pseudo-annotations (Algorithm 1)
#      against ReFF with every mask (ALL_MASKS_RUN, e.g. from experiments/core-cpu.sh), same seeds
#      and lambda.
# Finished steps are skipped, so a rerun resumes.
#   usage: experiments/annotator-cpu.sh [OUT] [LAMBDA]    (default runs/annotator-cpu, 1e-4)
# The composition and start it measured: cpu-preset-before-pretraining.sh.
set -euo pipefail
source "$(dirname "$0")/cpu-preset-before-pretraining.sh"
reff="${REFF:-build/reff}"
out="${1:-runs/annotator-cpu}"
lambda="${2:-1e-4}"
mkdir -p "$out"
for n in 1 5 10 20 50; do
  dir="$out/n$n"
  [ -f "$dir/eval.json" ] && continue
  resume=; [ -f "$dir/config.json" ] && resume=--resume
  "$reff" annotator train --preset cpu "${before_pretraining_data[@]}" --annotated-n "$n" \
    --out "$dir" $resume 2>"$dir.log" |
    tee -a "$out/summary.txt"
done
"$reff" annotator show "$out/n50" "$out/n20" "$out/n10" "$out/n5" "$out/n1" \
  --out "$out/annotations.png" >/dev/null
run="$out/reff-n10-lambda$lambda"
if ! grep -q "^reff-n10 " "$out/summary.txt"; then
  resume=; [ -f "$run/config.json" ] && resume=--resume
  start=$SECONDS
  "$reff" train --preset cpu "${before_pretraining[@]}" --method reff --lambda "$lambda" \
    --annotator "$out/n10" \
    --out "$run" $resume 2>"$run.log" >"$run.out"
  echo "reff-n10 $(head -1 "$run.out") [wall $((SECONDS - start))s]" >>"$out/summary.txt"
fi
