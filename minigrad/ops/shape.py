"""Ops that move elements without changing them: reshape, transpose, indexing, broadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return np.reshape(x, shape)


def _reshape_vjp(g: Any, node: RuleNode) -> Grads:
    """d reshape(x) = g reshaped back to x's shape"""
    return (g.reshape(np.shape(node.parents[0].data)),)


def _transpose(x: Any, axes: tuple[int, ...] | None) -> Any:
    return np.transpose(x, axes)


def _transpose_vjp(g: Any, node: RuleNode) -> Grads:
    """d transpose(x, axes) = transpose(g, argsort(axes))"""
    axes = node.saved
    if axes is None:
        return (g.transpose(),)
    ndim = np.ndim(g)  # negative axes count from the end: argsort needs them normalized
    return (g.transpose(tuple(int(i) for i in np.argsort([a % ndim for a in axes]))),)


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _getitem_vjp(g: Any, node: RuleNode) -> Grads:
    """d x[index] = zeros like x, with g added at index (repeated indices add up)"""
    x = data_of(node.parents[0].data)
    return (call(SCATTER, g, saved=(node.saved, x.shape, x.dtype)),)


def _scatter(g: Any, params: tuple[Any, tuple[int, ...], Any]) -> Any:
    index, shape, dtype = params
    full = np.zeros(shape, dtype=dtype)
    np.add.at(full, index, g)
    return full


def _scatter_vjp(g: Any, node: RuleNode) -> Grads:
    """d scatter(v, index) = g[index]: the gradient of getitem's gradient is a getitem"""
    return (g[node.saved[0]],)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return np.broadcast_to(x, shape)


def _broadcast_to_vjp(g: Any, node: RuleNode) -> Grads:
    """d broadcast_to(x, shape) = g summed back to x's shape (by Op.vjp's unbroadcast)"""
    return (g,)


RESHAPE = Op("reshape", _reshape, _reshape_vjp)
TRANSPOSE = Op("transpose", _transpose, _transpose_vjp)
GETITEM = Op("getitem", _getitem, _getitem_vjp)
SCATTER = Op("scatter", _scatter, _scatter_vjp)
"""Zeros of a saved shape and dtype with `v` added at a saved index: getitem's gradient."""
BROADCAST_TO = Op("broadcast_to", _broadcast_to, _broadcast_to_vjp, broadcasts=True)
"""`x` stretched to a saved shape: the gradient of a reduction."""
