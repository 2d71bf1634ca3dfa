#!/usr/bin/env bash
# `reff tune` on the folder layout example: bad input (one line, exit 2), a sweep with two cell
# processes and its outputs, a sweep killed with SIGKILL and resumed (nothing trained twice, the
# same ranking), SIGTERM (exit 130, the same command resumes) and two sweeps on one folder at once
# (each cell trained once). Needs $REFF.
source "$(dirname "$0")/workflow.sh"

data="$tmp/data"
run example data layout-example --dataset folder --out "$data"
tiny=(--dataset folder --data "$data" --canvas 24 --width 4 --epochs 2 --batch-size 8
      --explain-count 8 --val "$data/shifted" --test test --seeds 2 --annotator none
      --methods baseline,reff --lambdas reff:1e-3,1e-2 --grow 0)

# Bad input: one line on stderr, exit 2, nothing left behind.
refused() {
  local name="$1" expected="$2"; shift 2
  "$REFF" tune "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "$name: exit $rc, not 2: $(tail -2 "$tmp/$name.err")"
  [ "$(wc -l <"$tmp/$name.err")" -eq 1 ] || fail "$name: not one line: $(cat "$tmp/$name.err")"
  grep -q -- "$expected" "$tmp/$name.err" || fail "$name: said $(cat "$tmp/$name.err")"
}
base=(--dataset folder --data "$data" --canvas 24 --out "$tmp/refused")
refused no_val "^error: --val: reff tune chooses on a validation split" "${base[@]}"
refused val_is_test "^error: --val: .*test" "${base[@]}" --val "$data/test" --test "$data/test"
refused generated_val_is_test "^error: --val: shift:1:1 is a test set of this run" --out "$tmp/refused" --val shift:1:1
refused unknown_method "^error: --method" "${base[@]}" --val "$data/shifted" --methods reff,nope
refused lambda_zero "^error: --lambdas: reff: every value must be > 0" "${base[@]}" --val "$data/shifted" --lambdas reff:1e-3,0
refused lambda_text "^error: --lambdas: 'x' is not a number" "${base[@]}" --val "$data/shifted" --lambdas reff:x
refused jobs_zero "^error: --jobs: must be in" "${base[@]}" --val "$data/shifted" --jobs 0
refused empty_grid "^error: --lambdas: reff: the grid is empty" "${base[@]}" --val "$data/shifted" --lambdas reff:
refused single_lambda "^error: --lambda: reff tune searches lambda" "${base[@]}" --val "$data/shifted" --lambda 1e-3
[ ! -e "$tmp/refused" ] || fail "a refused sweep left $tmp/refused"

# A whole sweep, two cells at a time.
run sweep tune "${tiny[@]}" --jobs 2 --out "$tmp/sweep"
grep -q "^winner: .*, select [0-9.]*%, test [0-9.]*%" "$tmp/sweep.out" || fail "sweep said: $(tail -3 "$tmp/sweep.out")"
[ "$(json "$tmp/sweep/results.json" "len(d['ranking'])")" = 6 ] || fail "ranking: $(json "$tmp/sweep/results.json" "[e['label'] for e in d['ranking']]")"
[ "$(json "$tmp/sweep/results.json" "d['recorded'] == d['cells'] == 12")" = True ] || fail "not every cell recorded"
[ -f "$tmp/sweep/best/config.json" ] || fail "no best/ run"
[ -f "$tmp/sweep/logs/baseline-seed0.log" ] || fail "no cell log with --jobs 2"
/usr/bin/python3 -c "
import sys, torch
weights = torch.load(sys.argv[1], weights_only=True)
assert 'fc.weight' in weights, list(weights)
" "$tmp/sweep/best.pth" || fail "best.pth does not load with weights_only=True"
grep -q "Ranking" "$tmp/sweep/report.html" || fail "report.html has no ranking"
# The same command again trains nothing and ranks the same.
run again tune "${tiny[@]}" --jobs 2 --out "$tmp/sweep"
[ "$(grep -c "^running" "$tmp/again.err")" -eq 0 ] || fail "a finished sweep ran cells again"
# Another sweep's options in the same folder are refused.
refused other_sweep "holds another sweep (its tune.json differs in dfr)" "${tiny[@]}" --dfr false --out "$tmp/sweep"

# Some training images lack a mask: one annotator for the sweep, trained first, used by every cell.
run annotated tune --dataset folder --data "$data" --canvas 24 --width 4 --epochs 1 --batch-size 8 \
  --explain-count 8 --val "$data/shifted" --test test --seeds 1 --grow 0 --dfr false \
  --methods reff --lambdas reff:1e-3 --annotator-iterations 2 --out "$tmp/annotated"
grep -q "training images have a mask: one pix2pix annotator" "$tmp/annotated.err" || fail "no annotator planned: $(head -3 "$tmp/annotated.err")"
[ "$(json "$tmp/annotated/runs/annotator/cell.json" "d['status']")" = done ] || fail "the annotator cell did not finish"
[ "$(json "$tmp/annotated/runs/reff-lambda0.001-seed0/config.json" "d['annotations']['annotator_dir'].endswith('/runs/annotator')")" = True ] ||
  fail "the cell did not use the sweep's annotator"

ranking() { json "$1/results.json" "[(e['label'], round(e['select_mean'], 9)) for e in d['ranking']]"; }

# Killed with SIGKILL mid-sweep (its cell process dies with it), then resumed: every cell holds
# its epochs once and the ranking is the uninterrupted sweep's.
"$REFF" tune "${tiny[@]}" --out "$tmp/killed" >"$tmp/killed.out" 2>"$tmp/killed.err" &
pid=$!
for _ in $(seq 1 600); do
  [ "$(ls "$tmp"/killed/runs/*/cell.json 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.2
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
recorded=$(ls "$tmp"/killed/runs/*/cell.json | wc -l)
[ "$recorded" -lt 12 ] || fail "the sweep finished before the kill"
run resumed tune "${tiny[@]}" --out "$tmp/killed"
[ "$(ranking "$tmp/killed")" = "$(ranking "$tmp/sweep")" ] || fail "resumed ranking $(ranking "$tmp/killed") differs from $(ranking "$tmp/sweep")"
for metrics in "$tmp"/killed/runs/*/metrics.jsonl; do
  [ "$(json "$metrics" "0" >/dev/null 2>&1; /usr/bin/python3 -c "
import json, sys
epochs = [json.loads(l)['epoch'] for l in open(sys.argv[1])]
print(epochs == sorted(set(epochs)))" "$metrics")" = True ] || fail "$metrics holds an epoch twice"
done
ran_before=$(grep -c "^ran " "$tmp/killed.err")
ran_after=$(grep -c "^ran " "$tmp/resumed.err")
[ $((ran_before + ran_after)) -le 12 ] || fail "$ran_before + $ran_after cells ran for 12 cells"

# SIGTERM (as SIGINT, which a background job of a script ignores) with the cells in the command's
# own process: exit 130, naming the cell and the same command, not `reff train --resume`.
"$REFF" tune "${tiny[@]}" --jobs 1 --out "$tmp/stopped" >"$tmp/stopped.out" 2>"$tmp/stopped.err" &
pid=$!
for _ in $(seq 1 600); do grep -q "^epoch 1:" "$tmp/stopped.err" && break; sleep 0.2; done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "SIGTERM gave exit $rc: $(tail -1 "$tmp/stopped.err")"
grep -q "^stopped: .*the same command resumes" "$tmp/stopped.err" && ! grep -q -- "--resume" "$tmp/stopped.err" ||
  fail "SIGTERM said: $(tail -1 "$tmp/stopped.err")"

# Two processes on one folder at once: each cell is trained by one of them.
"$REFF" tune "${tiny[@]}" --out "$tmp/shared" >"$tmp/one.out" 2>"$tmp/one.err" &
first=$!
"$REFF" tune "${tiny[@]}" --out "$tmp/shared" >"$tmp/two.out" 2>"$tmp/two.err"
second=$?
wait "$first"
[ $? -eq 0 ] && [ "$second" -eq 0 ] || fail "shared sweeps exited $?/$second: $(tail -2 "$tmp/one.err") $(tail -2 "$tmp/two.err")"
ran=$(cat "$tmp/one.err" "$tmp/two.err" | grep "^ran " | sort)
[ "$(echo "$ran" | wc -l)" -eq 12 ] || fail "shared: $(echo "$ran" | wc -l) cells ran for 12: $ran"
[ -z "$(echo "$ran" | uniq -d)" ] || fail "shared: cells ran twice: $(echo "$ran" | uniq -d)"
[ "$(ranking "$tmp/shared")" = "$(ranking "$tmp/sweep")" ] || fail "shared ranking differs"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "tune: all checks passed"
