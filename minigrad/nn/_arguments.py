"""What the tensor-mode layers check of their arguments and inputs, with messages that say why."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.value import Value

Pair = tuple[int, int]


def pair(name: str, value: Any, minimum: int = 1) -> Pair:
    """An int or a pair of ints as a pair, each at least `minimum` (PyTorch's `_pair`)."""
    items = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(items) != 2 or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def positive(name: str, value: Any) -> int:
    """`value` as an int >= 1 (a layer's size)."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def tensor_input(layer: str, x: Any, ndims: tuple[int, ...]) -> Value:
    """`x` as a tensor-mode Value with one of `ndims` axes (an array becomes a constant).

    Raises:
        TypeError: scalar-mode input (lists of Values, floats): these layers work on arrays.
        ShapeError: the number of axes is not one the layer takes.
    """
    if isinstance(x, Value):
        value = x
    elif isinstance(x, list | tuple) and any(isinstance(v, Value | list | tuple) for v in x):
        raise TypeError(
            f"{layer} works in tensor mode: pass an array or a Value holding one, not a list of "
            "scalar Values (scalar mode stops at Linear)"
        )
    else:
        value = Value(x, requires_grad=False)
    if isinstance(value.data, float) or value.ndim not in ndims:
        wanted = " or ".join(str(n) for n in ndims)
        raise ShapeError(f"{layer} expects input with {wanted} axes, got shape {value.shape}")
    return value


def uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...], dtype: Any) -> Value:
    """A parameter drawn from U(-bound, bound): PyTorch's default for conv weights and biases."""
    return Value(rng.uniform(-bound, bound, size=shape).astype(dtype))
