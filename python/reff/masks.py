"""Region masks as annotation tools export them, read by reff's C++ readers."""

from typing import Optional, Sequence

import torch

from reff import _core


def read_mask(
    path: str,
    height: int,
    width: int,
    *,
    image: Optional[str] = None,
    threshold: float = 0.5,
    values: Sequence[int] = (),
) -> torch.Tensor:
    """The task-relevant pixels of one image, bool ``[height, width]``.

    Args:
        path: a ``.png`` (binary, gray or palette) or ``.json`` file (labelme's file of the
            image, or a COCO file that holds it).
        height, width: the image's size; a mask of another size is an error.
        image: the image's path as the COCO file's ``file_name`` gives it (COCO only).
        threshold: gray PNG values >= threshold x 255 are relevant. A palette PNG is read by its
            indices instead: every index but 0 (background) is relevant, Pascal VOC's 255
            (void) included.
        values: PNG values (palette indices, or gray levels) that are relevant; overrides
            both rules.

    Raises:
        ReffError: an unreadable file, another size than the image's, or bad content.
    """
    return _core.read_mask(str(path), "" if image is None else str(image), int(height),
                           int(width), float(threshold), [int(v) for v in values])
