#!/usr/bin/env bash
# One writer per run folder: a second `reff train`, `train --resume`, `annotator train` or
# `experiment` (and a `train` into an experiment's cell) started while the first is writing the
# folder is refused at once (exit 2, one line naming the holder's pid) and writes nothing; the
# first run ends with the same files as a run alone; readers (export) read whole checkpoints while
# it writes; after a SIGKILL the folder is free at once.
# Needs $REFF and the MNIST digits of scripts/install-deps.
set -uo pipefail
T="$(mktemp -d)"
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

data=(--canvas 24 --train-count 200 --val-count 16 --test-count 16 --textures procedural)
long=(train "${data[@]}" --width 4 --batch-size 8 --explain-count 8 --epochs 8 --seed 5)
annotator=(annotator train "${data[@]}" --n 2 --iterations 400 --generator-base 4
           --discriminator-base 4)

# held FILE: another process holds the lock on FILE (flock(1) of util-linux cannot take it).
held() { [ -e "$1" ] && ! flock -n "$1" true; }

# Waits until PID holds DIR's lock (its file names PID, and it is held).
wait_for_lock() {
  for _ in $(seq 1 600); do
    grep -q "(pid $2)" "$1/.reff-lock" 2>/dev/null && held "$1/.reff-lock" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# expect_refused DIR PID args...: exit 2 with "error: DIR: in use by ... (pid PID) since", while
# PID is still running (the second writer did not wait for the first).
expect_refused() {
  local dir="$1" pid="$2"; shift 2
  local start=$EPOCHREALTIME
  "$REFF" "$@" >"$T/second.out" 2>"$T/second.err"
  local rc=$? seconds
  seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  local last
  last="$(tail -1 "$T/second.err")"
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc while pid $pid held $dir: $last"
  [[ "$last" =~ ^error:\ $dir:\ in\ use\ by\ reff\ .*\(pid\ $pid\)\ since\ [0-9:]{8}$ ]] ||
    fail "'$*' said: $last"
  [ "$(wc -l <"$T/second.err")" -eq 1 ] || fail "'$*' printed more than one line: $(cat "$T/second.err")"
  kill -0 "$pid" 2>/dev/null || fail "'$*' returned only after the holder had ended"
  echo "refused in ${seconds} s: $*"
}

strip() { sed -E 's/"(images_per_s|[a-z_]*seconds|epoch_over_steps)":[^,}]*//g' "$1"; }

echo "1. two reff train into one folder, and --resume while running"
"$REFF" "${long[@]}" --method baseline --out "$T/alone" >/dev/null 2>&1 || fail "the run alone failed"
"$REFF" "${long[@]}" --method baseline --out "$T/x" >"$T/first.out" 2>&1 &
first=$!
pids+=("$first")
wait_for_lock "$T/x" "$first" || fail "the first run never claimed $T/x: $(tail -2 "$T/first.out")"
expect_refused "$T/x" "$first" "${long[@]}" --method reff --lambda 1e-3 --out "$T/x"
expect_refused "$T/x" "$first" train --resume --out "$T/x"
# Readers take no lock: while the run replaces its checkpoints, each read finds a whole one.
for _ in $(seq 1 600); do [ -e "$T/x/checkpoint-last.pt" ] && break; sleep 0.05; done
reads=0
while kill -0 "$first" 2>/dev/null && [ "$reads" -lt 6 ]; do
  "$REFF" export "$T/x" --checkpoint last --out "$T/reader.pth" >"$T/reader.out" 2>&1 ||
    fail "a reader of the running run failed: $(tail -1 "$T/reader.out")"
  reads=$((reads + 1))
done
echo "$reads reads of the running run's checkpoint"
wait "$first" || fail "the first run failed: $(tail -2 "$T/first.out")"
"$REFF" export "$T/alone" --checkpoint last --out "$T/alone.pth" >/dev/null
"$REFF" export "$T/x" --checkpoint last --out "$T/x.pth" >/dev/null
cmp -s "$T/alone.pth" "$T/x.pth" || fail "the first run's weights differ from a run alone"
"$REFF" export "$T/alone" --checkpoint best --out "$T/alone-best.pth" >/dev/null
"$REFF" export "$T/x" --checkpoint best --out "$T/x-best.pth" >/dev/null
cmp -s "$T/alone-best.pth" "$T/x-best.pth" || fail "the first run's best weights differ from a run alone"
for file in config.json explanations.png; do
  cmp -s "$T/alone/$file" "$T/x/$file" || fail "$file differs from a run alone"
done
[ "$(strip "$T/alone/metrics.jsonl")" = "$(strip "$T/x/metrics.jsonl")" ] ||
  fail "metrics.jsonl differs from a run alone"

echo "2. the holder killed with SIGKILL: --resume proceeds at once"
"$REFF" "${long[@]}" --method reff --out "$T/k" >"$T/k.out" 2>&1 &
killed=$!
pids+=("$killed")
for _ in $(seq 1 600); do [ -e "$T/k/checkpoint-last.pt" ] && break; sleep 0.05; done
kill -9 "$killed"
wait "$killed" 2>/dev/null
[ -e "$T/k/checkpoint-last.pt" ] || fail "no checkpoint before the kill"
"$REFF" train --resume --out "$T/k" >"$T/k2.out" 2>&1 || fail "resume after SIGKILL: $(tail -2 "$T/k2.out")"

echo "3. annotator train"
"$REFF" "${annotator[@]}" --out "$T/ann" >"$T/ann.out" 2>&1 &
ann=$!
pids+=("$ann")
wait_for_lock "$T/ann" "$ann" || fail "the annotator never claimed $T/ann: $(tail -2 "$T/ann.out")"
expect_refused "$T/ann" "$ann" "${annotator[@]}" --out "$T/ann"
for _ in $(seq 1 600); do [ -e "$T/ann/config.json" ] && break; sleep 0.05; done
kill -9 "$ann"
wait "$ann" 2>/dev/null
"$REFF" annotator train --resume --out "$T/ann" >"$T/ann2.out" 2>&1 ||
  fail "annotator resume after SIGKILL: $(tail -2 "$T/ann2.out")"

echo "4. an experiment and its cells"
"$REFF" experiment table3 --preset micro --out "$T/exp" >"$T/exp.out" 2>&1 &
exp=$!
pids+=("$exp")
wait_for_lock "$T/exp" "$exp" || fail "the experiment never claimed $T/exp: $(tail -2 "$T/exp.out")"
# Paused (SIGSTOP: it keeps its locks) while a cell is running, so the checks cannot race it.
cell=""
for _ in $(seq 1 1200); do
  for lock in "$T"/exp/*/*/.reff-lock; do
    held "$lock" && kill -STOP "$exp" && held "$lock" && cell="$(dirname "$lock")" && break 2
    kill -CONT "$exp"
  done
  sleep 0.02
done
if [ -n "$cell" ]; then
  expect_refused "$T/exp" "$exp" experiment table3 --preset micro --out "$T/exp"
  expect_refused "$cell" "$exp" "${long[@]}" --out "$cell"
  expect_refused "$cell" "$exp" train --resume --out "$cell"
else
  fail "no cell was seen running: $(ls -R "$T/exp" | head -20)"
fi
kill -9 "$exp"
wait "$exp" 2>/dev/null
"$REFF" experiment table3 --preset micro --out "$T/exp" >"$T/exp2.out" 2>&1 ||
  fail "experiment after SIGKILL: $(tail -2 "$T/exp2.out")"

echo "5. a foreign or unwritable --out is refused before the data are prepared"
mkdir -p "$T/foreign" && echo notes >"$T/foreign/notes.txt"
printf 'a file' >"$T/a-file"
for out in "$T/foreign" "$T/a-file/run"; do
  "$REFF" "${long[@]}" --out "$out" >/dev/null 2>"$T/bad.err"
  rc=$?
  [ "$rc" -eq 2 ] && tail -1 "$T/bad.err" | grep -q "^error: $out" ||
    fail "--out $out: exit $rc: $(tail -1 "$T/bad.err")"
  grep -q "preparing data" "$T/bad.err" && fail "--out $out was checked only after preparing data"
done
[ "$(ls "$T/foreign")" = "notes.txt" ] || fail "the foreign folder changed: $(ls -a "$T/foreign")"

if [ "$failures" -eq 0 ]; then echo "run folder lock: all checks passed"; else exit 1; fi
