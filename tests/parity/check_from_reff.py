"""The reff -> Python direction of the parity test: torchvision's ResNet-50 must accept the
state dict that reff wrote (OUT_DIR/from_reff.pth, strict load_state_dict) and give the logits
that reff computed with it (OUT_DIR/from_reff_logits.pth: {"input", "logits"}). Both load with
weights_only=True, as PyTorch >= 2.6 loads by default: reff writes what torch.save writes.

python3 check_from_reff.py OUT_DIR   (exit 1 with a message when they differ)
"""
import os
import sys

import torch
import torchvision


def main(out):
    state = torch.load(os.path.join(out, "from_reff.pth"), weights_only=True)
    expected = torch.load(os.path.join(out, "from_reff_logits.pth"), weights_only=True)
    model = torchvision.models.resnet50()
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(expected["input"])
    error = ((logits - expected["logits"]).abs().max() / expected["logits"].abs().max()).item()
    print(f"reff -> torchvision: {len(state)} tensors loaded; logits relative error {error:.2e}")
    if not error < 1e-4:
        sys.exit("relative error above 1e-4")


if __name__ == "__main__":
    main(sys.argv[1])
