"""Pooling layers (`MaxPool2d`, `AvgPool2d`) and `Flatten`: PyTorch's arguments and defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad import ops
from minigrad.errors import ShapeError
from minigrad.nn._arguments import Pair, pair, tensor_input
from minigrad.nn.module import Module
from minigrad.ops import Op
from minigrad.value import Value, apply


def _pool(name: str, op: Op, x: Any, kernel: Pair, stride: Pair, padding: Pair) -> Value:
    """`op` over each (N, C, H, W) or (C, H, W) input's windows, as one node."""
    value = tensor_input(name, x, (3, 4))
    if value.ndim == 3:
        return _pool(name, op, value.reshape(1, *value.shape), kernel, stride, padding).reshape(
            -1, *_pooled_size(name, value.shape[1:], kernel, stride, padding)
        )
    _pooled_size(name, value.shape[2:], kernel, stride, padding)
    return apply(op, value, saved=(kernel, stride, padding))


def _pooled_size(
    name: str, size: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair
) -> tuple[int, int]:
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    h, w = size
    if h + 2 * padding[0] < kernel[0] or w + 2 * padding[1] < kernel[1]:
        raise ShapeError(
            f"{name}: an input of size {(h, w)} with padding {padding} is smaller than the "
            f"kernel {kernel}"
        )
    return (h + 2 * padding[0] - kernel[0]) // stride[0] + 1, (
        w + 2 * padding[1] - kernel[1]
    ) // stride[1] + 1


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Value:
    """The maximum of each window (PyTorch's `max_pool2d`; `stride` defaults to the kernel).

    The gradient goes to each window's maximum; where several entries tie, to the first in
    row-major order, as in PyTorch.
    """
    kernel = pair("kernel_size", kernel_size)
    steps = kernel if stride is None else pair("stride", stride)
    return _pool("max_pool2d", ops.MAX_POOL2D, x, kernel, steps, pair("padding", padding, 0))


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Value:
    """The mean of each window, zero padding counted (PyTorch's `avg_pool2d` defaults)."""
    kernel = pair("kernel_size", kernel_size)
    steps = kernel if stride is None else pair("stride", stride)
    return _pool("avg_pool2d", ops.AVG_POOL2D, x, kernel, steps, pair("padding", padding, 0))


class _Pool2d(Module):
    """A pooling layer: its window, stride (the window, by default) and zero padding, as pairs."""

    pool: Callable[..., Value]  # the function it applies: max_pool2d or avg_pool2d

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = pair("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else pair("stride", stride)
        self.padding = pair("padding", padding, 0)

    def forward(self, x: Any) -> Value:
        return self.pool(x, self.kernel_size, self.stride, self.padding)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(_Pool2d):
    """PyTorch's `nn.MaxPool2d(kernel_size, stride=None, padding=0)` on (N, C, H, W) input."""

    pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool2d):
    """PyTorch's `nn.AvgPool2d(kernel_size, stride=None, padding=0)` on (N, C, H, W) input
    (zero padding counts towards the mean, PyTorch's default `count_include_pad=True`)."""

    pool = staticmethod(avg_pool2d)


class Flatten(Module):
    """Axes `start_dim` to `end_dim` merged into one (PyTorch's `nn.Flatten(start_dim=1,
    end_dim=-1)`): (N, C, H, W) becomes (N, C*H*W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Value:
        value = x if isinstance(x, Value) else Value(x, requires_grad=False)
        shape = value.shape
        if not shape:
            return value.reshape(1)
        inside = all(-len(shape) <= d < len(shape) for d in (self.start_dim, self.end_dim))
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        if not inside or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit "
                f"shape {shape}"
            )
        return value.reshape(*shape[:start], -1, *shape[end + 1 :])

    def __repr__(self) -> str:
        return f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"
