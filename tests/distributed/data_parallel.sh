#!/usr/bin/env bash
# Data parallelism over Gloo on 127.0.0.1 (issue #9): REFF=path/to/reff WORKER=path/to/worker
#   1. two processes train exactly what one process trains with the same global batch and seed
#   1b. interrupted (one rank asks to stop) and resumed: the same weights as without the stop
#   1c. with BatchNorm: synchronised, 2 processes = 1; per process, they differ
#   2. a worker killed with SIGKILL makes its peer exit non-zero within the timeout
#   3. reff launch passes a dead worker's failure on, naming its rank, and stops the others
#   4. a rank that never arrives: the other exits non-zero naming it
#   5. reff launch -- train (the cpu preset, a few steps) completes and writes one run folder
#   6. reff launch -- annotator train likewise; commands that run in one process refuse
#   7. reff launch -- experiment (micro table 3): one report; the same command again runs nothing
set -uo pipefail
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
port() { echo $((20000 + RANDOM % 20000)); }
wait_for() {  # wait_for FILE SECONDS
  for _ in $(seq $((${2} * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
  return 1
}

echo "1. two processes = one process (12 steps of ReFF, global batch 8)"
"$WORKER" train "$tmp/one" 12 || fail "single-process run"
"$REFF" launch --nproc-per-node 2 --program "$WORKER" -- train "$tmp/two" 12 || fail "2-process run"
# float summation order differs (the all-reduce adds two half-batch gradients): measured 7e-8
"$WORKER" compare "$tmp/one" "$tmp/two" 1e-6 || fail "2 processes differ from one"
"$WORKER" train "$tmp/eleven" 11 || fail "single-process run of 11 steps"
if "$WORKER" compare "$tmp/one" "$tmp/eleven" 1e-6; then fail "the comparison cannot tell 11 steps from 12"; fi

echo "1b. stopped after step 5 by rank 1's request, resumed: equal to the uninterrupted run"
"$REFF" launch --nproc-per-node 2 --program "$WORKER" -- train "$tmp/stopped" 12 5
[ $? -eq 130 ] || fail "the stopped run did not exit 130"
"$REFF" launch --nproc-per-node 2 --program "$WORKER" -- train "$tmp/stopped" 12 ||
  fail "the resumed run failed"
"$WORKER" compare "$tmp/two" "$tmp/stopped" 0 || fail "resumed weights differ"

echo "1c. BatchNorm: --sync-batchnorm makes 2 processes train what 1 does"
"$WORKER" train-bn "$tmp/bn-one" 12 0 || fail "single-process BatchNorm run"
"$REFF" launch --nproc-per-node 2 --program "$WORKER" -- train-bn "$tmp/bn-sync" 12 1 ||
  fail "synchronised run"
"$REFF" launch --nproc-per-node 2 --program "$WORKER" -- train-bn "$tmp/bn-local" 12 0 ||
  fail "per-process BatchNorm run"
"$WORKER" compare "$tmp/bn-one" "$tmp/bn-sync" 1e-6 bn || fail "synchronised BatchNorm differs"
if "$WORKER" compare "$tmp/bn-one" "$tmp/bn-local" 1e-6 bn; then
  fail "per-process BatchNorm matched the global batch's: the check cannot fail"
fi

echo "2. SIGKILL of rank 1: rank 0 stops with an error"
p=$(port)
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p "$WORKER" train "$tmp/killed" 1000000 \
  > "$tmp/rank0.log" 2>&1 &
rank0=$!
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p "$WORKER" train "$tmp/killed" 1000000 &
rank1=$!
wait_for "$tmp/killed/rank0.started" 60 && wait_for "$tmp/killed/rank1.started" 60 ||
  fail "the two ranks did not start"
kill -9 $rank1
start=$SECONDS
wait $rank0; status=$?
[ $status -ne 0 ] || fail "rank 0 exited 0 after its peer died"
[ $((SECONDS - start)) -le 25 ] || fail "rank 0 took $((SECONDS - start)) s to notice (timeout 20 s)"
grep -q "rank 0" "$tmp/rank0.log" || fail "rank 0's error does not name it: $(cat "$tmp/rank0.log")"
echo "   rank 0: exit $status after $((SECONDS - start)) s: $(tail -1 "$tmp/rank0.log")"

echo "3. reff launch: a worker killed, the launcher names it and stops the other"
"$REFF" launch --nproc-per-node 2 --grace 5 --program "$WORKER" -- train "$tmp/launched" 1000000 \
  > "$tmp/launch.log" 2>&1 &
launcher=$!
wait_for "$tmp/launched/rank1.started" 60 || fail "the launched ranks did not start"
for child in $(pgrep -P $launcher); do
  if grep -q '^RANK=1$' <(tr '\0' '\n' < /proc/$child/environ); then kill -9 "$child"; fi
done
start=$SECONDS
wait $launcher; status=$?
[ $status -eq 137 ] || fail "reff launch exited $status, not 137 (the killed rank's): $(cat "$tmp/launch.log")"
grep -q "rank 1 (pid [0-9]*) was killed by signal 9" "$tmp/launch.log" ||
  fail "the launcher does not name rank 1: $(cat "$tmp/launch.log")"
[ -z "$(pgrep -P $launcher)" ] || fail "a worker outlived the launcher"
echo "   reff launch: exit $status after $((SECONDS - start)) s"

echo "4. a rank that never arrives"
RANK=0 WORLD_SIZE=2 MASTER_PORT=$(port) "$REFF" --dist-timeout 3 train --preset cpu --epochs 1 \
  --max-steps 2 --out "$tmp/alone" > "$tmp/alone.log" 2>&1
status=$?
[ $status -eq 1 ] || fail "exit $status, not 1: $(cat "$tmp/alone.log")"
grep -q "rank(s) 1 of 2 did not arrive" "$tmp/alone.log" || fail "$(cat "$tmp/alone.log")"
[ ! -e "$tmp/alone/checkpoint-last.pt" ] || fail "a checkpoint was written"

echo "5. reff launch -- train: the cpu preset, 2 processes, 6 steps, synchronised BatchNorm"
"$REFF" launch --nproc-per-node 2 -- train --preset cpu --pretrained none --epochs 1 --max-steps 6 --train-count 400 --sync-batchnorm \
  --val-count 100 --test-count 100 --explain-count 8 --out "$tmp/cli" > "$tmp/cli.log" 2>&1 ||
  fail "$(cat "$tmp/cli.log")"
[ "$(wc -l < "$tmp/cli/metrics.jsonl")" -eq 1 ] || fail "metrics.jsonl: $(cat "$tmp/cli/metrics.jsonl")"
[ -s "$tmp/cli/checkpoint-best.pt" ] && [ -s "$tmp/cli/explanations.png" ] || fail "files missing"
[ "$(grep -c '^epoch 1' "$tmp/cli.log")" -eq 1 ] || fail "epoch lines: $(cat "$tmp/cli.log")"
grep -q "x 2 processes (gloo" "$tmp/cli.log" || fail "no distributed preface: $(cat "$tmp/cli.log")"
grep -Eq '"sync_batchnorm": *true' "$tmp/cli/config.json" || fail "config.json: no sync_batchnorm"
echo "6. reff launch -- annotator train: 2 processes, 10 iterations; reff launch -- eval refuses"
"$REFF" launch --nproc-per-node 2 -- annotator train --preset cpu --annotated-n 8 --iterations 10 \
  --val-count 50 --out "$tmp/annotator" > "$tmp/annotator.log" 2>&1 || fail "$(cat "$tmp/annotator.log")"
[ -s "$tmp/annotator/annotator.pt" ] && [ -s "$tmp/annotator/eval.json" ] || fail "annotator files missing"
[ "$(grep -c '^annotator n 8' "$tmp/annotator.log")" -eq 1 ] || fail "summary lines: $(cat "$tmp/annotator.log")"
"$REFF" launch --nproc-per-node 2 -- eval "$tmp/cli" > "$tmp/eval.log" 2>&1
[ $? -eq 2 ] && grep -q "WORLD_SIZE: this command runs in one process" "$tmp/eval.log" ||
  fail "eval under reff launch: $(cat "$tmp/eval.log")"
echo "7. reff launch -- experiment table3 --preset micro, twice"
for round in 1 2; do
  "$REFF" launch --nproc-per-node 2 -- experiment table3 --preset micro --out "$tmp/experiment" \
    > "$tmp/experiment-$round.log" 2>&1 || fail "round $round: $(cat "$tmp/experiment-$round.log")"
done
grep -q "^table3: 5 cells run now" "$tmp/experiment-1.log" || fail "$(cat "$tmp/experiment-1.log")"
grep -q "^table3: 0 cells run now" "$tmp/experiment-2.log" || fail "$(cat "$tmp/experiment-2.log")"
[ "$(grep -c '^table3:' "$tmp/experiment-1.log")" -eq 1 ] && [ -s "$tmp/experiment/report.md" ] ||
  fail "report: $(cat "$tmp/experiment-1.log")"
echo "all data-parallel checks passed"
