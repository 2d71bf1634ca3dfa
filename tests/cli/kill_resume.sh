#!/usr/bin/env bash
# Crash safety: `reff train` killed with SIGKILL at random moments (during training, evaluation
# or a checkpoint write) and resumed each time ends with exactly the weights and metrics of an
# uninterrupted run with the same seed. Needs $REFF and the MNIST digits of scripts/install-deps.
set -uo pipefail
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
run=(train --method reff --width 4 --epochs 12 --train-count 256 --val-count 32 --test-count 32
     --explain-count 8 --seed 3)

"$REFF" "${run[@]}" --out "$tmp/straight" >/dev/null 2>&1 || { echo "FAIL: straight run"; exit 1; }
"$REFF" export "$tmp/straight" --checkpoint last --out "$tmp/straight.pth" >/dev/null

kills=0
first=1
for attempt in $(seq 1 40); do
  [ "$kills" -lt 8 ] || break  # enough: the final resume below finishes the run
  args=("${run[@]}" --out "$tmp/killed")
  [ "$first" -eq 1 ] || args=(train --resume --out "$tmp/killed")
  "$REFF" "${args[@]}" >"$tmp/log" 2>&1 &
  pid=$!
  # A random moment between 0.3 and 2.3 s after the start.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + 2.0 * r / 32767 }')"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
    first=0
    [ -e "$tmp/killed/checkpoint-last.pt" ] || [ -e "$tmp/killed/checkpoint-last.pt.prev" ] ||
      first=1  # killed before the first checkpoint: start again
  else
    wait "$pid" || { echo "FAIL: a resumed run failed: $(tail -2 "$tmp/log")"; exit 1; }
    break
  fi
done
# Finish the run: resume, or start it when every kill came before its first checkpoint.
final=(train --resume --out "$tmp/killed")
[ "$first" -eq 0 ] || final=("${run[@]}" --out "$tmp/killed")
"$REFF" "${final[@]}" >"$tmp/log" 2>&1 || { echo "FAIL: final run: $(tail -2 "$tmp/log")"; exit 1; }
"$REFF" export "$tmp/killed" --checkpoint last --out "$tmp/killed.pth" >/dev/null
cmp -s "$tmp/straight.pth" "$tmp/killed.pth" || { echo "FAIL: weights differ after $kills kills"; exit 1; }
# Metrics equal except the timings.
strip() { sed -E 's/"(images_per_s|[a-z_]*seconds|epoch_over_steps)":[^,}]*//g' "$1"; }
[ "$(strip "$tmp/straight/metrics.jsonl")" = "$(strip "$tmp/killed/metrics.jsonl")" ] ||
  { echo "FAIL: metrics differ after $kills kills"; exit 1; }
[ "$kills" -ge 3 ] || { echo "FAIL: only $kills kills happened"; exit 1; }

# SIGTERM (as SIGINT, which a background job of a script ignores): once the first epoch is done,
# the run stops after its current step with a checkpoint (exit 130) and resumes to the same weights.
"$REFF" "${run[@]}" --out "$tmp/interrupted" >"$tmp/int.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "^epoch 1:" "$tmp/int.log" && break; sleep 0.2; done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || { echo "FAIL: SIGTERM gave exit $rc: $(tail -1 "$tmp/int.log")"; exit 1; }
grep -q "^stopped: interrupted after epoch" "$tmp/int.log" ||
  { echo "FAIL: SIGTERM said: $(tail -1 "$tmp/int.log")"; exit 1; }
"$REFF" train --resume --out "$tmp/interrupted" >/dev/null 2>&1 || { echo "FAIL: resume after SIGTERM"; exit 1; }
"$REFF" export "$tmp/interrupted" --checkpoint last --out "$tmp/interrupted.pth" >/dev/null
cmp -s "$tmp/straight.pth" "$tmp/interrupted.pth" || { echo "FAIL: weights differ after SIGTERM"; exit 1; }
echo "kill and resume: $kills SIGKILLs and a SIGTERM, final weights and metrics identical"
