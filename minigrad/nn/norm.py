"""Normalisation layers: `LayerNorm`, `BatchNorm1d`, `BatchNorm2d`, PyTorch's semantics and keys.

Both are composed of existing ops (mean, subtraction, products, `** -0.5`), so their gradients,
first and second order, come from those ops' rules. The variance is the biased one,
mean((x - mean)^2), as PyTorch normalises with; BatchNorm's running variance is updated with
the unbiased one, n / (n - 1) times it, as PyTorch does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.nn._arguments import positive, tensor_input
from minigrad.nn.module import Module
from minigrad.value import Value


def _normalized(x: Value, axes: tuple[int, ...], eps: float) -> Value:
    """(x - mean) / sqrt(var + eps) over `axes`, var the biased variance mean((x - mean)^2)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    variance = (centred * centred).mean(axis=axes, keepdims=True)
    return centred * (variance + eps) ** -0.5


class LayerNorm(Module):
    """PyTorch's `nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)`:
    each sample normalised over its last `len(normalized_shape)` axes, then scaled by `weight`
    (ones at first) and shifted by `bias` (zeros), both of shape `normalized_shape`."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(positive("normalized_shape", n) for n in shape)
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        self.weight = Value(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        with_bias = elementwise_affine and bias
        self.bias = Value(np.zeros(self.normalized_shape, dtype)) if with_bias else None

    def forward(self, x: Any) -> Value:
        k = len(self.normalized_shape)
        value = tensor_input("LayerNorm", x, tuple(range(k, 33)))
        if value.shape[value.ndim - k :] != self.normalized_shape:
            raise ShapeError(
                f"LayerNorm({self.normalized_shape}): input of shape {value.shape} does not end "
                f"in {self.normalized_shape}"
            )
        out = _normalized(value, tuple(range(-k, 0)), self.eps)
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"


class _BatchNorm(Module):
    """Batch normalisation over every axis but the channel axis 1 (PyTorch's `_BatchNorm`).

    In training mode a batch is normalised with its own mean and (biased) variance, and the
    running statistics move towards them: running = (1 - momentum) running + momentum batch
    (with the unbiased variance; `momentum=None` gives the cumulative average). In evaluation
    mode the running statistics are used, constants to the graph. `running_mean`,
    `running_var` and `num_batches_tracked` are buffers: in `state_dict()`, not parameters.
    """

    input_ndims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.num_features = positive("num_features", num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = Value(np.ones(num_features, dtype)) if affine else None
        self.bias = Value(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    running_mean: Any
    running_var: Any
    num_batches_tracked: Any

    def forward(self, x: Any) -> Value:
        name = type(self).__name__
        value = tensor_input(name, x, self.input_ndims)
        if value.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}({self.num_features}): input of shape {value.shape} has "
                f"{value.shape[1]} channels in axis 1"
            )
        axes = (0, *range(2, value.ndim))
        shape = (1, self.num_features) + (1,) * (value.ndim - 2)  # broadcasts over axis 1
        if self.training or not self.track_running_stats:
            count = math.prod(value.shape) // self.num_features
            if self.training and count < 2:
                raise ValueError(
                    f"{name}: expected more than 1 value per channel when training, got input "
                    f"of shape {value.shape}"
                )
            if self.training and self.track_running_stats:
                self._update_running_stats(value.numpy(), axes, count)
            out = _normalized(value, axes, self.eps)
        else:
            mean = self.running_mean.reshape(shape)
            scale = (self.running_var.reshape(shape) + self.eps) ** -0.5
            out = (value - mean.astype(value.dtype)) * scale.astype(value.dtype)
        if self.weight is not None and self.bias is not None:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def _update_running_stats(self, data: Any, axes: tuple[int, ...], count: int) -> None:
        self.num_batches_tracked = self.num_batches_tracked + 1
        factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        mean = data.mean(axis=axes)
        unbiased = data.var(axis=axes) * (count / (count - 1))
        dtype = self.running_mean.dtype
        self.running_mean = ((1 - factor) * self.running_mean + factor * mean).astype(dtype)
        self.running_var = ((1 - factor) * self.running_var + factor * unbiased).astype(dtype)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.num_features}, eps={self.eps}, momentum={self.momentum})"
        )


class BatchNorm1d(_BatchNorm):
    """PyTorch's `nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True)` on (N, C) or (N, C, L) input."""

    input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """PyTorch's `nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True)` on (N, C, H, W) input."""

    input_ndims = (4,)
