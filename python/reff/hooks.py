"""ReFF for any PyTorch model: forward hooks collect the named layers' feature maps, and the
loss term of a registry method is computed from them, as ``reff train``'s step does."""

from typing import List, Optional, Sequence

import torch

from reff import _core
from reff.explain import METHOD_DEFAULTS, METHODS, RESNET_LAYER_WEIGHTS, explanation_loss, grad_cam, input_gradient_loss


class ExplanationLoss:
    """``lam * L_method`` for a batch, from the feature maps of the model's last forward pass.

    Hooks the modules named in ``layers`` (``model.get_submodule(name)``; a torchvision ResNet's
    ``layer1`` .. ``layer4`` by default). Call it after ``logits = model(images)``::

        focus = ExplanationLoss(model, lam=1e-3)
        logits = model(images)
        loss = F.cross_entropy(logits, labels) + focus(logits, labels, masks, has_mask)

    The loss differentiates the model's backward pass once more. A model with
    ``torch.nn.BatchNorm2d`` layers, trained on the CPU, profits from ``reff.nn.convert(model)``
    first: reff's BatchNorm computes that second derivative in two passes instead of PyTorch's
    composite (the same numbers; docs/python.md has the measured speeds).

    Like ``reff train``, layers of weight 0 are not explained and a batch without any mask costs
    no Grad-CAM (its term is 0). For ``method="rrr"`` pass ``images`` (with ``requires_grad_()``
    set before the forward pass). Call :meth:`remove` to take the hooks off.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        layers: Sequence[str] = ("layer1", "layer2", "layer3", "layer4"),
        *,
        method: str = "reff",
        lam: Optional[float] = None,
        layer_weights: Sequence[float] = RESNET_LAYER_WEIGHTS,
        target: Optional[str] = None,
        rectifier: Optional[str] = None,
        weighting: str = "gradcam",
        normalise: Optional[bool] = None,
    ) -> None:
        if method not in METHODS or METHODS[method][1] not in ("grad_cam", "input_gradients"):
            usable = ", ".join(m for m, (_, needs) in METHODS.items()
                               if needs in ("grad_cam", "input_gradients"))
            raise ValueError(f"method: '{method}' is not a loss on a model's explanations "
                             f"(one of {usable})")
        if len(layer_weights) != len(layers):
            raise ValueError(f"layer_weights: {len(layer_weights)} weights for {len(layers)} layers")
        # Unset: the method's own choice (METHOD_DEFAULTS), else `reff train --preset cpu`'s.
        own = METHOD_DEFAULTS[method]
        lam = own.get("lam", _core.preset_lambda("cpu")) if lam is None else lam
        if not lam >= 0:
            raise ValueError("lam: must be non-negative")
        self.method, self.lam = method, float(lam)
        self.normalise = bool(own.get("normalise", False) if normalise is None else normalise)
        self.cam = dict(target=own.get("target", "class-logit") if target is None else target,
                        rectifier=own.get("rectifier", "relu") if rectifier is None else rectifier,
                        weighting=weighting)
        explained = [(name, float(w)) for name, w in zip(layers, layer_weights) if w != 0]
        self.layer_weights = [w for _, w in explained]
        self._features: List[Optional[torch.Tensor]] = [None] * len(explained)
        self._hooks = []
        for index, (name, _) in enumerate(explained):
            module = model.get_submodule(name)
            self._hooks.append(module.register_forward_hook(self._keeper(index)))

    def _keeper(self, index: int):
        def keep(_module, _inputs, output):
            self._features[index] = output
        return keep

    def __call__(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        masks: torch.Tensor,
        has_mask: Optional[torch.Tensor] = None,
        images: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """The term to add to the classification loss, a scalar tensor."""
        if has_mask is None:
            has_mask = torch.ones(masks.shape[:1], dtype=torch.bool, device=masks.device)
        if self.method == "rrr":
            if images is None:
                raise ValueError("images: rrr needs the images the logits were computed from")
            return self.lam * input_gradient_loss(logits, images, masks, has_mask)
        if not self.layer_weights or not bool(has_mask.any()):
            return torch.zeros((), dtype=logits.dtype, device=logits.device)
        if any(f is None for f in self._features):
            raise ValueError("features: the hooked layers did not run; call the model first")
        maps = grad_cam(logits, self._features, labels, tuple(masks.shape[-2:]), create_graph=True,
                        **self.cam)
        return self.lam * explanation_loss(maps, masks, has_mask, method=self.method,
                                           layer_weights=self.layer_weights,
                                           normalise=self.normalise)

    def remove(self) -> None:
        """Takes the forward hooks off the model."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
