"""Convolution layers: `Conv2d` and `Conv1d`, PyTorch's layouts, one graph node per convolution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.data.rng import make_rng
from minigrad.errors import ShapeError
from minigrad.nn._arguments import Pair, pair, positive, tensor_input, uniform
from minigrad.nn.module import Module
from minigrad.value import Value, apply


def conv2d(
    x: Any, weight: Value, bias: Value | None = None, stride: Any = 1, padding: Any = 0
) -> Value:
    """PyTorch's `conv2d`: x (N, C, H, W) or (C, H, W), weight (O, C, kh, kw), bias (O,).

    out[n, o, i, j] = bias[o] + sum over c, a, b of
    x[n, c, i * stride + a - padding, j * stride + b - padding] * weight[o, c, a, b], with zeros
    outside x: one `ops.CONV2D` node.
    """
    value = tensor_input("conv2d", x, (3, 4))
    steps, pads = pair("stride", stride), pair("padding", padding, 0)
    if value.ndim == 3:
        return conv2d(value.reshape(1, *value.shape), weight, bias, steps, pads).reshape(
            -1, *_output_hw(value.shape[1:], weight.shape[2:], steps, pads)
        )
    if weight.ndim != 4 or value.shape[1] != weight.shape[1]:
        raise ShapeError(
            f"conv2d: input of shape {value.shape} does not fit a weight of shape "
            f"{weight.shape} (needs {weight.shape[1] if weight.ndim == 4 else '?'} channels "
            "in axis 1)"
        )
    _output_hw(value.shape[2:], weight.shape[2:], steps, pads)
    if bias is None:
        return apply(ops.CONV2D, value, weight, saved=(steps, pads))
    return apply(ops.CONV2D, value, weight, bias, saved=(steps, pads))


def _output_hw(
    size: tuple[int, ...], kernel: tuple[int, ...], stride: Pair, padding: Pair
) -> tuple[int, int]:
    """The output's height and width; a ShapeError when the padded input is smaller than the
    kernel."""
    h, w = size
    kh, kw = kernel
    if h + 2 * padding[0] < kh or w + 2 * padding[1] < kw:
        raise ShapeError(
            f"an input of size {(h, w)} with padding {padding} is smaller than the kernel "
            f"{(kh, kw)}"
        )
    return (h + 2 * padding[0] - kh) // stride[0] + 1, (w + 2 * padding[1] - kw) // stride[1] + 1


class _Conv(Module):
    """What both convolution layers hold: sizes, `weight` (C_out, C_in, *kernel) and `bias`.

    Weight and bias start as PyTorch's do: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = C_in times the kernel's size.
    """

    kernel_size: Any  # an int (Conv1d) or a pair (Conv2d), as PyTorch shows them
    stride: Any
    padding: Any

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, ...],
        bias: bool,
        seed: int | None,
        rng: np.random.Generator | None,
        dtype: Any,
    ) -> None:
        super().__init__()
        self.in_channels = positive("in_channels", in_channels)
        self.out_channels = positive("out_channels", out_channels)
        generator = make_rng(seed, rng)
        bound = 1.0 / math.sqrt(in_channels * math.prod(kernel))
        self.weight = uniform(generator, bound, (out_channels, in_channels, *kernel), dtype)
        self.bias = uniform(generator, bound, (out_channels,), dtype) if bias else None

    def __repr__(self) -> str:
        no_bias = "" if self.bias is not None else ", bias=False"
        sizes = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        name = type(self).__name__
        return f"{name}({self.in_channels}, {self.out_channels}, {sizes}{no_bias})"


class Conv2d(_Conv):
    """2-D convolution (PyTorch's `nn.Conv2d`): input (N, C_in, H, W), `weight` (C_out, C_in,
    kh, kw), `bias` (C_out,).

    Args:
        in_channels, out_channels: channels in and out.
        kernel_size, stride, padding: an int or a pair (height, width); zero padding.
        bias: add a learned bias per output channel.
        seed, rng: where the initial weights come from.
        dtype: float64 (default) or float32.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        bias: bool = True,
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        kernel = pair("kernel_size", kernel_size)
        super().__init__(in_channels, out_channels, kernel, bias, seed, rng, dtype)
        self.kernel_size = kernel
        self.stride = pair("stride", stride)
        self.padding = pair("padding", padding, 0)

    def forward(self, x: Any) -> Value:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)


class Conv1d(_Conv):
    """1-D convolution (PyTorch's `nn.Conv1d`): input (N, C_in, L), `weight` (C_out, C_in, k),
    `bias` (C_out,); computed as a `Conv2d` over a height of 1.

    Arguments as for `Conv2d`, with ints for `kernel_size`, `stride` and `padding`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        kernel = positive("kernel_size", kernel_size)
        super().__init__(in_channels, out_channels, (kernel,), bias, seed, rng, dtype)
        self.kernel_size = kernel
        self.stride = positive("stride", stride)
        self.padding = pair("padding", padding, 0)[0]

    def forward(self, x: Any) -> Value:
        value = tensor_input("Conv1d", x, (2, 3))
        rows = value.reshape(*value.shape[:-1], 1, value.shape[-1])  # a height of 1
        weight = self.weight.reshape(*self.weight.shape[:2], 1, self.kernel_size)
        out = conv2d(rows, weight, self.bias, (1, self.stride), (0, self.padding))
        return out.reshape(*out.shape[:-2], out.shape[-1])
