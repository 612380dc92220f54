"""Fused losses: a whole loss as one node, where the composed ops cost more than the arithmetic.

On a small batch the per-node overhead (a node, a rule call, a gradient-map entry) outweighs the
numpy work, so `mean((p - t)^2)` as one node instead of three is measurably faster; the numbers
and gradients are the same as the composed ops'.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of
from minigrad.ops.elementwise import EXP, underflowing
from minigrad.ops.reduce import finite_max


def _mean(values: Any, dtype: Any) -> Any:
    """np.mean of `values` as a 0-d array of `dtype`: numpy's own reduction and division, without
    np.mean's Python-level wrapper (a third of a small loss's forward)."""
    return np.asarray(np.add.reduce(values, axis=None) / values.size, dtype=dtype)


def _mse(pred: Any, target: Any) -> Any:
    if np.shape(pred) != np.shape(target):  # no broadcasting: a loss of mismatched shapes is a bug
        raise ValueError("prediction and target must have the same shape")
    difference = pred - target
    return _mean(difference * difference, np.result_type(pred, target))


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


def _shifted_logits(logits: Any) -> Any:
    """logits minus each row's (constant) maximum, 0 where that is not finite, so no exp
    overflows: what `Value.log_softmax` subtracts. A node stays a node (second order)."""
    return logits - finite_max(data_of(logits), axis=1)


def _cross_entropy(logits: Any, labels: Any) -> Any:
    shifted = _shifted_logits(logits)
    log_sums = np.log(np.add.reduce(EXP.forward(shifted), axis=1))  # (exp's underflow is harmless)
    return _mean(log_sums - shifted[np.arange(len(labels)), labels], logits.dtype)


def _cross_entropy_vjp(g: Any, node: RuleNode) -> Grads:
    """d mean_i(log sum_j e^(z_ij) - z_i,y_i) = g * (softmax(z) - onehot(y)) / n"""
    (logits,) = node.parents
    labels = node.saved
    exps = call(EXP, _shifted_logits(logits.data))
    rows = data_of(logits.data)
    onehot = np.zeros_like(rows)
    onehot[np.arange(len(labels)), labels] = 1.0
    softmax = exps / exps.sum(axis=1, keepdims=True)
    return (underflowing(operator.mul, softmax - onehot, g / len(labels)),)


CROSS_ENTROPY = Op("cross_entropy", _cross_entropy, _cross_entropy_vjp)
"""The mean over rows of -log softmax(logits)[label] for (N, C) logits and N integer labels (the
saved parameter), as one node: the same loss as the composed log_softmax, index and mean (about
nine nodes), with gradient (softmax - onehot) / N."""
