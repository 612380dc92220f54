"""Ops that move elements without changing them: reshape, transpose, indexing."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode


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
    x = node.parents[0].data
    full = np.zeros_like(x)
    np.add.at(full, node.saved, g)
    return (full,)


RESHAPE = Op("reshape", _reshape, _reshape_vjp)
TRANSPOSE = Op("transpose", _transpose, _transpose_vjp)
GETITEM = Op("getitem", _getitem, _getitem_vjp)
