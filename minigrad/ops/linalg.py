"""Matrix product with numpy's `@` semantics (1-d operands and batch broadcasting included).

Both ops broadcast: their rules return gradients with the batch axes of the output, and
`Op.vjp` sums those back to each parent's shape and dtype.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode


def _product_like(left: Any, right: Any, like: Any) -> Any:
    """`left @ right`, laid out in memory like `like` (the parent the product is the gradient of).

    When all three are matrices and `like` is a transposed view (F-ordered, as `W.T` in
    `x @ W.T` is), the product is computed as `(right^T @ left^T)^T`: the same numbers, F-ordered
    too, so the gradient transposed back for `W` is contiguous and committing it to `W.grad` is a
    plain copy rather than a strided transpose (which at large sizes costs about as much as the
    product itself). Graph nodes (a backward pass that builds a graph) are multiplied as they are.
    """
    if type(like) is not np.ndarray:
        return left @ right
    matrices = left.ndim == right.ndim == like.ndim == 2
    if matrices and like.flags.f_contiguous and not like.flags.c_contiguous:
        return (right.T @ left.T).T
    return left @ right


def _swap_last(x: Any) -> Any:
    """x with its last two axes swapped (arrays and graph nodes alike)."""
    if x.ndim == 2:
        return x.T
    return x.transpose((*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


def _matmul_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a @ b) = (g @ b^T, a^T @ g), with 1-d operands promoted and demoted as numpy does"""
    a, b = node.parents
    a_data, b_data = a.data, b.data
    a2 = a_data[None, :] if a_data.ndim == 1 else a_data
    b2 = b_data[:, None] if b_data.ndim == 1 else b_data
    g2 = g
    if b_data.ndim == 1:  # first: for 1-d @ 1-d, g is 0-d and has no axis -2 yet
        g2 = g2[..., None]
    if a_data.ndim == 1:
        g2 = g2[..., None, :]
    ga = gb = None
    if a.requires_grad:
        ga = _product_like(g2, _swap_last(b2), a2)
        if a_data.ndim == 1:
            ga = ga[..., 0, :]
    if b.requires_grad:
        gb = _product_like(_swap_last(a2), g2, b2)
        if b_data.ndim == 1:
            gb = gb[..., 0]
    return ga, gb


MATMUL = Op("matmul", operator.matmul, _matmul_vjp, broadcasts=True)


def _linear_forward(x: Any, weight: Any, bias: Any = None) -> Any:
    out = x @ weight.T
    if bias is None:
        return out
    if np.result_type(out, bias) == out.dtype:
        out += bias  # the product is a fresh array: add in place, one temporary fewer
        return out
    return out + bias  # the bias promotes the dtype (numpy's rules), as x @ W.T + b would


def _linear_vjp(g: Any, node: RuleNode) -> Grads:
    """d(x @ W^T + b) = (g @ W, g^T @ x, sum of g over the batch)"""
    x, weight, *bias = node.parents  # bias: [] or [the bias Value]
    x_data = x.data
    gx = g @ weight.data if x.requires_grad else None
    gw = None
    if weight.requires_grad:  # g^T @ x directly: W's layout, no transpose to copy at commit
        gw = g.T @ x_data if x_data.ndim == 2 else g[:, None] * x_data[None, :]
    if not bias:
        return gx, gw
    (b,) = bias
    if not b.requires_grad:
        return gx, gw, None
    return gx, gw, g.sum(axis=0) if x_data.ndim == 2 else g  # the bias's own shape already


LINEAR = Op("linear", _linear_forward, _linear_vjp, broadcasts=True)
"""`x @ W.T + b` for a vector or a batch of rows x, as one node: what `nn.Linear` computes.

The same numbers as the three ops it fuses; one node instead of three, and the weight's gradient
comes out in the weight's own layout. Its rule returns each gradient in its input's shape, so
`LINEAR.plain` (no unbroadcasting) serves inputs of one dtype; `broadcasts=True` casts the
gradients back to each input's dtype when the dtypes differ.
"""
