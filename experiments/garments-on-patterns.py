#!/usr/bin/env python3
"""An own-folder data set with a background shortcut, made from Debian-packaged images only:
garments of Fashion-MNIST (dataset-fashion-mnist) on photographic GIMP patterns (gimp-data).

Four classes (t-shirt, trouser, sneaker, bag). In train/ and test/ each class sits on its own
pattern (leaves, brick, pool, burlwood), so the background gives the label away; in shifted/ and
val-shiftfree/ the pattern is drawn at random among the four, so it gives nothing away. Every
training image has a PNG mask (the garment). Written as `reff train --dataset folder` reads it:

    OUT/data/train/<class>/*.png, OUT/data/test/<class>/*.png, OUT/data/masks/train/<class>/*.png
    OUT/shifted/<class>/*.png       a test folder (--test OUT/shifted)
    OUT/val-shiftfree/<class>/*.png a shift-free validation folder (--val OUT/val-shiftfree)

    experiments/garments-on-patterns.py OUT [--train 200] [--test 100] [--seed 0]
"""
import argparse
import gzip
import os
import struct

import numpy as np
from PIL import Image

FASHION = "/usr/share/datasets/fashion-mnist"
PATTERNS = "/usr/share/gimp/2.0/patterns"
CLASSES = {"t-shirt": 0, "trouser": 1, "sneaker": 7, "bag": 8}  # Fashion-MNIST labels
BACKGROUNDS = ["Plant/leaves.pat", "Stone/brick.pat", "Water/pool.pat", "Wood/burlwood.pat"]
CANVAS, GARMENT = 40, 30


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def pattern(path):  # GIMP's .pat: a big-endian header, then width x height x bytes pixels
    with open(path, "rb") as f:
        data = f.read()
    header, _, width, height, depth, magic = struct.unpack(">5I4s", data[:24])
    assert magic == b"GPAT", path
    pixels = np.frombuffer(data, np.uint8, offset=header, count=width * height * depth)
    pixels = pixels.reshape(height, width, depth)[..., :3]
    if depth < 3:
        pixels = np.repeat(pixels[..., :1], 3, axis=2)
    return pixels


def patch(bank, rng):
    h, w, _ = bank.shape
    side = min(h, w, 96)
    y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    return np.asarray(Image.fromarray(bank[y:y + side, x:x + side]).resize((CANVAS, CANVAS),
                                                                           Image.BILINEAR))


def compose(garment, bank, rng):
    glyph = np.asarray(Image.fromarray(garment).resize((GARMENT, GARMENT), Image.BILINEAR))
    y, x = rng.integers(0, CANVAS - GARMENT + 1, size=2)
    alpha = np.zeros((CANVAS, CANVAS), np.float32)
    alpha[y:y + GARMENT, x:x + GARMENT] = glyph / 255.0
    colour = rng.integers(150, 256, size=3).astype(np.float32)  # a light garment, any tint
    image = patch(bank, rng).astype(np.float32) * (1 - alpha[..., None]) + colour * alpha[..., None]
    mask = (alpha > 0.15).astype(np.uint8) * 255
    return image.round().clip(0, 255).astype(np.uint8), mask


def write(out, images, labels, banks, rng, count, shortcut, masks_dir=None):
    names = list(CLASSES)
    for k, name in enumerate(names):
        pool = np.flatnonzero(labels == CLASSES[name])
        chosen = rng.choice(pool, size=count, replace=False)
        os.makedirs(os.path.join(out, name), exist_ok=True)
        if masks_dir:
            os.makedirs(os.path.join(masks_dir, name), exist_ok=True)
        for i, index in enumerate(chosen):
            bank = banks[k] if shortcut else banks[rng.integers(len(banks))]
            image, mask = compose(images[index], bank, rng)
            Image.fromarray(image).save(os.path.join(out, name, f"{i:04d}.png"))
            if masks_dir:
                Image.fromarray(mask).save(os.path.join(masks_dir, name, f"{i:04d}.png"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--train", type=int, default=200, help="training images per class")
    parser.add_argument("--test", type=int, default=100, help="images per class of each test set")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    banks = [pattern(os.path.join(PATTERNS, p)) for p in BACKGROUNDS]
    train_images = idx(f"{FASHION}/train-images-idx3-ubyte.gz")
    train_labels = idx(f"{FASHION}/train-labels-idx1-ubyte.gz")
    test_images = idx(f"{FASHION}/t10k-images-idx3-ubyte.gz")
    test_labels = idx(f"{FASHION}/t10k-labels-idx1-ubyte.gz")
    data = os.path.join(args.out, "data")
    # Fashion-MNIST's training file for train and the shift-free val, its test file for the tests.
    half = len(train_labels) // 2
    write(os.path.join(data, "train"), train_images[:half], train_labels[:half], banks, rng,
          args.train, True, os.path.join(data, "masks", "train"))
    write(os.path.join(args.out, "val-shiftfree"), train_images[half:], train_labels[half:],
          banks, rng, args.test, False)
    write(os.path.join(data, "test"), test_images, test_labels, banks, rng, args.test, True)
    write(os.path.join(args.out, "shifted"), test_images, test_labels, banks, rng, args.test, False)
    print(f"wrote {args.out}: {len(CLASSES)} classes, {args.train} training and {args.test} "
          f"test, shifted and val images per class")


if __name__ == "__main__":
    main()
