"""The Python package against reff train's step: for the same weights and batch
(tests/python/step_reference.cpp wrote them, with the C++ trainer's loss and gradients), the loss
of a torchvision ResNet-18 with reff.ExplanationLoss, and every parameter's gradient, equal the
C++ trainer's to 1e-6 relative (float64).

REFF_STEP_REFERENCE=DIR python3 -m pytest test_parity.py   (or python3 test_parity.py;
PYTHONPATH: the built package; ctest sets both)
"""
import os
import unittest

import torch
import torch.nn.functional as F
import torchvision

import reff

REFERENCE = os.environ.get("REFF_STEP_REFERENCE", "")


def load(name):
    return torch.load(os.path.join(REFERENCE, name), weights_only=True)


def relative(ours, theirs):
    scale = theirs.abs().max().item()
    return (ours - theirs).abs().max().item() / (scale if scale > 0 else 1.0)


class GradientParity(unittest.TestCase):
    def step(self, method):
        torch.manual_seed(0)
        model = torchvision.models.resnet18(num_classes=10).double()
        model.load_state_dict(load("weights.pth"), strict=True)
        model.train()
        batch = load("batch.pth")
        images = batch["images"]
        if method == "rrr":
            images = images.detach().requires_grad_(True)
        focus = reff.ExplanationLoss(model, method=method, lam=1e-2,
                                     layer_weights=(15, 0, 250, 1000))
        logits = model(images)
        total = F.cross_entropy(logits, batch["labels"]) + focus(
            logits, batch["labels"], batch["masks"], batch["has_mask"], images=images)
        total.backward()
        return model, total

    def check(self, method):
        expected = load(f"step_{method}.pth")
        model, total = self.step(method)
        self.assertGreater(expected["explanation"].item(), 0, "the penalty must be active")
        loss_error = relative(total.detach(), expected["total"])
        self.assertLess(loss_error, 1e-6)
        worst = 0.0
        for name, parameter in model.named_parameters():
            with self.subTest(method=method, parameter=name):
                error = relative(parameter.grad, expected["grad." + name])
                worst = max(worst, error)
                self.assertLess(error, 1e-6, f"{name}: relative error {error:.2e}")
        print(f"{method}: loss relative error {loss_error:.1e}, worst of "
              f"{len(list(model.parameters()))} gradients {worst:.1e}")

    def test_reff(self):
        self.check("reff")

    def test_reff_l1(self):
        self.check("reff-l1")

    def test_reff_l2(self):
        self.check("reff-l2")

    def test_rrr(self):
        self.check("rrr")


if __name__ == "__main__":
    unittest.main()
