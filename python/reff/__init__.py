"""reff from Python: ReFF's explanation losses, the differentiable multi-layer Grad-CAM, the mask
readers and reff's data sets, for a PyTorch training loop of your own.

Everything here runs in reff's C++ core (the same code as ``reff train``): tensors and their
autograd graphs pass between Python and C++ without copies. Bad input raises
:class:`ReffError` (a ``ValueError``) with reff's one-line message.

A ReFF training step with a torchvision ResNet::

    focus = reff.ExplanationLoss(model, ["layer1", "layer2", "layer3", "layer4"], lam=1e-3)
    logits = model(images)
    loss = F.cross_entropy(logits, labels) + focus(logits, labels, masks)
    loss.backward()

On the CPU, ``reff.nn.convert(model)`` first gives the model's BatchNorm layers reff's faster
second derivative (the same numbers).
"""

from reff._core import ReffError, version as __version__
from reff.datasets import ReffDataset, datasets, run_datasets
from reff.explain import METHOD_DEFAULTS, METHODS, explanation_loss, grad_cam, input_gradient_loss
from reff.hooks import ExplanationLoss
from reff.masks import read_mask
from reff import nn

__all__ = [
    "ReffError",
    "ReffDataset",
    "datasets",
    "run_datasets",
    "METHOD_DEFAULTS",
    "METHODS",
    "grad_cam",
    "explanation_loss",
    "input_gradient_loss",
    "ExplanationLoss",
    "read_mask",
    "nn",
]
