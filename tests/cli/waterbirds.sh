#!/usr/bin/env bash
# Waterbirds end to end on a replica (docs/datasets.md): the data set made from CUB's layout and
# scene folders by `reff data waterbirds`, its masks validated, a ReFF run chosen on the official
# val split's worst group, evaluated per group, explained and reported. Needs $REFF (the binary).
source "$(dirname "$0")/workflow.sh"

example="$tmp/example"
run example data layout-example --dataset waterbirds --out "$example"
grep -q -- "--dataset waterbirds --data $example/waterbirds --masks $example/CUB_200_2011" "$tmp/example.out" \
  || fail "layout-example said: $(cat "$tmp/example.out")"

# The GALS variant from the same sources: every training bird on its own kind of scene.
run make data waterbirds --cub "$example/CUB_200_2011" --land "$example/land" --water "$example/water" \
  --correlation 1 --out "$tmp/wb100"
grep -q "^  train: landbird/land [0-9]* landbird/water 0 waterbird/land 0 waterbird/water [0-9]*" "$tmp/make.out" \
  || fail "the 100 % variant has minority training images: $(cat "$tmp/make.out")"

run validate masks validate "$tmp/wb100" --dataset waterbirds --masks "$example/CUB_200_2011"
grep -q "^48 masks: 48 read, 0 unreadable or of the wrong size, 0 empty" "$tmp/validate.out" \
  || fail "validate said: $(tail -2 "$tmp/validate.out")"

wb=(--dataset waterbirds --data "$tmp/wb100" --masks "$example/CUB_200_2011" --canvas 24)
run train train "${wb[@]}" --width 4 --pretrained none --epochs 2 --batch-size 8 --method reff \
  --val official --explain-count 8 --out "$tmp/run"
grep -q "val (official) accuracy [0-9.]*%, worst-group" "$tmp/train.out" || fail "train said: $(cat "$tmp/train.out")"
[ "$(json "$tmp/run/config.json" "d['data']['masks_dir'] == '$example/CUB_200_2011' and 'digit_size' not in d['data']")" = True ] \
  || fail "config.json: $(cat "$tmp/run/config.json")"
run eval eval "$tmp/run"
grep -q "per group: landbird/land" "$tmp/eval.out" || fail "eval printed no groups: $(cat "$tmp/eval.out")"
grep -q "worst-group" "$tmp/eval.out" || fail "eval printed no worst group"
run explain explain "$tmp/run" --count 4 --out "$tmp/explained.png"
[ -s "$tmp/explained.png" ] || fail "explain wrote no picture"
run report report "$tmp/run"
[ -s "$tmp/run/report.html" ] || fail "report wrote no page"

# Bad input: one line naming the option, exit 2.
"$REFF" train --dataset waterbirds --data "$tmp/wb100" --val balanced:1:1 --out "$tmp/x" >/dev/null 2>"$tmp/bad.err"
[ $? -eq 2 ] && grep -q "^error: --val: waterbirds takes official" "$tmp/bad.err" || fail "bad --val: $(cat "$tmp/bad.err")"
"$REFF" train --dataset waterbirds --data "$tmp/wb100" --p 0.5 --out "$tmp/x" >/dev/null 2>"$tmp/bad.err"
[ $? -eq 2 ] && grep -q "^error: --p: applies to --dataset textured-mnist, not waterbirds" "$tmp/bad.err" \
  || fail "--p on waterbirds: $(cat "$tmp/bad.err")"

[ "$failures" -eq 0 ] && echo "waterbirds: all passed"
exit $((failures > 0))
