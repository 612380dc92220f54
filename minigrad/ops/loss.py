"""Fused losses: a whole loss as one node, where the composed ops cost more than the arithmetic.

On a small batch the per-node overhead (a node, a rule call, a gradient-map entry) outweighs the
numpy work, so `mean((p - t)^2)` as one node instead of three is measurably faster; the numbers
and gradients are the same as the composed ops'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, data_of


def _mse(pred: Any, target: Any) -> Any:
    if np.shape(pred) != np.shape(target):  # no broadcasting: a loss of mismatched shapes is a bug
        raise ValueError("prediction and target must have the same shape")
    difference = pred - target
    squared = difference * difference
    # np.mean's own reduction and division, without its Python-level wrapper (a third of the op)
    mean = np.add.reduce(squared, axis=None) / squared.size
    return np.asarray(mean, dtype=np.result_type(pred, target))


def _mse_vjp(g: Any, node: RuleNode) -> Grads:
    """d mean((p - t)^2) = (g * 2 (p - t) / n, -g * 2 (p - t) / n)"""
    pred, target = node.parents
    p, t = pred.data, target.data
    share = (p - t) * (g * (2.0 / np.size(data_of(p))))
    return (
        share if pred.requires_grad else None,
        -share if target.requires_grad else None,
    )


MSE = Op("mse", _mse, _mse_vjp)
"""`mean((pred - target)^2)` for a prediction and a target of the same shape, as one node."""
