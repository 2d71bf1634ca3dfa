"""ReFF in your own PyTorch loop: a torchvision ResNet-18 trained on an own folder of images and
masks (reff data layout-example --dataset folder writes one), with the cpu preset's settings, the
same data sets reff train would use, and ReFF's loss from the reff package.

    python3 examples/python/train_torchvision.py DATA_DIR [--method reff] [--epochs 3] [--seed 0]
                                                 [--test FOLDER ...]

Prints one JSON line per epoch (the cross-entropy, the added term lambda L, the accuracies); compare with
    reff train --preset cpu --dataset folder --data DATA_DIR --model resnet18 --pretrained none \
        --method reff --epochs 3 --seed 0 [--test test --test FOLDER ...] --out runs/same
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F
import torchvision

import reff


def accuracy(model, dataset):
    model.eval()
    with torch.no_grad():
        loader = torch.utils.data.DataLoader(dataset, batch_size=256)
        right = sum(int((model(x).argmax(1) == y).sum()) for x, y, _, _ in loader)
    model.train()
    return right / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="an own folder (docs/own-data.md)")
    parser.add_argument("--method", default="reff", help="baseline, reff, reff-l1, reff-l2 or rrr")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test", action="append", default=[],
                        help="a folder of test images as well (reff train --test FOLDER)")
    args = parser.parse_args()

    data = {"data_dir": args.data}
    if args.test:  # the folder's own test split, then each folder, named by its last component
        data["tests"] = [{"name": "test", "p": 1, "q": 1}] + [
            {"name": os.path.basename(os.path.abspath(f)), "p": 1, "q": 1,
             "folder": os.path.abspath(f)} for f in args.test]
    sets = reff.datasets("cpu", "folder", {"data": data})
    train, settings = sets["train"], sets["train"].config["train"]
    torch.manual_seed(args.seed)
    # reff's BatchNorm: the same numbers, a faster second derivative for ReFF's step on the CPU.
    model = reff.nn.convert(torchvision.models.resnet18(num_classes=len(train.class_names)))
    reff.nn.keep_freed_memory()  # freed memory reused, as reff train does
    optimiser = torch.optim.SGD(model.parameters(), lr=settings["lr"],
                                momentum=settings["momentum"], weight_decay=settings["weight_decay"])
    focus = None if args.method == "baseline" else reff.ExplanationLoss(
        model, method=args.method, lam=settings["lambda"], layer_weights=settings["layer_weights"])
    loader = torch.utils.data.DataLoader(train, batch_size=settings["batch_size"], shuffle=True,
                                         generator=torch.Generator().manual_seed(args.seed))
    for epoch in range(1, args.epochs + 1):
        sums = {"main": 0.0, "penalty": 0.0}
        for images, labels, masks, has_mask in loader:
            if args.method == "rrr":
                images.requires_grad_(True)
            logits = model(images)
            main = F.cross_entropy(logits, labels)
            term = focus(logits, labels, masks, has_mask, images) if focus else torch.zeros(())
            optimiser.zero_grad()
            (main + term).backward()
            optimiser.step()
            sums["main"] += main.item() * len(labels)
            sums["penalty"] += term.item() * len(labels)
        record = {"epoch": epoch, **{k: v / len(train) for k, v in sums.items()}}
        record.update({f"{name}_accuracy": accuracy(model, data)
                       for name, data in sets.items() if name != "train"})
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
