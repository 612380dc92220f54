"""Helpers for training loops, as in `torch.nn.utils`: `clip_grad_norm_`."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from minigrad.value import Value


def clip_grad_norm_(
    parameters: Value | Iterable[Value],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients so that their joint norm is at most `max_norm`; return the norm.

    The norm is taken over all gradients together, as if concatenated into one vector
    (`norm_type` 2 by default, `math.inf` for the largest magnitude). When it exceeds
    `max_norm`, every gradient is multiplied by max_norm / (norm + 1e-6), PyTorch's formula.
    Parameters without a gradient are skipped. The gradients are replaced, not changed in
    place (a gradient array may be shared with another Value).

    Raises:
        RuntimeError: the norm is NaN or infinite and `error_if_nonfinite` is set.
    """
    params = [parameters] if isinstance(parameters, Value) else list(parameters)
    grads = [np.asarray(p.grad) for p in params if p.has_grad]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads)) ** (
            1.0 / norm_type
        )
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            "be clipped; pass error_if_nonfinite=False to clip anyway"
        )
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for p in params:
            if p.has_grad:
                grad = p.grad
                p.grad = (
                    float(grad * coefficient)
                    if isinstance(grad, float)
                    else grad * (np.asarray(coefficient, dtype=grad.dtype))
                )
    return total
