"""Losses and log-softmax, numerically stable, for tensor Values and for scalar-mode lists.

`linear(x, weight, bias)` is x @ weight.T + bias as one node (`ops.LINEAR`): `nn.Linear`'s forward.
Every loss takes either a tensor Value (rows are samples) or what a scalar-mode model
returns (a list of Values per sample, or a list of such lists), and returns one Value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad import ops
from minigrad.errors import ShapeError
from minigrad.value import Value, apply

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "linear",
    "log_softmax",
    "mse_loss",
    "softmax",
]


def linear(x: Any, weight: Value, bias: Value | None = None) -> Value:
    """x @ weight.T + bias as one graph node (`ops.LINEAR`); `nn.Linear`'s forward pass.

    Args:
        x: one sample of shape (in,) or a batch of rows (n, in): a Value, array or list.
        weight: a tensor-mode Value of shape (out, in), PyTorch's layout.
        bias: a tensor-mode Value of shape (out,), or None.

    Other shapes (a stack of batches, say) are computed as the three ops `x @ weight.T + bias`,
    with the same numbers and gradients.
    """
    xv = x if isinstance(x, Value) else Value(x, requires_grad=False)
    w, b, xd = weight.data, None if bias is None else bias.data, xv.data
    if not (
        isinstance(w, np.ndarray)
        and w.ndim == 2
        and isinstance(xd, np.ndarray)
        and xd.ndim in (1, 2)
        and (b is None or (isinstance(b, np.ndarray) and b.shape == w.shape[:1]))
    ):
        out = xv @ weight.T
        return out if bias is None else out + bias
    if xd.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {xd.shape} does not fit a weight of shape {w.shape} "
            f"(needs {w.shape[1]} features in the last axis)"
        )
    # The shapes are checked: the rule's gradients have the inputs' shapes. With one dtype they
    # need no unbroadcasting either (`LINEAR.plain`); with several, it casts them back.
    one_dtype = xd.dtype == w.dtype and (b is None or b.dtype == w.dtype)
    op = ops.LINEAR.plain if one_dtype else ops.LINEAR
    if bias is None:
        return apply(op, xv, weight)
    return apply(op, xv, weight, bias)


def _is_scalar_mode(x: Any) -> bool:
    return not isinstance(x, Value)


def _rows(pred: Any) -> list[list[Value]]:
    """Scalar-mode predictions as rows of Values (one sample gives one row)."""
    if len(pred) and isinstance(pred[0], Value):
        return [list(pred)]
    return [list(row) for row in pred]


def _targets(target: Any, shape: tuple[int, ...], dtype: Any = np.float64) -> NDArray[Any]:
    """Targets as an array of `shape`: broadcast, or reshaped when only axes of size 1 differ
    ((N,) for predictions (N, 1)); a (3, 2) target never pairs with (2, 3) predictions.
    `dtype` is the predictions' (targets are data: they never upcast a float32 graph)."""
    t = np.asarray(target.data if isinstance(target, Value) else target, dtype=dtype)
    if t.shape == shape:  # the common case: no broadcast view to make
        return t
    squeezed = [n for n in t.shape if n != 1] == [n for n in shape if n != 1]
    try:
        return np.broadcast_to(t.reshape(shape) if squeezed else t, shape)
    except ValueError:
        raise ValueError(
            f"targets of shape {t.shape} do not fit predictions of shape {shape}"
        ) from None


def _scalar_mean(terms: list[Value]) -> Value:
    total: Value = terms[0]
    for term in terms[1:]:
        total = total + term
    return total * (1.0 / len(terms))


def mse_loss(pred: Any, target: Any) -> Value:
    """mean((pred - target)^2)"""
    if _is_scalar_mode(pred):
        rows = _rows(pred)
        t = _targets(target, (len(rows), len(rows[0])))
        return _scalar_mean(
            [(p - float(t[i, j])) ** 2 for i, row in enumerate(rows) for j, p in enumerate(row)]
        )
    p: Value = pred
    return apply(ops.MSE, p, _targets(target, p.shape, p.dtype))  # one node, not three


def binary_cross_entropy_with_logits(logits: Any, target: Any) -> Value:
    """mean(softplus(x) - x*y): the cross-entropy of sigmoid(x) against y, stable for any x.

    softplus is one op (derivative sigmoid(x)), so the gradient is sigmoid(x) - y everywhere,
    x = 0 included (a |x|-based formula would give the wrong subgradient there).
    """
    if _is_scalar_mode(logits):
        rows = _rows(logits)
        t = _targets(target, (len(rows), len(rows[0])))
        terms = [
            x.softplus() - x * float(t[i, j])
            for i, row in enumerate(rows)
            for j, x in enumerate(row)
        ]
        return _scalar_mean(terms)
    x: Value = logits
    t = _targets(target, x.shape, x.dtype)
    return (x.softplus() - x * t).mean()


def log_softmax(logits: Value, axis: int = -1) -> Value:
    """x - log(sum(e^x)), computed after subtracting the (constant) maximum: `Value.log_softmax`."""
    return logits.log_softmax(axis)


def softmax(logits: Value, axis: int = -1) -> Value:
    """e^x / sum(e^x), stable for large |x|: `Value.softmax`."""
    return logits.softmax(axis)


def _labels(labels: Any, n: int, classes: int) -> Any:
    y = np.asarray(labels.data if isinstance(labels, Value) else labels)
    if y.shape != (n,):
        raise ValueError(f"cross_entropy needs {n} integer labels, got shape {y.shape}")
    if y.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise TypeError(f"cross_entropy labels must be integers, got dtype {y.dtype}")
        y = y.astype(np.int64)
    if n and (y.min() < 0 or y.max() >= classes):
        raise ValueError(f"labels must lie in [0, {classes}), got [{y.min()}, {y.max()}]")
    return y


def cross_entropy(logits: Any, labels: Any) -> Value:
    """mean over samples of -log softmax(logits)[label]; `labels` are class indices."""
    if _is_scalar_mode(logits):
        rows = _rows(logits)
        y = _labels(labels, len(rows), len(rows[0]))
        terms = []
        for row, label in zip(rows, y, strict=True):
            top = max(v.data for v in row)  # a constant shift: it changes no gradient
            shifted = [v - top for v in row]
            total: Any = shifted[0].exp()
            for s in shifted[1:]:
                total = total + s.exp()
            terms.append(total.log() - shifted[int(label)])
        return _scalar_mean(terms)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy needs logits of shape (N, C), got {logits.shape}")
    z: Value = logits
    n, classes = z.shape
    y = _labels(labels, n, classes)
    return apply(ops.CROSS_ENTROPY, z, saved=y)  # one node, not the nine of log_softmax & co.
