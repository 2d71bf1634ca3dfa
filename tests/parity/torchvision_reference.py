"""Writes torchvision's side of the parity test into OUT_DIR:

  resnet50.pth    torchvision ResNet-50's state dict (seeded weights, BatchNorm statistics
                  made non-trivial so that buffers matter), as torch.save writes it;
  reference.pth   {"input", "classes", "logits", "cam1".."cam4", "signed1".."signed4"}: eval-mode
                  logits on a fixed batch and the Grad-CAM of layer1..layer4 for `classes` (the
                  top class of each sample), computed with plain torch autograd (one
                  torch.autograd.grad call) and bilinear upsampling, with ReLU (cam) and without
                  (signed: the scale of the comparison, never all zero).

Run with Debian's python3 (python3-torch, python3-torchvision): python3 torchvision_reference.py OUT
"""
import os
import sys

import torch
import torch.nn.functional as F
import torchvision


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(17)
    model.eval()

    features = []
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        stage.register_forward_hook(lambda m, i, o: features.append(o))
    images = torch.randn(2, 3, 112, 112)
    logits = model(images)
    classes = logits.argmax(1)
    score = logits.gather(1, classes.view(-1, 1)).sum()
    gradients = torch.autograd.grad(score, features)
    reference = {"input": images, "classes": classes, "logits": logits.detach()}
    for layer, (a, g) in enumerate(zip(features, gradients), start=1):
        alpha = g.mean(dim=(2, 3), keepdim=True)
        signed = F.interpolate((alpha * a).sum(dim=1, keepdim=True), size=images.shape[2:],
                               mode="bilinear", align_corners=False).squeeze(1).detach()
        cam = F.interpolate(torch.relu((alpha * a).sum(dim=1, keepdim=True)),
                            size=images.shape[2:], mode="bilinear", align_corners=False)
        reference[f"cam{layer}"] = cam.squeeze(1).detach()
        reference[f"signed{layer}"] = signed
    torch.save(model.state_dict(), os.path.join(out, "resnet50.pth"))
    torch.save(reference, os.path.join(out, "reference.pth"))
    print(f"torchvision {torchvision.__version__}: wrote resnet50.pth and reference.pth to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
