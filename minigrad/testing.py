"""Gradient checking by central differences, for users and tests; no other framework needed.

`gradcheck` checks first derivatives; `gradgradcheck` checks second derivatives (a backward pass
that builds a graph, differentiated again) against central differences of first derivatives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.backward import gradient_map
from minigrad.derivatives import grad
from minigrad.value import Value


def numerical_grad(
    f: Callable[..., Value], inputs: tuple[Value, ...], index: int, eps: float = 1e-6
) -> Any:
    """d f / d inputs[index] by central differences: (f(x + eps) - f(x - eps)) / (2 eps)."""
    _check_tolerances(eps, 0.0, 0.0)
    target = inputs[index]
    original = target.data
    try:  # the input's data is restored even if f raises
        if isinstance(original, float):
            target.data = original + eps
            up = f(*inputs).item()
            target.data = original - eps
            down = f(*inputs).item()
            return (up - down) / (2 * eps)
        x = np.array(original, dtype=np.float64)
        grad: NDArray[np.float64] = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            saved = x[i]
            x[i] = saved + eps
            target.data = x.astype(original.dtype)
            up = f(*inputs).item()
            x[i] = saved - eps
            target.data = x.astype(original.dtype)
            down = f(*inputs).item()
            x[i] = saved
            grad[i] = (up - down) / (2 * eps)
        return grad
    finally:
        target.data = original


def gradcheck(
    f: Callable[..., Value],
    *inputs: Value,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    strategy: str | None = None,
    raise_on_failure: bool = True,
) -> bool:
    """Check backward() against central differences for every input that requires a gradient.

    Args:
        f: maps the inputs to a Value with one element (reduce it with `.sum()` if needed).
        *inputs: the Values to differentiate with respect to (float64 data recommended).
        eps: the finite-difference step.
        rtol, atol: tolerances, as in numpy.allclose.
        strategy: the backward strategy to check (None: the default).
        raise_on_failure: raise AssertionError naming the input and the worst entry.

    Returns:
        True when every gradient matches. No `.grad` is changed, and every input's data is
        restored, even when `f` raises.
    """
    _check_tolerances(eps, rtol, atol)
    out = f(*inputs)
    if np.size(out.data) != 1:
        raise ValueError(f"gradcheck needs f to return one element, got shape {out.shape}")
    # The walk's gradient map, not `.grad`: no Value in f's graph (inputs or anything f closes
    # over) is left with a gradient it did not have.
    grads = gradient_map(out, None, strategy)[0] if out.requires_grad else {}
    analytic = [
        np.asarray(grads[v], dtype=np.float64) if v in grads else np.zeros(np.shape(v.data))
        for v in inputs
    ]
    for i, v in enumerate(inputs):
        if not v.requires_grad:
            continue
        numeric = np.asarray(numerical_grad(f, inputs, i, eps), dtype=np.float64)
        same_shape = analytic[i].shape == numeric.shape  # allclose alone would broadcast
        if same_shape and np.allclose(analytic[i], numeric, rtol=rtol, atol=atol):
            continue
        if raise_on_failure:
            if not same_shape:
                raise AssertionError(
                    f"gradient of input {i} ({v.label or 'unlabelled'}) has shape "
                    f"{analytic[i].shape}, but the input has shape {numeric.shape}"
                )
            gap = np.abs(analytic[i] - numeric)
            worst = tuple(int(k) for k in np.unravel_index(int(np.argmax(gap)), numeric.shape))
            where = f" at index {worst}" if worst else ""
            got, expected = float(analytic[i][worst]), float(numeric[worst])
            raise AssertionError(
                f"gradient of input {i} ({v.label or 'unlabelled'}, shape {v.shape}) differs from "
                f"central differences{where}: analytic {got:.8g}, numeric {expected:.8g} "
                f"(difference {abs(got - expected):.3g}, allowed {atol + rtol * abs(expected):.3g})"
            )
        return False
    return True


def _check_tolerances(eps: Any, rtol: Any, atol: Any) -> None:
    """eps a finite number > 0, rtol and atol finite numbers >= 0; else a ValueError naming it."""
    for name, value, lowest in (("eps", eps, None), ("rtol", rtol, 0.0), ("atol", atol, 0.0)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise TypeError(f"gradcheck's {name} must be a number, got {value!r}")
        if not math.isfinite(value) or (value <= 0 if lowest is None else value < lowest):
            need = "a finite number > 0" if lowest is None else "a finite number >= 0"
            raise ValueError(f"gradcheck's {name} must be {need}, got {value!r}")


def gradgradcheck(f: Callable[..., Value], *inputs: Value, seed: int = 0, **check: Any) -> bool:
    """Check second derivatives against central differences of first derivatives.

    The first derivatives of `f` (by `minigrad.grad` with `create_graph=True`) are reduced to one
    number with fixed random weights, `s(x) = sum_i <w_i, df/dx_i>`; then `gradcheck` compares the
    gradient of `s` — a backward pass through the backward pass — with central differences of
    `s`, which need only first derivatives. (PyTorch's gradgradcheck uses random weights too.)

    Args:
        f: maps the inputs to a Value with one element.
        *inputs: the Values to differentiate with respect to (float64 data recommended).
        seed: seeds the random weights.
        **check: `eps`, `rtol`, `atol`, `strategy`, `raise_on_failure`, as for `gradcheck`
            (the strategy walks both backward passes).

    Returns:
        True when every second derivative matches; raises AssertionError naming the input and the
        worst entry otherwise (or returns False with `raise_on_failure=False`).
    """
    strategy = check.get("strategy")
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(0.5, 1.5, np.shape(v.data)) for v in inputs]
    differentiable = [i for i, v in enumerate(inputs) if v.requires_grad]

    def first_derivatives(*xs: Value) -> Value:
        firsts = grad(f(*xs), [xs[i] for i in differentiable], create_graph=True, strategy=strategy)
        total: Value | None = None
        for i, g in zip(differentiable, firsts, strict=True):
            w = weights[i]
            term = g * float(w) if type(g.data) is float else (g * w).sum()
            total = term if total is None else total + term
        assert total is not None
        return total

    if not differentiable:
        return True
    return gradcheck(first_derivatives, *inputs, **check)
