"""Matrix product with numpy's `@` semantics (1-d operands and batch broadcasting included)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, unbroadcast


def _matmul_vjp(g: Any, node: Any) -> Grads:
    """d(a @ b) = (g @ b^T, a^T @ g), with 1-d operands promoted and demoted as numpy does"""
    a, b = node.parents
    a_data, b_data = a.data, b.data
    a2 = a_data[None, :] if a_data.ndim == 1 else a_data
    b2 = b_data[:, None] if b_data.ndim == 1 else b_data
    g2 = g
    if a_data.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b_data.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    ga = gb = None
    if a.requires_grad:
        ga = g2 @ np.swapaxes(b2, -1, -2)
        if a_data.ndim == 1:
            ga = ga[..., 0, :]
        ga = unbroadcast(ga, a_data)
    if b.requires_grad:
        gb = np.swapaxes(a2, -1, -2) @ g2
        if b_data.ndim == 1:
            gb = gb[..., 0]
        gb = unbroadcast(gb, b_data)
    return ga, gb


MATMUL = Op("matmul", operator.matmul, _matmul_vjp)
