"""reff's data sets as ``torch.utils.data.Dataset``s: Textured MNIST as ``reff train`` generates
it, the published data sets and your own folder (docs/own-data.md), built from the same
configuration as a run, so a Python loop sees the very images, labels and masks that
``reff train`` trains and tests on."""

import json
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch.utils.data import Dataset

from reff import _core

# ImageNet's channel statistics, as reff normalises images (the core's data/tensor_dataset.h).
MEAN = torch.tensor(_core.image_mean).view(3, 1, 1)
STD = torch.tensor(_core.image_std).view(3, 1, 1)


class ReffDataset(Dataset):
    """One set of images held in memory as reff made them (uint8).

    ``dataset[i]`` is ``(image, label, mask, has_mask)``: the image normalised with ImageNet's
    statistics, float ``[3, H, W]``; the label, int64; the mask, float ``[H, W]`` in [0, 1] (1 on
    task-relevant pixels); whether the sample has a mask, bool. PyTorch's default collate stacks
    them into the batch ``reff train`` would see.

    Attributes:
        name: ``train``, ``val`` or the test set's name (``shift``, ``iid``, ``test``, ...).
        images, labels, masks, has_mask: the whole set's tensors, uint8 / int64 / uint8 / bool.
        class_names: an own folder's class names (label k is ``class_names[k]``), else empty.
    """

    def __init__(self, name: str, images: torch.Tensor, labels: torch.Tensor,
                 masks: torch.Tensor, has_mask: torch.Tensor, class_names: List[str]) -> None:
        self.name, self.images, self.labels = name, images, labels
        self.masks, self.has_mask, self.class_names = masks, has_mask, list(class_names)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        image = (self.images[index].float() / 255 - MEAN) / STD
        return image, self.labels[index], self.masks[index].float() / 255, self.has_mask[index]

    def __repr__(self) -> str:
        return f"ReffDataset({self.name!r}, {len(self)} images of {tuple(self.images.shape[1:])})"


def _sets(result: Tuple[str, list]) -> Dict[str, ReffDataset]:
    config, sets = result
    named = {fields[0]: ReffDataset(*fields) for fields in sets}
    for dataset in named.values():
        dataset.config = json.loads(config)
    return named


def datasets(preset: str = "cpu", dataset: str = "textured-mnist",
             config: Optional[Dict[str, Any]] = None) -> Dict[str, ReffDataset]:
    """The train, val and test sets of a run of ``preset`` on ``dataset``.

    Args:
        preset: ``cpu`` or ``paper`` (as ``reff train --preset``).
        dataset: a kind of data set (docs/datasets.md): ``textured-mnist``, ``isic2017``,
            ``pets``, ``waterbirds`` or ``folder`` (your own).
        config: changes to the preset's configuration, in config.json's shape, e.g.
            ``{"data": {"data_dir": "my-images", "canvas": 64}}``,
            ``{"data": {"train_count": 2000, "p": 0.0, "tests": ["shift:1:1"]}}`` or
            ``{"data": {"data_dir": "wb", "masks_dir": "CUB_200_2011", "val": "official"}}``;
            ``tests`` and ``val`` may be written as ``reff train --test``/``--val`` takes them.
            It is resolved as ``reff train`` resolves its options, so bad input gives the same
            one-line error. An unknown key is an error, and so is an option that does not
            apply to the kind of data set. An own
            folder where more than 5 % of the masked training images have an empty mask is
            refused unless ``{"data": {"allow_empty_masks": True}}``; fewer give a UserWarning.

    Returns:
        ``{"train": ..., "val" (or the name of a given val split, e.g. "official"): ...,
        <each test set's name>: ...}``; each set's ``config`` holds the resolved configuration.

    Raises:
        ReffError: bad options, missing or unreadable files, too many empty masks.
    """
    return _sets(_core.run_datasets(preset, dataset, json.dumps(config or {}), ""))


def run_datasets(run_dir: str) -> Dict[str, ReffDataset]:
    """The data sets of a finished or started ``reff train`` run (its config.json)."""
    return _sets(_core.run_datasets("", "", "{}", str(run_dir)))
