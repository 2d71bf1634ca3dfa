#!/usr/bin/env bash
# Seed corpora for the fuzz targets, from valid files reff itself writes (plus tiny IDX files):
#   fuzz/seed-corpus.sh REFF_BINARY OUT_DIR   ->  OUT_DIR/<target>/...
set -euo pipefail
reff="$1"; out="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$out"/{idx,gimp_pattern,image,isic2017_csv,pets_list,run_config,checkpoint,pth,csv,coco,labelme,mask_upload}

/usr/bin/python3 - "$out" <<'PY'
import gzip, struct, sys
out = sys.argv[1]
images = struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 3, 3) + bytes(range(18))
labels = struct.pack(">BBBBI", 0, 0, 8, 1, 2) + bytes([3, 7])
open(f"{out}/idx/images.idx", "wb").write(images)
open(f"{out}/idx/labels.idx", "wb").write(labels)
open(f"{out}/idx/images.idx.gz", "wb").write(gzip.compress(images))
# GIMP pattern: header size, version 1, width, height, bytes per pixel, "GPAT", name, pixels.
name = b"seed\0"
header = struct.pack(">IIIII", 24 + len(name), 1, 2, 2, 3) + b"GPAT" + name
open(f"{out}/gimp_pattern/rgb.pat", "wb").write(header + bytes(range(12)))
PY

"$reff" data layout-example --dataset isic2017 --out "$work/isic" > /dev/null
"$reff" data layout-example --dataset pets --out "$work/pets" > /dev/null
cp "$(find "$work/isic" -name '*.jpg' | sort | head -1)" "$out/image/seed.jpg"
cp "$(find "$work/isic" -name '*_segmentation.png' | sort | head -1)" "$out/image/seed.png"
cp "$work/isic/ISIC-2017_Training_Part3_GroundTruth.csv" "$out/isic2017_csv/seed.csv"
cp "$work/pets/annotations/trainval.txt" "$out/pets_list/seed.txt"

# The micro preset's model (width 4, 10 classes): the fuzzed checkpoints load into the same.
tiny=(--canvas 24 --width 4 --train-count 40 --val-count 16 --test-count 16 --textures procedural)
"$reff" train "${tiny[@]}" --epochs 1 --batch-size 8 --explain-count 8 --out "$work/run" > /dev/null 2>&1
"$reff" annotator train --canvas 24 --train-count 40 --val-count 16 --test-count 16 \
  --textures procedural --n 1 --iterations 2 --generator-base 4 --discriminator-base 4 \
  --out "$work/annotator" > /dev/null 2>&1
cp "$work/run/config.json" "$out/run_config/classifier.json"
cp "$work/annotator/config.json" "$out/run_config/annotator.json"
cp "$work/run/checkpoint-last.pt" "$out/checkpoint/last.pt"
cp "$work/run/checkpoint-best.pt" "$out/checkpoint/best.pt"
"$reff" export "$work/run" --out "$out/pth/small.pth" > /dev/null

# Own folders: the layout example's COCO and labelme files, the hand-made mask fixtures, a CSV.
"$reff" data layout-example --dataset folder --out "$work/own" > /dev/null
cp "$work/own/masks/test.json" "$out/coco/example.json"
cp "$(find "$work/own/masks/train" -name '*.json' | sort | head -1)" "$out/labelme/example.json"
fixtures="$(cd "$(dirname "$0")/.." && pwd)/tests/data/masks"
cp "$fixtures/coco.json" "$out/coco/hand-made.json"
cp "$fixtures/labelme.json" "$out/labelme/hand-made.json"
cp "$fixtures/indexed.png" "$out/image/indexed.png"
# Mask uploads: a 0/255 mask as reff annotate saves it (another size than the target's 32 x 24).
cp "$(find "$work/own/masks/train" -name '*.png' | sort | head -1)" "$out/mask_upload/mask.png"
printf 'image,label,split,mask,group\n"a, b.png",cat,train,m/a.png,x\nc.png,dog,,,y\n' > "$out/csv/seed.csv"
echo "seed corpora in $out: $(find "$out" -type f | wc -l) files"
