"""Reductions: sum, mean, max, min and prod over all axes or some (`saved` is `(axis, keepdims)`),
and the running sum `cumsum` along one axis (`saved` is the axis)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of
from minigrad.ops.shape import BROADCAST_TO

Axis = int | tuple[int, ...] | None


def finite_max(data: Any, axis: Axis) -> Any:
    """The maximum of `data` over `axis` with the axes kept, 0 where it is not finite (a row of
    -inf), in data's dtype: the constant that softmax, logsumexp and cross-entropy subtract so
    that no exp overflows. numpy's errors (a bad axis) pass through."""
    top = np.max(data, axis=axis, keepdims=True)
    return np.where(np.isfinite(top), top, 0.0).astype(data.dtype)


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
    return (_spread(g / n if n else g, x, node.saved),)  # n = 0: an empty x, nothing to share


def _max(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.max(x, axis=axis, keepdims=keepdims)


def _max_vjp(g: Any, node: RuleNode) -> Grads:
    """d max(x) = g at the maximal entries, split evenly between ties, 0 elsewhere"""
    return _extremum_vjp(g, node)


def _min(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.min(x, axis=axis, keepdims=keepdims)


def _min_vjp(g: Any, node: RuleNode) -> Grads:
    """d min(x) = g at the minimal entries, split evenly between ties, 0 elsewhere"""
    return _extremum_vjp(g, node)


def _extremum_vjp(g: Any, node: RuleNode) -> Grads:
    """The gradient of max or min: the entries equal to the output share g evenly (a NaN
    output came from the NaN entries, which share it, as in scalar mode and `torch.max`)."""
    x = data_of(node.parents[0].data)  # which entries win is not differentiated
    axis, keepdims = node.saved
    if type(x) is float:
        return (g,)
    out = _expand(data_of(node.data), x, axis, keepdims)
    winners = x == out
    if np.isnan(out).any():  # NaN equals nothing: its winners are the NaN entries
        winners |= np.isnan(x)
    share = winners / winners.sum(axis=axis, keepdims=True, dtype=x.dtype)  # float32 stays
    return (share * _expand(g, x, axis, keepdims),)


def _prod(x: Any, params: tuple[Axis, bool]) -> Any:
    axis, keepdims = params
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g: Any, node: RuleNode) -> Grads:
    """d prod(x) = g * prod(x) / x: the product of the other entries (exact at zeros too)"""
    x = node.parents[0].data
    axis, keepdims = node.saved
    values = data_of(x)  # whether an entry is zero is not differentiated
    if type(values) is float or values.ndim == 0:
        return (_spread(g, x, node.saved),)
    spread = _expand(g, values, axis, keepdims)
    if np.all(values != 0):  # the common case: divide the product by each entry
        return (spread * _expand(node.data, values, axis, keepdims) / x,)
    return (spread * _others_product(x, _normalized_axes(axis, values.ndim)),)


def _others_product(x: Any, axes: tuple[int, ...]) -> Any:
    """For each entry of x, the product of the other entries over `axes` (no division: a zero
    entry does not make its neighbours' gradients 0 / 0). Arrays and graph nodes alike."""
    shape = np.shape(data_of(x))
    rest = [a for a in range(len(shape)) if a not in axes]
    order = (*rest, *axes)
    moved = x.transpose(order)
    lead = tuple(shape[a] for a in rest)
    n = math.prod(shape[a] for a in axes)
    eye = np.eye(n, dtype=data_of(x).dtype)
    # row i of the last two axes: the entries with the i-th replaced by 1
    rows = moved.reshape((*lead, 1, n)) * (1.0 - eye) + eye
    others = call(PROD, rows, saved=(-1, False))
    inverse = tuple(int(i) for i in np.argsort(order))
    return others.reshape(tuple(shape[a] for a in order)).transpose(inverse)


def _cumsum(x: Any, axis: int | None) -> Any:
    if type(x) is float:  # one number: its running sum is itself (scalar mode stays scalar)
        return x
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g: Any, node: RuleNode) -> Grads:
    """d cumsum(x) = the running sum of g taken from the end, reversed back"""
    x = data_of(node.parents[0].data)
    axis = node.saved
    if type(x) is float:
        return (g,)
    if axis is None:  # numpy sums the flattened array
        backwards = slice(None, None, -1)
        return (call(CUMSUM, g[backwards], saved=0)[backwards].reshape(x.shape),)
    a = axis % x.ndim
    flip = (*(slice(None),) * a, slice(None, None, -1))
    return (call(CUMSUM, g[flip], saved=a)[flip],)


SUM = Op("sum", _sum, _sum_vjp)
MEAN = Op("mean", _mean, _mean_vjp)
MAX = Op("max", _max, _max_vjp)
MIN = Op("min", _min, _min_vjp)
PROD = Op("prod", _prod, _prod_vjp)
CUMSUM = Op("cumsum", _cumsum, _cumsum_vjp)
"""Running sum along one axis (of the flattened array when the axis is None), as numpy's."""
