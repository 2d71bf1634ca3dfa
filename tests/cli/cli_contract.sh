#!/usr/bin/env bash
# The command line's contract: bad input gives one "error: ..." line and exit status 2 with
# nothing half-written; the acceptance command writes a complete set, identical for a seed.
# Needs $REFF (the binary) and the MNIST digits that scripts/install-deps prepares.
source "$(dirname "$0")/workflow.sh"

# expect_bad "what it should mention" args...: exit 2, one line "error: ...", no output folder.
expect_bad() {
  local mention="$1"; shift
  "$REFF" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  [ "$rc" -eq 2 ] || fail "'$*' exited $rc, expected 2"
  [ "$(wc -l <"$tmp/stderr")" -eq 1 ] || fail "'$*' printed $(wc -l <"$tmp/stderr") error lines"
  grep -q "^error: .*$mention" "$tmp/stderr" || fail "'$*' said: $(cat "$tmp/stderr")"
  [ ! -e "$tmp/out" ] || fail "'$*' left $tmp/out behind"
  ls -a "$tmp" | grep -q partial && fail "'$*' left a partial folder"
}

tm=(data textured-mnist --out "$tmp/out")
expect_bad "--p" "${tm[@]}" --p 1.5
expect_bad "--q" "${tm[@]}" --q -0.5
expect_bad "--digit-size" "${tm[@]}" --digit-size 41
expect_bad "--preset" "${tm[@]}" --preset huge
expect_bad "--split" "${tm[@]}" --split validation
expect_bad "/nonexistent/train-images-idx3-ubyte.gz: not found" "${tm[@]}" --mnist /nonexistent
mkdir -p "$tmp/corrupt"
printf 'garbage' >"$tmp/corrupt/train-images-idx3-ubyte"
printf '\0\0\10\1\0\0\0\1\7' >"$tmp/corrupt/train-labels-idx1-ubyte"
expect_bad "corrupt/train-images-idx3-ubyte: not an IDX file" "${tm[@]}" --mnist "$tmp/corrupt"
mkdir -p "$tmp/dtd/images/banded"
expect_bad "banded: texture class folder has no" "${tm[@]}" --textures dtd --texture-dir "$tmp/dtd"
expect_bad "--textures" "${tm[@]}" --textures photos
expect_bad "count" "${tm[@]}" --count
expect_bad "/proc" data textured-mnist --count 5 --out /proc/reff-test/out
mkdir -p "$tmp/foreign" && echo keep >"$tmp/foreign/notes.txt"
expect_bad "refusing to overwrite" data textured-mnist --count 5 --out "$tmp/foreign"
[ "$(cat "$tmp/foreign/notes.txt")" = keep ] || fail "a foreign folder was touched"

# The acceptance command, twice: complete and byte-identical.
for run in a b; do
  "$REFF" data textured-mnist --preset cpu --count 200 --out "$tmp/$run" >/dev/null 2>&1 ||
    fail "generation into $run failed"
done
[ "$(ls "$tmp/a/images" | wc -l)" -eq 200 ] || fail "not 200 images"
[ "$(ls "$tmp/a/masks" | wc -l)" -eq 200 ] || fail "not 200 masks"
[ "$(wc -l <"$tmp/a/labels.csv")" -eq 201 ] || fail "labels.csv is not a header and 200 rows"
for f in manifest.json preview.png; do [ -s "$tmp/a/$f" ] || fail "no $f"; done
diff -r "$tmp/a" "$tmp/b" >/dev/null || fail "two runs with the same seed differ"
"$REFF" data textured-mnist --preset cpu --count 200 --seed 1 --out "$tmp/b" >/dev/null 2>&1
diff -q "$tmp/a/images/000000.png" "$tmp/b/images/000000.png" >/dev/null &&
  fail "another seed gave the same first image"

# Training: bad input, then a tiny run through train, eval and explain.
expect_bad "--method" train --method magic --out "$tmp/out"
expect_bad "--preset" train --preset laptop --out "$tmp/out"
expect_bad "--test" train --test shift:2:1 --out "$tmp/out"
expect_bad "not found" eval "$tmp/out"
expect_bad "not found" explain "$tmp/out" --out "$tmp/x.png"
mkdir -p "$tmp/empty-run"
expect_bad "config.json: not found" eval "$tmp/empty-run"
tiny=(--width 4 --epochs 1 --train-count 64 --val-count 32 --test-count 32 --explain-count 16)
"$REFF" train --method reff "${tiny[@]}" --out "$tmp/run" >"$tmp/train.out" 2>&1 ||
  fail "tiny training failed: $(tail -3 "$tmp/train.out")"
for f in config.json metrics.jsonl checkpoint-last.pt checkpoint-best.pt explanations.png; do
  [ -s "$tmp/run/$f" ] || fail "the run folder has no $f"
done
grep -q "shift accuracy" "$tmp/train.out" || fail "no accuracy summary: $(tail -2 "$tmp/train.out")"
expect_bad "already holds a run" train --method reff "${tiny[@]}" --out "$tmp/run"
"$REFF" explain "$tmp/run" --count 3 --out "$tmp/explain.png" >/dev/null || fail "explain failed"
[ -s "$tmp/explain.png" ] || fail "explain wrote no picture"
"$REFF" eval "$tmp/run" --test other:0.5:1 --count 16 >"$tmp/eval.out" || fail "eval failed"
grep -q "^other (p 0.5, q 1): accuracy" "$tmp/eval.out" || fail "eval said: $(cat "$tmp/eval.out")"
# The shortcut study's variants: boolean options read true/false and the run records them;
# --method reff is the paper's form in every preset: no background swapping unless asked.
grep -q '"background_swap": false' "$tmp/run/config.json" || fail "cpu-preset ReFF swaps backgrounds"
"$REFF" train --method reff --cam-weighting hirescam --cam-normalise true --background-swap true \
  "${tiny[@]}" --max-steps 2 --out "$tmp/variants" >"$tmp/variants.out" 2>&1 ||
  fail "training with the study's variants failed: $(tail -3 "$tmp/variants.out")"
for field in '"cam_weighting": "hirescam"' '"cam_normalise": true' '"background_swap": true'; do
  grep -q "$field" "$tmp/variants/config.json" || fail "the run does not record $field"
done
expect_bad "--cam-weighting" train --cam-weighting hires "${tiny[@]}" --out "$tmp/out"

# The pseudo-annotator: a tiny one, its evaluation and picture, and Algorithm 1 with it.
small=(--train-count 200 --val-count 32 --test-count 32)
expect_bad "--annotated-n" annotator train --annotated-n all "${small[@]}" --out "$tmp/out"
expect_bad "--annotated-n" annotator train --annotated-n 100 "${small[@]}" --out "$tmp/out"
"$REFF" annotator train --n 2 --iterations 20 "${small[@]}" --out "$tmp/ann" \
  >"$tmp/ann.out" 2>&1 || fail "annotator training failed: $(tail -3 "$tmp/ann.out")"
grep -q "held-out IoU" "$tmp/ann.out" || fail "annotator said: $(tail -2 "$tmp/ann.out")"
"$REFF" annotator eval "$tmp/ann" --count 16 | grep -q "IoU" || fail "annotator eval failed"
"$REFF" annotator show "$tmp/ann" --count 4 --out "$tmp/ann.png" >/dev/null &&
  [ -s "$tmp/ann.png" ] || fail "annotator show wrote no picture"
expect_bad "other data" train --method reff --annotator "$tmp/ann" "${small[@]}" --p 0.5 --out "$tmp/out"
"$REFF" train --method reff --annotator "$tmp/ann" --width 4 --epochs 1 "${small[@]}" \
  --explain-count 16 --out "$tmp/alg1" >"$tmp/alg1.out" 2>&1 ||
  fail "training with the annotator failed: $(tail -3 "$tmp/alg1.out")"
grep -q '"n": 2' "$tmp/alg1/config.json" || fail "the run does not record the annotated n"

# Real data sets in their official layouts (a synthetic example), the paper preset's ResNet-50 at
# 224 px for two ReFF steps, and its weights read back by torchvision.
expect_bad "--dataset" data layout-example --dataset imagenet --out "$tmp/out"
"$REFF" data layout-example --dataset pets --out "$tmp/pets" >/dev/null || fail "no pets example"
"$REFF" data layout-example --dataset isic2017 --out "$tmp/isic" >/dev/null || fail "no isic example"
expect_bad "--data: the pets folder is required" train --dataset pets --out "$tmp/out"
expect_bad "--p: applies to --dataset textured-mnist, not pets" train --dataset pets --data "$tmp/pets" --p 0.5 --out "$tmp/out"
expect_bad "--device" train --device tpu --out "$tmp/out"
python3_torch=/usr/bin/python3
if ! "$python3_torch" -c 'import torch' 2>/dev/null; then python3_torch=python3; fi
if ! "$python3_torch" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  expect_bad "--device: cuda asked for" train --device cuda --out "$tmp/out"
fi
rm "$tmp/isic/ISIC-2017_Validation_Data/ISIC_0000013.jpg"
expect_bad "ISIC-2017_Validation_Data/ISIC_0000013.jpg: expected" \
  train --dataset isic2017 --data "$tmp/isic" --out "$tmp/out"
paper=(--preset paper --dataset pets --data "$tmp/pets" --method reff --max-steps 2
       --batch-size 4 --val-count 4 --test-count 4 --explain-count 4)
"$REFF" train "${paper[@]}" --out "$tmp/paper" >"$tmp/paper.out" 2>&1 ||
  fail "paper-preset pets training failed: $(tail -3 "$tmp/paper.out")"
grep -q '"steps":2' "$tmp/paper/metrics.jsonl" 2>/dev/null ||
  grep -q "test accuracy" "$tmp/paper.out" || fail "no test accuracy: $(tail -2 "$tmp/paper.out")"
grep -q '"name": "resnet50"' "$tmp/paper/config.json" || fail "the paper preset is not ResNet-50"
grep -q '"canvas": 224' "$tmp/paper/config.json" || fail "the paper preset is not 224 px"
grep -q '"background_swap": false' "$tmp/paper/config.json" || fail "paper-preset ReFF swaps backgrounds"
"$REFF" export "$tmp/paper" --out "$tmp/paper.pth" >/dev/null || fail "export failed"
"$python3_torch" -c "
import sys, torch, torchvision
model = torchvision.models.resnet50(num_classes=37)
model.load_state_dict(torch.load(sys.argv[1], weights_only=True), strict=True)
" "$tmp/paper.pth" || fail "torchvision did not accept the exported state dict"
# Fine-tuning the exported 37-class weights on the 3 ISIC classes: a new head, the rest loaded.
"$REFF" data layout-example --dataset isic2017 --out "$tmp/isic2" >/dev/null
"$REFF" train --preset paper --dataset isic2017 --data "$tmp/isic2" --pretrained "$tmp/paper.pth" \
  --max-steps 1 --batch-size 4 --explain-count 4 --out "$tmp/isic-run" >"$tmp/isic.out" 2>&1 ||
  fail "fine-tuning on isic2017 failed: $(tail -3 "$tmp/isic.out")"
grep -q "a new head (fc) for 3 classes" "$tmp/isic.out" || fail "no new head: $(head -3 "$tmp/isic.out")"
expect_bad "--pretrained" train --pretrained "$tmp/none.pth" --out "$tmp/out"
printf 'junk' >"$tmp/junk.pth"
expect_bad "junk.pth: not a zip-format" train --pretrained "$tmp/junk.pth" --model resnet18 --out "$tmp/out"

# reff pretrain: the cpu preset's stand-in backbone, in the cache, where reff train finds it.
export REFF_CACHE="$tmp/cache"
few=(--epochs 1 --train-count 64 --val-count 32 --test-count 32 --explain-count 16)
expect_bad "add --pretrained none" train --method reff --pretrained stand-in --model resnet18 "${few[@]}" --out "$tmp/out"
"$REFF" pretrain --train-count 64 --epochs 1 >"$tmp/pretrain.out" 2>&1 ||
  fail "pretrain failed: $(tail -3 "$tmp/pretrain.out")"
for f in backbone.pth corpus.png config.json metrics.jsonl; do
  [ -s "$REFF_CACHE/stand-in-cpu/$f" ] || fail "the stand-in folder has no $f"
done
"$python3_torch" -c "
import sys, torch
d = torch.load(sys.argv[1], weights_only=True)
assert 'conv1.weight' in d and not any(k.startswith('fc.') for k in d), sorted(d)
" "$REFF_CACHE/stand-in-cpu/backbone.pth" || fail "backbone.pth is not a headless state dict"
"$REFF" pretrain >"$tmp/pretrain2.out" 2>&1 && grep -q "already built" "$tmp/pretrain2.out" ||
  fail "a second pretrain did not say it is built: $(cat "$tmp/pretrain2.out")"
"$REFF" train --method reff "${few[@]}" --out "$tmp/pretrained" >"$tmp/pretrained.out" 2>&1 ||
  fail "training from the stand-in failed: $(tail -3 "$tmp/pretrained.out")"
grep -q "from the stand-in backbone" "$tmp/pretrained.out" || fail "$(head -2 "$tmp/pretrained.out")"
grep -q '"pretrained": "stand-in"' "$tmp/pretrained/config.json" || fail "config: no stand-in"
grep -q "building it once" "$tmp/pretrained.out" && fail "the stand-in was built again"
"$REFF" train --pretrained none "${few[@]}" --max-steps 1 --out "$tmp/scratch" >/dev/null 2>&1 ||
  fail "training from scratch failed"
grep -q '"pretrained": ""' "$tmp/scratch/config.json" || fail "--pretrained none is not recorded"
unset REFF_CACHE

# --help: every data and model option states each preset's value where the presets differ and the
# kinds of data set it applies to where not all, --lambda the methods' own values too, and
# --method and --dataset list every registered method and kind.
"$REFF" train --help >"$tmp/help" 2>&1 || fail "train --help failed"
for line in "--luminance-offset.*(preset cpu 0.5, paper 0.3)" "--textures.*(preset cpu varied, paper gimp)" \
  "--model.*(preset cpu small, paper resnet50)" "--canvas,--image-size.*(preset cpu 40, paper 224)" \
  "--method.*reff-focus: " "--val-share.*(0.1)" "--dataset .*| isic2017 (ISIC.*| waterbirds (" \
  "--lambda .*(preset cpu 0.001, paper 1e-06; abn 10; reff-focus 0.001)" \
  "--p .*\[textured-mnist\] (0)" "--mask-values .*\[folder\]"; do
  grep -q -- "$line" "$tmp/help" || fail "train --help has no line matching '$line'"
done

if [ "$failures" -eq 0 ]; then echo "cli contract: all checks passed"; else exit 1; fi
