"""The shape of an op, and the one place where broadcasting is undone.

An op pairs a forward function (numpy or Python floats in, data out) with a vector-Jacobian
product rule. A rule receives the output gradient and the node, reads the node's inputs and saved
parameters, and RETURNS one gradient per parent (or None for a parent that needs none). It never
writes `.grad`: the backward strategies decide how gradients flow and when they are stored.

Rules use plain arithmetic where they can, so the same rule works whether a node's `.data` holds
arrays or Values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class RuleNode(Protocol):
    """What a backward rule may read from a node."""

    @property
    def data(self) -> Any: ...
    @property
    def parents(self) -> tuple[Any, ...]: ...
    @property
    def saved(self) -> Any: ...


Grads = tuple[Any, ...]
Rule = Callable[[Any, Any], Grads]


@dataclass(frozen=True, slots=True)
class Op:
    """An operation: its name, its forward function and its vector-Jacobian product.

    Attributes:
        name: short name shown in graphs and errors ("mul", "tanh", ...).
        forward: computes the output data from the inputs' data (and saved parameters).
        vjp: `vjp(grad_out, node) -> (grad_parent_0, grad_parent_1, ...)`.
    """

    name: str
    forward: Callable[..., Any]
    vjp: Rule

    def __repr__(self) -> str:
        return f"Op({self.name})"


def unbroadcast(grad: Any, like: Any) -> Any:
    """Sum `grad` over the axes that broadcasting added, so it takes the shape of `like`.

    This is the only place minigrad undoes broadcasting. `like` is the parent's data: a Python
    float (scalar mode) takes a float back; an array takes an array of its shape and dtype.
    """
    if type(like) is float:
        if type(grad) is float:
            return grad
        return float(grad.sum()) if isinstance(grad, np.ndarray | np.generic) else grad.sum()
    shape = like.shape
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        if extra > 0:
            grad = grad.sum(axis=tuple(range(extra)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
        if grad.shape != shape:  # a 0-d parent under a 0-d gradient that numpy made a scalar
            grad = grad.reshape(shape)
    dtype = getattr(like, "dtype", None)
    if isinstance(grad, np.ndarray | np.generic) and grad.dtype != dtype:
        grad = np.asarray(grad, dtype=dtype)
    return grad
