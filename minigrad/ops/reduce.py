"""Reductions: sum, mean and max over all axes or some. `saved` is `(axis, keepdims)`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of
from minigrad.ops.shape import BROADCAST_TO

Axis = int | tuple[int, ...] | None


def _normalized_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(a % ndim if ndim else a for a in axes)


def _expand(g: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """Give a reduced gradient back the reduced axes, ready to broadcast over x's shape."""
    shape = np.shape(x)
    if keepdims or not shape:
        return g
    kept = list(shape)
    for a in _normalized_axes(axis, len(shape)):
        kept[a] = 1
    return g.reshape(tuple(kept))


def _sum(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(g: Any, node: RuleNode) -> Grads:
    """d sum(x) = g broadcast back over x"""
    return (_spread(g, node.parents[0].data, node.saved),)


def _spread(g: Any, x: Any, params: tuple[Axis, bool]) -> Any:
    """A reduced gradient broadcast back over the reduced axes of x (as is, in scalar mode)."""
    if type(x) is np.ndarray:  # data: the first-order pass
        return np.broadcast_to(_expand(g, x, *params), x.shape)
    if type(data_of(x)) is float:
        return g
    return call(BROADCAST_TO, _expand(g, x, *params), saved=np.shape(x))


def _mean(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.mean(x, axis=axis, keepdims=keepdims)


def _mean_vjp(g: Any, node: RuleNode) -> Grads:
    """d mean(x) = g / n broadcast back over x, n the number of averaged elements"""
    x = node.parents[0].data
    if type(x) is not np.ndarray and type(data_of(x)) is float:
        return (g,)
    n = math.prod(x.shape[a] for a in _normalized_axes(node.saved[0], x.ndim))
    return (_spread(g / n, x, node.saved),)


def _max(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.max(x, axis=axis, keepdims=keepdims)


def _max_vjp(g: Any, node: RuleNode) -> Grads:
    """d max(x) = g at the maximal entries, split evenly between ties, 0 elsewhere"""
    x = data_of(node.parents[0].data)  # which entries win is not differentiated
    axis, keepdims = node.saved
    if type(x) is float:
        return (g,)
    out = _expand(data_of(node.data), x, axis, keepdims)
    winners = x == out
    share = winners / winners.sum(axis=axis, keepdims=True, dtype=x.dtype)  # float32 stays
    return (share * _expand(g, x, axis, keepdims),)


SUM = Op("sum", _sum, _sum_vjp)
MEAN = Op("mean", _mean, _mean_vjp)
MAX = Op("max", _max, _max_vjp)
