#!/usr/bin/python3
"""Debian's GIMP patterns as a folder in DTD's layout, each class as K copies with the hue turned at
random and the saturation scaled and raised (in HSV, the value kept): many photographs per class
that share their pattern but not their colour (docs/results/photographic-banks.md).

usage: /usr/bin/python3 experiments/gimp-hue-bank.py OUT K
       (K = 0: one copy per class, colours unchanged: the same layout and scale, no variation)
then:  build/reff train --textures dtd --texture-dir OUT ...   (the first 10 classes are the digit
       textures, in reff's order for --textures gimp)"""
import os, struct, sys, glob
import numpy as np
from PIL import Image

src = '/usr/share/gimp/2.0/patterns'  # gimp-data
if len(sys.argv) != 3 or not sys.argv[2].isdigit():
    sys.exit("usage: gimp-hue-bank.py OUT K (K >= 1 hue-turned copies per class; 0: one unchanged)")
if not os.path.isdir(src):
    sys.exit(src + ": not found (install gimp-data)")
out, K = sys.argv[1], int(sys.argv[2])
digit = ["Wood/wood1", "Stone/brick", "Animal/leopard", "Legacy/bluegrid", "Sky/starfield",
         "Plant/leaves", "Fabric/burlap", "Stone/pink_marble", "Legacy/redcube", "Water/pool"]

def read_pat(path):
    b = open(path, 'rb').read()
    header, version, w, h, bpp = struct.unpack('>5I', b[:20])
    px = np.frombuffer(b[header:header + w * h * bpp], np.uint8).reshape(h, w, bpp)
    px = px.astype(np.float64)
    alpha = px[:, :, -1:] / 255 if bpp in (2, 4) else 1.0
    colour = px[:, :, :bpp - 1] if bpp in (2, 4) else px
    if colour.shape[2] == 1: colour = np.repeat(colour, 3, 2)
    return np.round(colour * alpha + 255 * (1 - alpha)).astype(np.uint8)  # on white, as GIMP

names = sorted(os.path.relpath(p, src)[:-4] for p in glob.glob(src + '/**/*.pat', recursive=True))
names = digit + [n for n in names if n not in digit]
rng = np.random.default_rng(0)
for i, name in enumerate(names):
    px = read_pat(os.path.join(src, name + '.pat'))
    # tile small patterns so crops of half the shorter side still show the pattern
    reps = max(1, int(np.ceil(96 / min(px.shape[:2]))))
    px = np.tile(px, (reps, reps, 1))
    d = os.path.join(out, 'images', '%02d_%s' % (i, name.replace('/', '_')))
    os.makedirs(d, exist_ok=True)
    hsv = np.array(Image.fromarray(px).convert('HSV')).astype(np.int32)
    if K == 0:
        Image.fromarray(px).save(os.path.join(d, 'c00.png'))
    for k in range(K):
        shifted = hsv.copy()
        shifted[:, :, 0] = (shifted[:, :, 0] + int(rng.integers(0, 256))) % 256
        # saturation: at least some colour so that grey patterns get a hue too
        shifted[:, :, 1] = np.clip(shifted[:, :, 1] * rng.uniform(0.6, 1.4) + rng.uniform(0, 80), 0, 255)
        Image.fromarray(shifted.astype(np.uint8), 'HSV').convert('RGB').save(os.path.join(d, 'c%02d.png' % k))
print(len(names), 'classes')
