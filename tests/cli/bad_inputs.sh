#!/usr/bin/env bash
# Every command with each kind of invalid value for each option (wrong type, out of range,
# missing file, wrong data set layout, mismatched sizes, unknown names): each must exit with
# status 2 and an error line ("error: ...", the last on stderr) that names the option or the file,
# without starting any work or writing the output.
# Needs $REFF. Rows: "what the error must mention | arguments" ($T: a scratch folder).
set -uo pipefail
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
"$REFF" data layout-example --dataset isic2017 --out "$T/isic" >/dev/null
"$REFF" data layout-example --dataset pets --out "$T/pets" >/dev/null
"$REFF" data layout-example --dataset isic2017 --out "$T/isic-sizes" >/dev/null
"$REFF" data layout-example --dataset isic2017 --out "$T/isic-nocsv" >/dev/null
"$REFF" data layout-example --dataset pets --out "$T/pets-badlist" >/dev/null
# A mask of another size than its image; a CSV that is gone; a list line with a bad class id.
mask="$(find "$T/isic-sizes/ISIC-2017_Training_Part1_GroundTruth" -name '*.png' | sort | head -1)"
cp "$(find "$T/isic-sizes/ISIC-2017_Training_Data" -name '*.jpg' | sort | head -1)" "$T/other.jpg"
"$REFF" data textured-mnist --count 1 --canvas 24 --out "$T/tiny" >/dev/null 2>&1
cp "$T/tiny/masks/000000.png" "$mask"
rm "$T/isic-nocsv/ISIC-2017_Validation_Part3_GroundTruth.csv"
sed -i '2s/^\([^ ]*\) [0-9]*/\1 99/' "$T/pets-badlist/annotations/trainval.txt"
# Own folders (docs/own-data.md), each broken in one way.
"$REFF" data layout-example --dataset folder --out "$T/own" >/dev/null
own_csv() {  # own_csv NAME ROWS...: a CSV folder over the example's images
  mkdir -p "$T/$1"
  cp -r "$T/own/train" "$T/$1/img"; local name="$1"; shift
  { echo "image,label,split,mask"; printf '%s\n' "$@"; } >"$T/$name/labels.csv"
}
two=("img/round/round_0.png,round,," "img/tall/tall_0.png,tall,,")
own_csv own-one "img/round/round_0.png,round,,"
own_csv own-twice "${two[@]}" "img/round/round_0.png,round,test,"
own_csv own-escape "${two[@]}" "../own/train/round/round_1.png,round,test,"
own_csv own-absolute "${two[@]}" "$T/own/train/round/round_1.png,round,test,"
own_csv own-link "${two[@]}" "train/round/round_1.png,round,test,"
ln -s "$T/own/train" "$T/own-link/train"
own_csv own-unknown "${two[@]}" "img/tall/tall_1.png,teal,test,"
own_csv own-columns "${two[@]}"; sed -i '1s/split/fold/' "$T/own-columns/labels.csv"
own_csv own-size "img/round/round_0.png,round,,m.png" "img/tall/tall_0.png,tall,,"
cp "$T/tiny/masks/000000.png" "$T/own-size/m.png"
own_csv own-huge "img/round/round_0.png,round,," "img/tall/tall_0.png,tall,," "huge.png,tall,,"
own_csv own-polygon "img/round/round_0.png,round,,m.json" "img/tall/tall_0.png,tall,,"
own_csv own-outside "img/round/round_0.png,round,,m.json" "img/tall/tall_0.png,tall,,"
own_csv own-rle "img/round/round_0.png,round,,c.json" "img/tall/tall_0.png,tall,,"
/usr/bin/python3 - "$T" <<'PY'
import json, struct, sys, zlib
t = sys.argv[1]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
# A PNG header claiming 100,000 x 100,000 pixels (and no pixels): refused before allocating.
ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
open(f"{t}/own-huge/huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                                         + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
labelme = lambda points: {"imageHeight": 48, "imageWidth": 48, "shapes": [{"points": points, "shape_type": "polygon"}]}
json.dump(labelme([[1, 1], [5, 5]]), open(f"{t}/own-polygon/m.json", "w"))
json.dump(labelme([[1, 1], [70, 5], [3, 9]]), open(f"{t}/own-outside/m.json", "w"))
json.dump({"images": [{"id": 1, "file_name": "img/round/round_0.png", "height": 48, "width": 48}],
           "annotations": [{"image_id": 1, "segmentation": {"counts": [5, 7], "size": [48, 48]}}]},
          open(f"{t}/own-rle/c.json", "w"))
PY
mkdir -p "$T/bad-config" && printf 'not json' > "$T/bad-config/config.json"
mkdir -p "$T/no-run"
printf 'junk' > "$T/junk.pth"
mkdir -p "$T/foreign" && printf 'notes' > "$T/foreign/notes.txt"
tiny=(--canvas 24 --train-count 40 --val-count 16 --test-count 16 --textures procedural)
"$REFF" train "${tiny[@]}" --width 4 --epochs 1 --batch-size 8 --explain-count 8 --out "$T/run" \
  >/dev/null 2>&1
"$REFF" annotator train "${tiny[@]}" --n 1 --iterations 2 --generator-base 4 \
  --discriminator-base 4 --out "$T/ann" >/dev/null 2>&1
[ -s "$T/run/checkpoint-best.pt" ] && [ -s "$T/ann/annotator.pt" ] || {
  echo "FAIL: could not make the tiny run and annotator the table needs"; exit 1; }

table=$(cat <<'ROWS'
--epochs | train --epochs abc --out $T/out
--epochs | train --epochs 0 --out $T/out
--batch-size | train --batch-size 1 --out $T/out
--lr | train --lr -1 --out $T/out
--lr | train --lr nan --out $T/out
--momentum | train --momentum 1.5 --out $T/out
--weight-decay | train --weight-decay -1 --out $T/out
--lambda | train --lambda -1e-3 --out $T/out
--lambda | train --lambda x --out $T/out
--layer-weights | train --layer-weights 1,2 --out $T/out
--layer-weights | train --layer-weights 1,-2,3,4 --out $T/out
--cam-rectifier | train --cam-rectifier square --out $T/out
--cam-target | train --cam-target logits --out $T/out
--cam-normalise | train --method reff-l1 --cam-normalise true --out $T/out
--lambda-warmup | train --lambda-warmup -1 --out $T/out
--method | train --method magic --out $T/out
--model | train --model vgg16 --out $T/out
--width | train --width 0 --out $T/out
--preset | train --preset laptop --out $T/out
--explain-count | train --explain-count -5 --out $T/out
none: folder not found | train --annotator $T/none --out $T/out
--pseudo-threshold | train --pseudo-threshold 1.5 --out $T/out
--pretrained | train --pretrained $T/none.pth --out $T/out
junk.pth | train --pretrained $T/junk.pth --model resnet18 --out $T/out
--num-classes | train --num-classes 3 --out $T/out
--max-steps | train --max-steps -1 --out $T/out
--device | train --device tpu --out $T/out
--dataset | train --dataset imagenet --out $T/out
--data | train --dataset pets --out $T/out
--data | train --dataset pets --data $T/none --out $T/out
--p | train --p 1.5 --out $T/out
--q | train --q -0.1 --out $T/out
--test | train --test shift:1 --out $T/out
--val | train --val balanced:1 --out $T/out
--val | train --val balanced:1:1.5 --out $T/out
--val | train --dataset isic2017 --data $T/isic --val x --out $T/out
--test | train --test shift:0.5:7 --out $T/out
--canvas | train --canvas 4 --out $T/out
--digit-size | train --digit-size 41 --out $T/out
--luminance-offset | train --luminance-offset 2 --out $T/out
--textures | train --textures photos --out $T/out
none/images | train --textures dtd --texture-dir $T/none --out $T/out
--mnist | train --mnist $T/none --out $T/out
--train-count | train --train-count -1 --out $T/out
--val-count | train --val-count -3 --out $T/out
--test-count | train --test-count -3 --out $T/out
--annotated-n | train --annotated-n many --out $T/out
--annotated-n | train --annotated-n 100000 --out $T/out
--seed | train --seed -1 --out $T/out
--data-seed | train --data-seed -2 --out $T/out
--annotation-seed | annotator train --n 1 --annotation-seed -1 --out $T/out
--seed | data textured-mnist --seed -1 --out $T/out
ISIC_ | train --dataset isic2017 --data $T/isic-sizes --out $T/out
at least two | train --dataset folder --data $T/own-one --out $T/out
listed twice | train --dataset folder --data $T/own-twice --out $T/out
leaves the data folder | train --dataset folder --data $T/own-escape --out $T/out
is absolute | train --dataset folder --data $T/own-absolute --out $T/out
leads out of the data folder | train --dataset folder --data $T/own-link --out $T/out
is not among the training classes | train --dataset folder --data $T/own-unknown --out $T/out
is not one of image, label, split | train --dataset folder --data $T/own-columns --out $T/out
m.png: is 24x24 but its image | train --dataset folder --data $T/own-size --out $T/out
huge.png: cannot decode PNG (implausible image size) | train --dataset folder --data $T/own-huge --out $T/out
at least 3 points | train --dataset folder --data $T/own-polygon --out $T/out
outside the 48x48 image | train --dataset folder --data $T/own-outside --out $T/out
RLE counts sum to 12 | train --dataset folder --data $T/own-rle --out $T/out
mask(s) cannot be used | masks validate $T/own-rle
--mask-values | train --dataset folder --data $T/own --mask-values 300 --out $T/out
--mask-values | train --mask-values 3 --out $T/out
--mask-threshold | masks validate $T/own --mask-threshold 1.5
--annotated-n | train --dataset folder --data $T/own --annotated-n 2 --out $T/out
--val-share | train --val-share 1 --out $T/out
--prefetch | train --prefetch maybe --out $T/out
already exists | masks convert $T/own --out $T/own
--dataset textured-mnist | annotate --dataset textured-mnist --data $T/own
--data | annotate --data $T/nowhere
--port | annotate --data $T/own --port 70000
--n | annotate --data $T/own --n zero
500 per class asked | annotate --data $T/own --n 500
no-run | annotate --data $T/own --annotator $T/no-run
--mask-threshold | annotate --data $T/own --mask-threshold 2
neither a run folder | report $T/own
neither labels.csv nor | masks validate $T/isic
Validation_Part3_GroundTruth.csv | train --dataset isic2017 --data $T/isic-nocsv --out $T/out
trainval.txt | train --dataset pets --data $T/pets-badlist --out $T/out
config.json | train --resume --out $T/no-run
reff did not write | train --out $T/foreign
reff did not write | annotator train --n 1 --out $T/foreign
reff did not write | experiment table3 --preset micro --out $T/foreign
junk.pth/run: cannot create the folder | train --out $T/junk.pth/run
config.json | train --resume --out $T/bad-config
--iterations | annotator train --n 1 --iterations 0 --out $T/out
--generator-base | annotator train --n 1 --generator-base 0 --out $T/out
--discriminator-base | annotator train --n 1 --discriminator-base -1 --out $T/out
--annotated-n | annotator train --out $T/out
--canvas | annotator train --n 1 --canvas 16 --out $T/out
--device | annotator train --n 1 --device gpu7 --out $T/out
config.json | annotator eval $T/no-run
--count | annotator show $T/ann --count 0 --out $T/out.png
other data | train --annotator $T/ann --p 0.5 --out $T/out
config.json | annotator show $T/no-run --out $T/out.png
config.json | eval $T/no-run
--checkpoint | eval $T/run --checkpoint newest
--test | eval $T/run --test iid:0:2
--count | eval $T/run --count -4
config.json | explain $T/no-run --out $T/out.png
--count | explain $T/run --count 0 --out $T/out.png
--test | explain $T/run --test x --out $T/out.png
config.json | export $T/no-run --out $T/out.pth
--checkpoint | export $T/run --checkpoint first --out $T/out.pth
--count | data textured-mnist --count -1 --out $T/out
--split | data textured-mnist --split validation --out $T/out
--val-share | data textured-mnist --val-share 1.5 --out $T/out
--preset | data textured-mnist --preset huge --out $T/out
--dataset | data layout-example --dataset imagenet --out $T/out
table9 | experiment table9 --out $T/out
--preset | experiment table2 --preset huge --out $T/out
--seeds | experiment table2 --seeds 0 --out $T/out
--seeds | experiment table2 --seeds many --out $T/out
--device | experiment table3 --device tpu --out $T/out
none/train-images-idx3-ubyte.gz | pretrain --corpus $T/none --out $T/out
--epochs | pretrain --epochs 0 --out $T/out
--train-count | pretrain --train-count 0 --out $T/out
--preset | pretrain --preset huge --out $T/out
reff did not write | pretrain --out $T/foreign
--mask-threshold | train --mask-threshold 0 --out $T/out
--stretch-textures | train --stretch-textures maybe --out $T/out
--texture-dir | data textured-mnist --textures varied --texture-dir $T --out $T/out
ROWS
)

failures=0
rows=0
while IFS='|' read -r mention args; do
  mention="$(echo "$mention" | xargs)"
  args="${args//\$T/$T}"
  rows=$((rows + 1))
  rm -rf "$T/out" "$T/out.png" "$T/out.pth"
  # shellcheck disable=SC2086  # the row's arguments are split on spaces on purpose
  timeout 120 "$REFF" $args >"$T/stdout" 2>"$T/stderr"
  rc=$?
  problem=""
  last="$(tail -1 "$T/stderr")"
  [ "$rc" -eq 2 ] || problem="exit $rc, expected 2"
  [[ "$last" == "error: "* ]] || problem="$problem; the last line is not 'error: ...'"
  [[ "$last" == *"$mention"* ]] || problem="$problem; does not mention '$mention'"
  grep -q "steps/s\|img/s\|it/s" "$T/stderr" && problem="$problem; started working"
  [ ! -e "$T/out" ] || problem="$problem; wrote $T/out"
  if [ -n "$problem" ]; then
    echo "FAIL: reff $args: $problem: $(head -c 300 "$T/stderr")"
    failures=$((failures + 1))
  fi
done <<<"$table"
echo "bad inputs: $rows rows, $failures failed"
[ "$failures" -eq 0 ]
