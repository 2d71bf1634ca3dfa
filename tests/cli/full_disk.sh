#!/usr/bin/env bash
# A full disk and a read-only output folder: reff stops with exit status 2 and an error that says
# so, and what it wrote before (checkpoints, metrics, config) stays byte for byte. Runs on a small
# tmpfs; where mounting one is not allowed (not root) the test is skipped (exit 77).
# Needs $REFF.
set -uo pipefail
T="$(mktemp -d)"
fs="$T/fs"
mkdir -p "$fs"
mounted=0
cleanup() { [ "$mounted" = 1 ] && umount "$fs"; rm -rf "$T"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=2m tmpfs "$fs" 2>/dev/null; then
  echo "skipped: cannot mount a small tmpfs here (needs root)"
  exit 77
fi
mounted=1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_error() {  # expect_error "what the error says" args...
  local mention="$1"; shift
  "$REFF" "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc, expected 2: $(tail -2 "$T/stderr")"
  tail -1 "$T/stderr" | grep -q "^error: .*$mention" ||
    fail "'$*' said: $(tail -1 "$T/stderr")"
}
# (config.json may change: --resume --epochs N records the new epoch count.)
fingerprint() { (cd "$fs/run" && md5sum metrics.jsonl checkpoint-*.pt*); }

data=(--canvas 24 --train-count 40 --val-count 16 --test-count 16 --textures procedural)
tiny=("${data[@]}" --width 4 --batch-size 8 --explain-count 8)
"$REFF" train "${tiny[@]}" --epochs 1 --out "$fs/run" >"$T/train.out" 2>&1 ||
  fail "the first epoch did not fit: $(tail -2 "$T/train.out")"
fingerprint >"$T/before"

# Full: room for the config and metrics, not for another checkpoint.
avail=$(df --output=avail -B1 "$fs" | tail -1)
fallocate -l $((avail - 64 * 1024)) "$fs/filler" 2>/dev/null ||
  dd if=/dev/zero of="$fs/filler" bs=1024 count=$(((avail - 64 * 1024) / 1024)) 2>/dev/null
expect_error "checkpoint.*disk full" train --resume --epochs 3 --out "$fs/run"
ls "$fs/run" | grep -q "tmp" && fail "a temporary file was left behind: $(ls "$fs/run")"
rm "$fs/filler"
fingerprint | diff -q "$T/before" - >/dev/null || fail "the full disk changed the run's files"
"$REFF" eval "$fs/run" --count 8 >/dev/null 2>&1 || fail "the run cannot be evaluated after the full disk"
rm -f "$fs/run/eval.json"

# Read-only: nothing is written, nothing changes.
mount -o remount,ro "$fs" || fail "cannot remount read-only"
expect_error "read-only" train --resume --epochs 3 --out "$fs/run"
expect_error "$fs/new" train "${tiny[@]}" --epochs 1 --out "$fs/new"
expect_error "$fs/ann" annotator train "${data[@]}" --n 1 --iterations 2 --out "$fs/ann"
expect_error "$fs/exp" experiment table3 --preset micro --out "$fs/exp"
expect_error "$fs: cannot write" data textured-mnist --count 4 --out "$fs/data"
expect_error "eval.json" eval "$fs/run" --count 8
fingerprint | diff -q "$T/before" - >/dev/null || fail "the read-only folder's run changed"

if [ "$failures" -eq 0 ]; then echo "full disk and read-only folder: all checks passed"; else exit 1; fi
