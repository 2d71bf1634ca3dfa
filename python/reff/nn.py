"""reff's kernels for a torch model: :func:`convert` swaps each ``torch.nn.BatchNorm2d`` for
:class:`BatchNorm2d`, which computes the same numbers with reff's C++ BatchNorm, as
``torch.nn.SyncBatchNorm.convert_sync_batchnorm`` swaps in its own.

ReFF's loss is built from Grad-CAM maps, which are gradients, so its backward pass differentiates
every BatchNorm's backward pass once more. PyTorch does that on the CPU with a composite of some
thirty element-wise operations per layer; reff with one reduction pass and one element-wise pass
per channel (docs/python.md). Nothing else changes: the same parameters and buffers under the same
names (``state_dict``\\ s load both ways, torchvision weights apply), the same outputs and running
statistics, and on a GPU, in evaluation or for inputs reff's kernel does not take (half precision,
``affine=False``), PyTorch's own BatchNorm.
"""

import torch

from reff._core import ReffError
from reff import _core


class BatchNorm2d(torch.nn.BatchNorm2d):
    """``torch.nn.BatchNorm2d`` computed by reff's core: in training on the CPU, its derivative is
    differentiable with reff's fused second derivative. Made by :func:`convert`."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        # torch.nn.BatchNorm2d's own bookkeeping, unchanged: the momentum (None: a cumulative
        # average), which statistics normalise, and which buffers are updated.
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        batch_statistics = self.training or (self.running_mean is None and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        return _core.batch_norm(input, self.weight, self.bias,
                                self.running_mean if tracked else None,
                                self.running_var if tracked else None,
                                batch_statistics, factor, self.eps)


def keep_freed_memory() -> None:
    """Keeps this process's freed tensor memory for reuse, as ``reff train`` does.

    glibc's malloc returns every block above its mmap threshold (128 KiB at first) to the kernel
    when it is freed, so each training step's activations page-fault in anew, zero-filled by the
    kernel. This raises the threshold to 32 MiB and returns freed memory only when over 1 GiB of it
    lies at the heap's top (``mallopt``; nothing without glibc). It changes the whole process's
    allocator, so reff never does it on import: call it once, before training. The same from the
    shell, without code: ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824``.
    """
    _core.keep_freed_memory()


def _replacement(norm: torch.nn.Module, where: str):
    """The module that takes ``norm``'s place, or None where it stays."""
    if isinstance(norm, BatchNorm2d) or not isinstance(
            norm, (torch.nn.BatchNorm2d, torch.nn.SyncBatchNorm, torch.nn.LazyBatchNorm2d)):
        return None
    if isinstance(norm, torch.nn.SyncBatchNorm):
        raise ReffError(f"{where}: a SyncBatchNorm normalises over every process; reff's "
                        "BatchNorm2d over this one only")
    if isinstance(norm, torch.nn.LazyBatchNorm2d):
        raise ReffError(f"{where}: a LazyBatchNorm2d not yet initialised; convert after the "
                        "first forward pass")
    if type(norm) is not torch.nn.BatchNorm2d:
        raise ReffError(f"{where}: {type(norm).__name__} is a BatchNorm2d with a forward of its "
                        "own; reff converts torch.nn.BatchNorm2d only")
    ours = BatchNorm2d(norm.num_features, norm.eps, norm.momentum, norm.affine,
                       norm.track_running_stats, device="meta")
    # The same Parameter and buffer objects (an optimiser made before the conversion still
    # updates them), the same mode and hooks.
    ours.weight, ours.bias = norm.weight, norm.bias
    ours.running_mean, ours.running_var = norm.running_mean, norm.running_var
    ours.num_batches_tracked = norm.num_batches_tracked
    ours.train(norm.training)
    ours._forward_pre_hooks.update(norm._forward_pre_hooks)
    ours._forward_hooks.update(norm._forward_hooks)
    return ours


def convert(module: torch.nn.Module) -> torch.nn.Module:
    """Swaps every ``torch.nn.BatchNorm2d`` in ``module`` for :class:`BatchNorm2d`.

    Returns the module, changed in place (a BatchNorm2d given alone: its converted copy, which
    shares its parameters). Worth it for a ReFF (or any double-backward) step on the CPU; a plain
    step computes the same numbers at the same speed.

    Raises:
        ReffError: ``module`` is not a ``torch.nn.Module``; it holds a ``SyncBatchNorm`` (its
            statistics span processes), a subclass of BatchNorm2d with a forward of its own, or a
            ``LazyBatchNorm2d`` not yet initialised. Nothing is converted then.
    """
    if not isinstance(module, torch.nn.Module):
        raise ReffError(f"module: expected a torch.nn.Module, got {type(module).__name__}")
    whole = _replacement(module, "module")
    if whole is not None:
        return whole
    swaps = []  # all checked before any is made
    for name, parent in module.named_modules():
        for child_name, child in parent.named_children():
            ours = _replacement(child, f"{name}.{child_name}" if name else child_name)
            if ours is not None:
                swaps.append((parent, child_name, ours))
    for parent, child_name, ours in swaps:
        setattr(parent, child_name, ours)
    return module
