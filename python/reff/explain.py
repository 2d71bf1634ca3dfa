"""The differentiable multi-layer Grad-CAM and the explanation losses of reff's method registry.

For layer l with feature maps A_l and the explained score y of each sample (docs/method.md):
    alpha_k = mean_ij dy/dA_l[k, i, j]
    I_l     = rectifier(sum_k alpha_k A_l[k]),  I'_l its bilinear upsampling to the input size
and ReFF's loss (Eq. 3) is sum_l w_l || I'_l (.) (1 - s) ||_1, averaged over the batch.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import torch

from reff import _core

#: The training methods of ``reff train --method``: name -> (help line, what the step computes:
#: "grad_cam" for penalties on Grad-CAMs, "input_gradients", "attention_branch" or "nothing").
METHODS: Dict[str, Tuple[str, str]] = {name: (text, needs) for name, text, needs, _ in _core.methods()}

#: What a method brings when chosen, as ``reff train --method`` applies it: the penalised maps'
#: ``target`` and ``rectifier``, ``normalise`` and its own ``lam``, where it fixes them
#: (``reff-focus``: abs maps of the logit minus the mean logit, normalised).
METHOD_DEFAULTS: Dict[str, Dict[str, object]] = {name: d for name, _, _, d in _core.methods()}

#: The paper's layer weights w_l for a ResNet's layer1..layer4.
RESNET_LAYER_WEIGHTS: Tuple[float, ...] = (15.0, 60.0, 250.0, 1000.0)


def grad_cam(
    logits: torch.Tensor,
    features: Sequence[torch.Tensor],
    classes: torch.Tensor,
    input_size: Optional[Tuple[int, int]] = None,
    *,
    target: str = "class-logit",
    rectifier: str = "relu",
    weighting: str = "gradcam",
    create_graph: bool = True,
) -> List[torch.Tensor]:
    """Grad-CAMs of every layer in ``features`` from ONE autograd call.

    Args:
        logits: ``[B, C]``, computed from ``features`` with gradients enabled.
        features: per layer ``[B, K_l, H_l, W_l]``, e.g. collected by forward hooks.
        classes: int64 ``[B]``, the class each map explains (the labels in training).
        input_size: ``(H, W)`` to upsample every map to; ``None`` keeps each layer's own size.
        target: ``"class-logit"`` (the paper's) or ``"logit-minus-mean"``.
        rectifier: ``"relu"`` (the paper's), ``"none"`` or ``"abs"``.
        weighting: ``"gradcam"`` (channel-mean gradients) or ``"hirescam"`` (element-wise).
        create_graph: keep the maps differentiable with respect to the parameters (a loss on
            them can be minimised: double back-propagation); ``False`` returns detached maps.

    Returns:
        One map per layer, ``[B, H, W]``.
    """
    size = None if input_size is None else [int(input_size[0]), int(input_size[1])]
    return _core.grad_cam(logits, list(features), classes, size, target, rectifier, weighting,
                          create_graph)


def explanation_loss(
    maps: Sequence[torch.Tensor],
    masks: torch.Tensor,
    has_mask: Optional[torch.Tensor] = None,
    *,
    method: str = "reff",
    layer_weights: Sequence[float] = RESNET_LAYER_WEIGHTS,
    normalise: Optional[bool] = None,
    per_sample: bool = False,
) -> torch.Tensor:
    """A registry method's penalty on the maps: ``sum_l w_l sum_pixels penalty(I'_l, s)``.

    Args:
        maps: per layer ``[B, H, W]`` (from :func:`grad_cam` with ``create_graph=True``).
        masks: ``[B, H, W]``, 1 on task-relevant pixels (soft values in [0, 1] allowed).
        has_mask: bool ``[B]``; samples without a mask add zero. ``None``: every sample has one.
        method: ``"reff"`` (Eq. 3, mass outside the mask), ``"reff-l1"``, ``"reff-l2"`` or
            ``"reff-focus"`` (Eq. 3 on each map's share; give it the maps its
            ``METHOD_DEFAULTS`` name).
        layer_weights: w_l, one per map.
        normalise: (``reff`` and ``reff-focus`` only) divide each map by its mass first, so the
            penalty is the share of the explanation outside the mask. ``None``: the method's
            default (on for ``reff-focus``).
        per_sample: return ``[B]`` instead of the batch mean (Algorithm 1's L_ReFF).
    """
    if has_mask is None:
        has_mask = torch.ones(masks.shape[:1], dtype=torch.bool, device=masks.device)
    if normalise is None:
        normalise = bool(METHOD_DEFAULTS.get(method, {}).get("normalise", False))
    return _core.explanation_loss(list(maps), masks, has_mask, method,
                                  [float(w) for w in layer_weights], normalise, per_sample)


def input_gradient_loss(
    logits: torch.Tensor,
    images: torch.Tensor,
    masks: torch.Tensor,
    has_mask: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Right for the Right Reasons (method ``rrr``): the squared input gradient of the summed
    log-probabilities outside the mask, averaged over the batch. ``images`` must have had
    ``requires_grad_()`` before the forward pass that gave ``logits``."""
    if has_mask is None:
        has_mask = torch.ones(masks.shape[:1], dtype=torch.bool, device=masks.device)
    return _core.input_gradient_loss(logits, images, masks, has_mask)
