#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, from the seed corpora and the kept
# regression inputs, and prints one line per target: executions, time, result.
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]      (BUILD_DIR configured with -DREFF_FUZZ=ON)
# A finding (crash, abort, leak, timeout) is written to BUILD_DIR/fuzz-findings/ and makes the
# script exit 1: keep the input under fuzz/regressions/<target>/ once it is fixed.
set -uo pipefail
build="$1"; seconds="$2"; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx gimp_pattern image isic2017_csv pets_list run_config checkpoint pth csv coco labelme mask_upload)
corpus="$build/fuzz-corpus"; findings="$build/fuzz-findings"
mkdir -p "$findings"
# (Re)made when a target's seeds are missing: a corpus from before that target existed.
for target in "${targets[@]}"; do
  if [ ! -d "$corpus/seeds/$target" ]; then
    rm -rf "$corpus/seeds"
    "$here/seed-corpus.sh" "${REFF:-$build/reff}" "$corpus/seeds" > /dev/null
    break
  fi
done
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for target in "${targets[@]}"; do
  binary="$build/fuzz_$target"
  work="$corpus/$target"; mkdir -p "$work"
  regressions=(); [ -d "$here/regressions/$target" ] && regressions=("$here/regressions/$target")
  log="$findings/$target.log"
  "$binary" -max_total_time="$seconds" -max_len=400000 -timeout=30 -rss_limit_mb=6144 \
    -print_final_stats=1 -artifact_prefix="$findings/$target-" \
    "$work" "$corpus/seeds/$target" "${regressions[@]}" > "$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ $status -eq 0 ]; then result=clean; else result="FINDING (exit $status, see $log)"; failed=1; fi
  printf '%-14s %10s executions in %ss: %s\n' "$target" "${execs:-?}" "$seconds" "$result"
done
exit $failed
