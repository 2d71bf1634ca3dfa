#!/usr/bin/env bash
# The own-data workflow end to end on a generated folder (README, "Your own data"): masks
# validated and converted, an annotator trained from the few masked images, a classifier trained
# with its pseudo-masks, evaluated on a shifted test folder and a grouped CSV folder, explained.
# Every step must write what it should. Needs $REFF (the binary).
source "$(dirname "$0")/workflow.sh"

data="$tmp/data"
run example data layout-example --dataset folder --out "$data"
[ -f "$data/masks/test.json" ] || fail "layout-example wrote no COCO file"

run validate masks validate "$data"
grep -q "^27 masks: 27 read, 0 unreadable" "$tmp/validate.out" || fail "validate said: $(tail -2 "$tmp/validate.out")"
grep -q "^train: .* masks per class: round [0-9]" "$tmp/validate.out" || fail "validate printed no counts"

run convert masks convert "$data" --out "$tmp/converted"
[ "$(find "$tmp/converted" -name '*.png' | wc -l)" -eq 27 ] || fail "convert wrote $(find "$tmp/converted" -name '*.png' | wc -l) masks"

tiny=(--dataset folder --data "$data" --canvas 24)
run annotator annotator train "${tiny[@]}" --iterations 4 --generator-base 4 --discriminator-base 4 --out "$tmp/annotator"
grep -q "^annotator from [0-9]* masked images" "$tmp/annotator.out" || fail "annotator said: $(cat "$tmp/annotator.out")"
[ "$(json "$tmp/annotator/eval.json" "d['images'] > 0")" = True ] || fail "annotator evaluated no held-out masks"

run train train "${tiny[@]}" --width 4 --epochs 2 --batch-size 8 --method reff --annotator "$tmp/annotator" \
  --explain-count 8 --out "$tmp/run"
[ -f "$tmp/run/explanations.png" ] || fail "train drew no explanations.png"
[ "$(json "$tmp/run/config.json" "d['data']['classes']")" = "['round', 'tall', 'wide']" ] || fail "config.json lacks the classes"
tail -1 "$tmp/run/metrics.jsonl" | /usr/bin/python3 -c "
import json, sys
e = json.load(sys.stdin)
assert set(e['tests']['test']['per_class']) == {'round', 'tall', 'wide'}, e['tests']['test']
assert 'energy' in e['tests']['test']['layers'][0], e['tests']['test']['layers']
" || fail "metrics.jsonl lacks per-class or explanation metrics"

run eval eval "$tmp/run" --test "$data/shifted" --test test
grep -q "^shifted: accuracy [0-9.]*% on 18 images" "$tmp/eval.out" || fail "eval said: $(cat "$tmp/eval.out")"
grep -q "^  energy per layer:" "$tmp/eval.out" || fail "eval printed no explanation metrics"
[ "$(json "$tmp/run/eval.json" "sorted(d)")" = "['shifted', 'test']" ] || fail "eval.json holds $(cat "$tmp/run/eval.json" | head -c 200)"

# A CSV folder with a group column: per-group, worst-group and group-weighted accuracy.
grouped="$tmp/grouped"
mkdir -p "$grouped" && cp -r "$data/shifted/." "$grouped/"
{ echo "image,label,mask,group"; k=0
  for f in $(cd "$grouped" && ls */*.png | grep -v '^masks/'); do
    echo "$f,${f%%/*},masks/$f,g$((k % 2))"; k=$((k + 1)); done; } >"$grouped/labels.csv"
run eval_groups eval "$tmp/run" --test "$grouped"
grep -q "^  worst-group [0-9.]*%, mean-group [0-9.]*%, group-weighted" "$tmp/eval_groups.out" || fail "grouped eval said: $(cat "$tmp/eval_groups.out")"
[ "$(json "$tmp/run/eval.json" "sorted(d['grouped']['per_group'])")" = "['g0', 'g1']" ] || fail "eval.json lacks the groups"

# A folder without a test split trains with no test set; its val split reports the groups.
run train_grouped train --dataset folder --data "$grouped" --canvas 24 --width 4 --epochs 1 \
  --batch-size 8 --val-share 0.3 --out "$tmp/run-grouped"
tail -1 "$tmp/run-grouped/metrics.jsonl" | /usr/bin/python3 -c "
import json, sys
e = json.load(sys.stdin)
assert not e.get('tests'), e.get('tests')
assert set(e['val']['per_group']) <= {'g0', 'g1'} and 'worst_group_accuracy' in e['val'], e['val']
" || fail "a folder without a test split: metrics.jsonl is $(tail -c 300 "$tmp/run-grouped/metrics.jsonl")"

# A validation folder with groups (--val) chooses the best epoch on its worst group.
run train_val train "${tiny[@]}" --width 4 --epochs 2 --batch-size 8 --val "$grouped" --out "$tmp/run-val"
tail -1 "$tmp/run-val/metrics.jsonl" | /usr/bin/python3 -c "
import json, sys
e = json.load(sys.stdin)
assert e['val']['name'] == 'grouped' and e['val']['selects_on'] == 'worst_group_accuracy', e['val']
assert e['val']['count'] == 18, e['val']['count']
" || fail "--val DIR: metrics.jsonl is $(tail -c 300 "$tmp/run-val/metrics.jsonl")"
[ "$(json "$tmp/run-val/config.json" "d['data']['val']['folder']")" = "$grouped" ] || fail "config.json lacks the val folder"

# DFR: the run's last layer refit on that folder, a run folder eval, explain and report read.
run dfr dfr "$tmp/run" --val "$grouped" --ensembles 3 --out "$tmp/dfr"
grep -q "^DFR of .*: last layer refit on grouped (18 images)" "$tmp/dfr.out" || fail "dfr said: $(cat "$tmp/dfr.out")"
[ "$(json "$tmp/dfr/config.json" "d['dfr']['c'] in d['dfr']['c_grid'] and d['dfr']['ensembles']")" = 3 ] || fail "config.json lacks the dfr section"
run dfr_eval eval "$tmp/dfr" --test "$data/shifted"
grep -q "^shifted: accuracy [0-9.]*% on 18 images" "$tmp/dfr_eval.out" || fail "eval of the DFR run said: $(cat "$tmp/dfr_eval.out")"
run dfr_explain explain "$tmp/dfr" --count 2 --out "$tmp/dfr.png"
run dfr_report report "$tmp/dfr"
grep -q "DFR" "$tmp/dfr/report.html" || fail "the DFR run's report does not say DFR"

run explain explain "$tmp/run" --test "$data/shifted" --count 4 --out "$tmp/shifted.png"
[ -s "$tmp/shifted.png" ] || fail "explain wrote no picture"

# Bad folders: exit 2, one error line, nothing written.
bad() {
  local mention="$1"; shift
  "$REFF" "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"; local rc=$?
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc, expected 2"
  grep -q "^error: .*$mention" "$tmp/bad.err" || fail "'$*' said: $(cat "$tmp/bad.err")"
  [ ! -e "$tmp/out" ] || fail "'$*' left $tmp/out behind"
}
mkdir -p "$tmp/alien/zebra" && cp "$data/shifted/round/round_0.png" "$tmp/alien/zebra/"
bad "class 'zebra' is not among the training classes" eval "$tmp/run" --test "$tmp/alien"
bad "neither test" eval "$tmp/run" --test shift:1:1
bad "a folder's annotated images" train "${tiny[@]}" --annotated-n 2 --out "$tmp/out"
bad "--mask-values: applies to --dataset folder, not textured-mnist" train --mask-values 3 --out "$tmp/out"
bad "already exists" masks convert "$data" --out "$tmp/converted"
bad "DFR refits the last layer" dfr "$tmp/run" --out "$tmp/out"
bad "--count" dfr "$tmp/run" --val "$grouped" --count -1 --out "$tmp/out"
bad "is a test set of this run" train "${tiny[@]}" --test "$data/shifted" --val "$data/shifted" --out "$tmp/out"
bad "holds the data set's test images" train "${tiny[@]}" --val "$data/test" --out "$tmp/out"
bad "has a test split" train "${tiny[@]}" --val "$data" --out "$tmp/out"
bad "not a folder of validation images" train "${tiny[@]}" --val "$tmp/nowhere" --out "$tmp/out"
mkdir -p "$tmp/ungrouped" && cp -r "$grouped/." "$tmp/ungrouped/" && sed -i 's/,g[01]$/,/' "$tmp/ungrouped/labels.csv"
bad "group column without any group" train "${tiny[@]}" --val "$tmp/ungrouped" --out "$tmp/out"
printf 'image,label\nx.png,a\n' >"$tmp/one.csv"; mkdir -p "$tmp/one" && mv "$tmp/one.csv" "$tmp/one/labels.csv"
bad "at least two" train --dataset folder --data "$tmp/one" --out "$tmp/out"

# Masks as CVAT and Pascal VOC export them: indexed PNGs (index 1 the object) read without
# --mask-values. The same values written as gray levels read empty: validate says why, train
# refuses with one line naming the fix unless --allow-empty-masks, and a few train with a notice.
cp -r "$data" "$tmp/palette" && cp -r "$data" "$tmp/levels"
/usr/bin/python3 - "$tmp" <<'PY'
import glob, sys
from PIL import Image
t = sys.argv[1]
for kind in ("palette", "levels"):
    for path in glob.glob(f"{t}/{kind}/masks/train/*/*.png"):
        ones = [1 if v else 0 for v in Image.open(path).convert("L").getdata()]
        mask = Image.new("P" if kind == "palette" else "L", Image.open(path).size)
        if kind == "palette":
            mask.putpalette([0, 0, 0, 128, 0, 0] + [192, 128, 128] * 254)
        mask.putdata(ones)
        mask.save(path)
PY
run validate_palette masks validate "$tmp/palette"
grep -q "^27 masks: 27 read, 0 unreadable or of the wrong size, 0 empty" "$tmp/validate_palette.out" || fail "palette masks: $(tail -1 "$tmp/validate_palette.out")"
run validate_levels masks validate "$tmp/levels"
grep -q "^EMPTY .*(gray levels {1} present, below --mask-threshold 0.5 x 255; pass --mask-values 1)" "$tmp/validate_levels.out" || fail "validate gave no hint: $(grep EMPTY "$tmp/validate_levels.out" | head -1)"
grep -q "^3 of the empty masks hold values the reading drops: gray levels {1}" "$tmp/validate_levels.out" || fail "validate's summary: $(tail -1 "$tmp/validate_levels.out")"
bad "3 of 7 masked training images (42.9 %) have an empty mask (masks/train/round/round_0.png, masks/train/tall/tall_0.png, masks/train/wide/wide_0.png): gray levels {1} present, below --mask-threshold 0.5 x 255; pass --mask-values 1, or pass --allow-empty-masks" \
  train --dataset folder --data "$tmp/levels" --out "$tmp/out"
[ "$(grep -c "^error: " "$tmp/bad.err")" -eq 1 ] || fail "the refusal is not one line: $(cat "$tmp/bad.err")"
# Masks of one pixel: read at full size, gone at a 24-px canvas.
cp -r "$data" "$tmp/dots"
/usr/bin/python3 - "$tmp/dots" <<'PY'
import glob, sys
from PIL import Image
for path in glob.glob(f"{sys.argv[1]}/masks/train/*/*.png"):
    mask = Image.new("L", Image.open(path).size)
    mask.putpixel((24, 24), 255)
    mask.save(path)
PY
bad "their regions vanish when the images are squashed to --canvas 24 px; pass a larger --canvas" \
  train --dataset folder --data "$tmp/dots" --canvas 24 --out "$tmp/out"
bad "--allow-empty-masks: applies to --dataset folder, not textured-mnist" train --allow-empty-masks --out "$tmp/out"
tiny_levels=(--dataset folder --data "$tmp/levels" --canvas 24 --width 4 --epochs 1 --batch-size 8)
run allowed train "${tiny_levels[@]}" --allow-empty-masks --method reff --out "$tmp/run-allowed"
grep -q "^reff: .*3 of 7 masked training images (42.9 %) have an empty mask" "$tmp/allowed.err" || fail "--allow-empty-masks: no notice: $(cat "$tmp/allowed.err" | head -3)"
[ "$(json "$tmp/run-allowed/config.json" "d['data']['allow_empty_masks']")" = True ] || fail "config.json lacks allow_empty_masks"
run with_values train "${tiny_levels[@]}" --mask-values 1 --out "$tmp/run-values"
grep -q "empty mask" "$tmp/with_values.err" && fail "--mask-values 1 still reads empty masks"
# One empty mask among the training images (under 5 %): trains, with one notice; an annotator
# without a masked held-out image says so in words.
mkdir -p "$tmp/few" && cp -r "$data/train" "$tmp/few/img"
/usr/bin/python3 - "$tmp/few" <<'PY'
import glob, os, sys
from PIL import Image
d = sys.argv[1]
os.makedirs(f"{d}/m", exist_ok=True)
images = sorted(glob.glob(f"{d}/img/*/*.png"))
with open(f"{d}/labels.csv", "w") as f:
    f.write("image,label,split,mask\n")
    for k, path in enumerate(images):
        split, mask_file = ("train", f"m/{k}.png") if k % 4 else ("val", "")  # val: no masks
        if mask_file:
            mask = Image.new("L", Image.open(path).size)
            if k != 5:
                mask.paste(255, (12, 12, 36, 36))
            mask.save(f"{d}/{mask_file}")
        f.write(f"{os.path.relpath(path, d)},{path.split('/')[-2]},{split},{mask_file}\n")
PY
run few train --dataset folder --data "$tmp/few" --canvas 24 --width 4 --epochs 1 --batch-size 8 --out "$tmp/run-few"
[ "$(grep -c "have an empty mask" "$tmp/few.err")" -eq 1 ] || fail "one empty mask in 24: $(cat "$tmp/few.err" | head -3)"
run few_annotator annotator train --dataset folder --data "$tmp/few" --canvas 24 --iterations 2 \
  --generator-base 4 --discriminator-base 4 --out "$tmp/few-annotator"
grep -q "no held-out IoU or Dice: none of the val images has a mask ([0-9]* s of training)$" "$tmp/few_annotator.out" || fail "annotator said: $(cat "$tmp/few_annotator.out")"
# reff dfr offers no --resume it lacks.
bad "already holds a run (checkpoint-best.pt); choose another --out" dfr "$tmp/run" --val "$grouped" --out "$tmp/dfr"
grep -q -- "--resume" "$tmp/bad.err" && fail "dfr offers --resume: $(cat "$tmp/bad.err")"

[ $failures -eq 0 ] && echo "own data workflow: all steps wrote what they should"
exit $((failures > 0))
