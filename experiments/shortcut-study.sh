#!/usr/bin/env bash
# The shortcut study (issue #4) on the cpu preset: train (p, q) = (0, 1), test (1, 1) "shift" and
# (0, 1) "iid"; one run folder per configuration and seed under OUT (finished runs are skipped,
# interrupted ones resume); a summary line per run in OUT/summary.txt.
#   usage: experiments/shortcut-study.sh OUT SEED CONFIG...
# Environment: REFF (the reff command, words split: default build/reff), TRAIN_ARGS (more reff
# train options for every run, e.g. --device cuda).
# Every run uses the composition and start the study measured (docs/results/shortcut-study.md):
# the cpu preset's before the pretrained start (cpu-preset-before-pretraining.sh).
# Configurations (each a named set of reff train options):
#   baseline               cross-entropy only
#   swap                   cross-entropy on background-swapped images (the competitor)
#   paper-L                paper-form ReFF (label logit, ReLU, mass outside the mask), lambda L
#   rrr-L                  Right for the Right Reasons (input gradients), lambda L
#   norm-L                 ReFF on normalised maps (share outside the mask), lambda L
#   norm-abs-lmm-L         ... with |map| and the target z_c - mean_j z_j, lambda L
#   norm-abs-lmm-L-warm3   ... with lambda ramping up over 3 epochs
#   hires-L, hires-abs-lmm-L   norm-L and norm-abs-lmm-L on HiResCAM maps
#   CONFIG+swap            the configuration on background-swapped images
#   CONFIG@p1              the configuration trained without the shortcut (p = 1): the control
set -euo pipefail
read -ra reff <<<"${REFF:-build/reff}"
read -ra train_args <<<"${TRAIN_ARGS:-}"
out="$1"; seed="$2"; shift 2
source "$(dirname "$0")/cpu-preset-before-pretraining.sh"
mkdir -p "$out"
summary="$out/summary.txt"

options_of() {
  case "$1" in
    *@p1) echo "$(options_of "${1%@p1}") --p 1" ;;
    *+swap) echo "$(options_of "${1%+swap}") --background-swap true" ;;
    baseline) echo "--method baseline" ;;
    swap) echo "--method baseline --background-swap true" ;;
    rrr-*) echo "--method rrr --lambda ${1#rrr-}" ;;
    hires-abs-lmm-*) echo "--method reff --cam-weighting hirescam --cam-normalise true --cam-rectifier abs --cam-target logit-minus-mean --lambda ${1#hires-abs-lmm-}" ;;
    hires-*) echo "--method reff --cam-weighting hirescam --cam-normalise true --lambda ${1#hires-}" ;;
    paper-*) echo "--method reff --lambda ${1#paper-}" ;;
    norm-abs-lmm-*-warm3) local l="${1#norm-abs-lmm-}"; l="${l%-warm3}"
      echo "--method reff --cam-normalise true --cam-rectifier abs --cam-target logit-minus-mean --lambda $l --lambda-warmup 3" ;;
    norm-abs-lmm-*) echo "--method reff --cam-normalise true --cam-rectifier abs --cam-target logit-minus-mean --lambda ${1#norm-abs-lmm-}" ;;
    norm-*) echo "--method reff --cam-normalise true --lambda ${1#norm-}" ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}

for config in "$@"; do
  name="$config-seed$seed"
  dir="$out/$name"
  if grep -q "^$name " "$summary" 2>/dev/null; then continue; fi
  # shellcheck disable=SC2046
  args=($(options_of "$config"))
  if [ -f "$dir/checkpoint-last.pt" ]; then
    args=(--resume)
  else
    args=("${before_pretraining[@]}" "${args[@]}" "${train_args[@]}")
  fi
  start=$SECONDS
  "${reff[@]}" train --preset cpu --seed "$seed" "${args[@]}" --out "$dir" 2>"$dir.log" | tee "$dir.out"
  echo "$name $(head -1 "$dir.out") [wall $((SECONDS - start))s]" >>"$summary"
done
