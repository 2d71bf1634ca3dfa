#!/usr/bin/env bash
# reff tune's --jobs: the same small sweep (cpu preset, baseline and ReFF, 2 seeds, DFR: 8 cells)
# run with --jobs 2 --threads 1 and with --jobs 1 --threads 2, alternating, ROUNDS times each, in
# fresh folders. Prints each run's wall time and the median of each form. Not a test: the faster
# form is the default (docs/tune.md).
#   bench/tune_jobs.sh [REFF (build/reff)] [ROUNDS (1)] [EPOCHS (2)]
set -euo pipefail
reff="${1:-build/reff}"
rounds="${2:-1}"
epochs="${3:-2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sweep=(tune --preset cpu --val balanced:1:1 --methods baseline,reff --lambdas reff:1e-3
       --seeds 2 --grow 0 --epochs "$epochs")
"$reff" pretrain --preset cpu >/dev/null 2>&1  # the stand-in backbone, cached, outside the timing
declare -A times
for round in $(seq 1 "$rounds"); do
  for form in "2 1" "1 2"; do
    set -- $form
    out="$tmp/jobs$1-round$round"
    start=$(date +%s.%N)
    "$reff" --threads "$2" "${sweep[@]}" --jobs "$1" --out "$out" >"$out.log" 2>&1 ||
      { echo "failed: --jobs $1 --threads $2: $(tail -2 "$out.log")"; exit 1; }
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    times["$1"]+="$seconds "
    printf 'round %d  --jobs %s --threads %s  %7.1f s  %s\n' "$round" "$1" "$2" "$seconds" \
      "$(tail -1 "$out.log")"
  done
done
for jobs in 2 1; do
  median=$(printf '%s\n' ${times[$jobs]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf 'median --jobs %s: %.1f s\n' "$jobs" "$median"
done
