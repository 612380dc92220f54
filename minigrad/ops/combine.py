"""Ops that combine several inputs: elementwise maximum and minimum, where, concatenate, stack.

All of them broadcast (`broadcasts=True`): each rule returns gradients shaped like the output, and
`Op.vjp` sums them back to each parent's shape and dtype (a float for a scalar-mode parent).
At a tie, maximum and minimum split the gradient evenly between the two inputs, as PyTorch does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, data_of


def _maximum(a: Any, b: Any) -> Any:
    if type(a) is float and type(b) is float:
        if a != a or b != b:  # nan wins, as in numpy
            return math.nan
        return a if a >= b else b
    return np.maximum(a, b)


def _minimum(a: Any, b: Any) -> Any:
    if type(a) is float and type(b) is float:
        if a != a or b != b:
            return math.nan
        return a if a <= b else b
    return np.minimum(a, b)


def _share(a: Any, b: Any, wins: Any) -> Any:
    """The first input's share of the gradient: 1 where it wins, 1/2 at a tie, 0 elsewhere."""
    if type(a) is float and type(b) is float:
        return 1.0 if wins else (0.5 if a == b else 0.0)
    share = np.where(wins, 1.0, np.where(a == b, 0.5, 0.0))
    return share.astype(np.result_type(a, b), copy=False)


def _split(g: Any, node: RuleNode, share: Any) -> Grads:
    a, b = node.parents
    return (
        g * share if a.requires_grad else None,
        g * (1.0 - share) if b.requires_grad else None,
    )


def _maximum_vjp(g: Any, node: RuleNode) -> Grads:
    """d max(a, b) = (g where a > b, g where b > a), g / 2 to each at a tie"""
    a, b = (data_of(p.data) for p in node.parents)  # which side wins is not differentiated
    return _split(g, node, _share(a, b, a > b))


def _minimum_vjp(g: Any, node: RuleNode) -> Grads:
    """d min(a, b) = (g where a < b, g where b < a), g / 2 to each at a tie"""
    a, b = (data_of(p.data) for p in node.parents)
    return _split(g, node, _share(a, b, a < b))


def _where(a: Any, b: Any, condition: Any) -> Any:
    if type(a) is float and type(b) is float and type(condition) is bool:
        return a if condition else b
    return np.where(condition, a, b)


def _where_vjp(g: Any, node: RuleNode) -> Grads:
    """d where(c, a, b) = (g where c, g where not c); the condition is a constant"""
    a, b = node.parents
    condition = node.saved
    if type(condition) is bool:
        taken = 1.0 if condition else 0.0
    else:
        dtype = np.result_type(data_of(a.data), data_of(b.data))
        taken = condition.astype(dtype)
    return (
        g * taken if a.requires_grad else None,
        g * (1.0 - taken) if b.requires_grad else None,
    )


def _concatenate(*datas_and_axis: Any) -> Any:
    *datas, axis = datas_and_axis
    return np.concatenate(datas, axis=axis)


def _concatenate_vjp(g: Any, node: RuleNode) -> Grads:
    """d concatenate(x_1, ..., x_n) = g cut back into the pieces, each x_i's own"""
    axis = node.saved
    grads: list[Any] = []
    start = 0
    for parent in node.parents:
        shape = np.shape(data_of(parent.data))
        if axis is None:  # numpy joins the flattened inputs
            size = math.prod(shape)
            piece = g[start : start + size].reshape(shape)
        else:
            a = axis % len(shape)
            size = shape[a]
            piece = g[(slice(None),) * a + (slice(start, start + size),)]
        start += size
        grads.append(piece if parent.requires_grad else None)
    return tuple(grads)


def _stack(*datas_and_axis: Any) -> Any:
    *datas, axis = datas_and_axis
    return np.stack(datas, axis=axis)


def _stack_vjp(g: Any, node: RuleNode) -> Grads:
    """d stack(x_1, ..., x_n) = (g[..., 1, ...], ..., g[..., n, ...]) along the new axis"""
    a = node.saved % len(np.shape(data_of(g)))
    return tuple(
        g[(slice(None),) * a + (i,)] if parent.requires_grad else None
        for i, parent in enumerate(node.parents)
    )


MAXIMUM = Op("maximum", _maximum, _maximum_vjp, broadcasts=True)
MINIMUM = Op("minimum", _minimum, _minimum_vjp, broadcasts=True)
WHERE = Op("where", _where, _where_vjp, broadcasts=True)
"""`where(condition, a, b)`: parents a and b; the condition (bools) is saved, not a parent."""
CONCATENATE = Op("concatenate", _concatenate, _concatenate_vjp, broadcasts=True)
"""Join Values along an existing axis (saved; None joins the flattened inputs)."""
STACK = Op("stack", _stack, _stack_vjp, broadcasts=True)
"""Join Values along a new axis (saved); scalar-mode Values stack into a vector."""
