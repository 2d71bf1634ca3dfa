#!/usr/bin/env python3
# Writes the PNG mask fixtures of test_mask_files.cpp with Pillow, as annotation tools do
# (run once; the files are committed): indexed PNGs with a VOC-style palette, grayscale PNGs,
# and the labelme file whose "mask" shape embeds a PNG.
import base64, io, json, sys
from PIL import Image

here = sys.argv[1] if len(sys.argv) > 1 else "."

indexed = Image.new("P", (4, 3))
indexed.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [192, 128, 128] * 253)
indexed.putdata([0, 0, 15, 15, 0, 15, 15, 255, 2, 2, 0, 0])
indexed.save(f"{here}/indexed.png")

# Palette PNGs as CVAT (index 1 the object) and Pascal VOC (class 15, 255 the void band) export
# them, for reading without --mask-values.
for name, pixels in (("palette01", [0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0]),
                     ("voc", [0, 0, 15, 15, 0, 15, 255, 255, 0, 0, 0, 0])):
    palette = Image.new("P", (4, 3))
    palette.putpalette([0, 0, 0, 128, 0, 0] + [192, 128, 128] * 254)
    palette.putdata(pixels)
    palette.save(f"{here}/{name}.png")

# Gray levels 0 and 1 (a class index written as gray): below any threshold, so the mask reads empty.
levels = Image.new("L", (4, 3))
levels.putdata([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
levels.save(f"{here}/levels01.png")

gray = Image.new("L", (4, 3))
gray.putdata([0, 100, 200, 255, 127, 128, 0, 0, 255, 255, 255, 255])
gray.save(f"{here}/gray.png")

tile = Image.new("L", (2, 2))
tile.putdata([1, 0, 1, 1])
png = io.BytesIO()
tile.save(png, format="PNG")
labelme = {
    "version": "5.4.1",
    "shapes": [
        {"label": "a", "points": [[0, 0], [2, 0], [2, 2], [0, 2]], "shape_type": "polygon",
         "mask": None},
        {"label": "b", "points": [[4, 0], [6, 1]], "shape_type": "rectangle", "mask": None},
        {"label": "c", "points": [[6, 4], [6, 5]], "shape_type": "circle", "mask": None},
        {"label": "d", "points": [[0, 4], [1, 5]], "shape_type": "mask",
         "mask": base64.b64encode(png.getvalue()).decode()},
    ],
    "imagePath": "image.png", "imageData": None, "imageHeight": 6, "imageWidth": 8,
}
with open(f"{here}/labelme.json", "w") as f:
    json.dump(labelme, f, indent=1)
