"""Gradients as values: `grad`, and the second-order products built on it, `hvp` and `hessian`.

`grad(outputs, inputs)` returns d(outputs)/d(inputs) as new Values and never touches `.grad`.
With `create_graph=True` the backward pass computes with the graph's nodes (see
`minigrad/backward/lifted.py`), so the gradients it returns are nodes of a graph of their own:
they can be differentiated again, as often as wanted, by any strategy. `hvp` differentiates twice
(a Hessian-vector product, never forming the Hessian); `hessian` forms it, for small inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.backward import BackwardStats, gradient_map
from minigrad.value import Value

MAX_HESSIAN_SIZE = 1024
"""The most input elements `hessian` accepts: the Hessian has this many squared entries, and each
row costs a backward pass over the gradient's graph. Use `hvp` for larger inputs."""


class Gradients(tuple[Value, ...]):
    """The tuple `grad` returns (one Value per input), with `.stats`: one BackwardStats per output
    that was differentiated (`created_nodes` counts what a `create_graph=True` pass built)."""

    stats: tuple[BackwardStats, ...]


def _values(items: Value | Sequence[Value], what: str) -> list[Value]:
    listed = [items] if isinstance(items, Value) else list(items)
    for i, item in enumerate(listed):
        if not isinstance(item, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type(item).__name__}")
    if not listed:
        raise ValueError(f"{what} is empty")
    return listed


def _seeds(grad_outputs: Any, outputs: list[Value]) -> list[Any]:
    """One seed per output: a list or tuple holds one per output; anything else is the seed of
    the only output (an array shaped like it, a number, a Value)."""
    if grad_outputs is None:
        return [None] * len(outputs)
    if not isinstance(grad_outputs, list | tuple):
        grad_outputs = [grad_outputs]
    seeds = [g.data if isinstance(g, Value) else g for g in grad_outputs]
    if len(seeds) != len(outputs):
        raise ValueError(f"{len(seeds)} grad_outputs for {len(outputs)} outputs")
    return seeds


def _zeros_like(x: Value) -> Any:
    return 0.0 if type(x.data) is float else np.zeros_like(x.data)


def _as_gradient_of(x: Value, g: Any) -> Value:
    """A gradient for input `x`: a node as it is, or raw data as a constant of x's type."""
    if isinstance(g, Value):
        return g
    data = float(g) if type(x.data) is float else np.array(g, dtype=x.dtype)
    return Value(data, requires_grad=False)


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    *,
    create_graph: bool = False,
    strategy: str | None = None,
) -> Gradients:
    """d(outputs)/d(inputs), one Value per input, shaped like it; no `.grad` is touched.

    Args:
        outputs: a Value or a sequence of Values; with several, their gradients add up.
        inputs: a Value or a sequence of Values, each requiring a gradient.
        grad_outputs: the seeds, read as constants: a list or tuple with one per output, or,
            for one output, its seed alone (an array shaped like it, a number or a Value);
            required for outputs with more than one element.
        create_graph: make the gradients nodes of a graph, so they can be differentiated again;
            False returns constants, and the pass is a plain first-order one.
        strategy: the backward strategy to walk with (None: the default).

    Returns:
        A tuple of Values (with `.stats`, the BackwardStats of each pass). An input the outputs
        do not depend on gets zeros.

    Raises:
        ValueError: an input does not require a gradient, or the seeds do not fit the outputs.
    """
    outs, ins = _values(outputs, "outputs"), _values(inputs, "inputs")
    for i, x in enumerate(ins):
        if not x.requires_grad:
            raise ValueError(
                f"inputs[{i}] does not require a gradient (requires_grad=False, or made under "
                "no_grad()): grad() differentiates only with respect to such inputs"
            )
    totals: dict[Value, Any] = {}
    stats = []
    for out, seed in zip(outs, _seeds(grad_outputs, outs), strict=True):
        if not out.requires_grad:  # depends on no input that requires a gradient: all zeros
            continue
        grads, pass_stats = gradient_map(out, seed, strategy, create_graph=create_graph)
        stats.append(pass_stats)
        for x in ins:
            if x in grads and x not in totals:
                totals[x] = grads[x]
            elif x in grads:
                totals[x] = totals[x] + grads[x]
    result = Gradients(_as_gradient_of(x, totals.get(x, _zeros_like(x))) for x in ins)
    result.stats = tuple(stats)
    return result


def _input(x: Any) -> Value:
    """A fresh leaf holding a copy of x's data (a Value's data, or any array-like)."""
    data = x.data if isinstance(x, Value) else x
    return Value(data if type(data) is float else np.array(data, copy=True))


def _scalar_output(f: Callable[[Value], Value], x: Value, name: str) -> Value:
    out = f(x)
    if not isinstance(out, Value) or np.size(out.data) != 1:
        shape = out.shape if isinstance(out, Value) else type(out).__name__
        raise ValueError(f"{name} needs f to return a Value with one element, got {shape}")
    return out


def hvp(
    f: Callable[[Value], Value], x: Any, v: Any, *, strategy: str | None = None
) -> NDArray[Any]:
    """H(f)(x) @ v, the Hessian-vector product, by differentiating twice (no Hessian is formed).

    Args:
        f: maps a Value shaped like x to a Value with one element.
        x: the point (a Value, whose data is copied, or an array-like or number).
        v: the direction, shaped like x.
        strategy: the backward strategy for both passes (None: the default).

    Returns:
        An ndarray shaped like x (0-d for a scalar x).
    """
    point = _input(x)
    direction = np.asarray(v.data if isinstance(v, Value) else v, dtype=point.dtype)
    if direction.shape != point.shape:
        raise ValueError(f"v has shape {direction.shape}, but x has shape {point.shape}")
    (g,) = grad(_scalar_output(f, point, "hvp"), point, create_graph=True, strategy=strategy)
    weighted = g * (float(direction) if type(point.data) is float else direction)
    total = weighted if type(point.data) is float else weighted.sum()
    if not total.requires_grad:  # the gradient does not depend on x: f is linear
        return np.zeros(point.shape, dtype=point.dtype)
    (product,) = grad(total, point, strategy=strategy)
    return np.asarray(product.data, dtype=point.dtype).reshape(point.shape)


def hessian(f: Callable[[Value], Value], x: Any, *, strategy: str | None = None) -> NDArray[Any]:
    """The matrix of second derivatives of f at x, of shape `x.shape + x.shape`.

    One backward pass over the gradient's graph per element of x, so it is for small inputs:
    above `MAX_HESSIAN_SIZE` elements it refuses (use `hvp`, which never forms the matrix).

    Args:
        f: maps a Value shaped like x to a Value with one element.
        x: the point (a Value, whose data is copied, or an array-like or number).
        strategy: the backward strategy for every pass (None: the default).
    """
    point = _input(x)
    size = int(np.size(point.data))
    if size > MAX_HESSIAN_SIZE:
        raise ValueError(
            f"hessian of an input with {size:,} elements would need {size:,} backward passes "
            f"and {size * size:,} entries (the limit is {MAX_HESSIAN_SIZE:,} elements); "
            "use mg.hvp(f, x, v) for Hessian-vector products instead"
        )
    (g,) = grad(_scalar_output(f, point, "hessian"), point, create_graph=True, strategy=strategy)
    rows = np.zeros((size, size), dtype=point.dtype)
    flat = g if type(point.data) is float else g.reshape(-1)
    for i in range(size):
        entry = flat if type(point.data) is float else flat[i]
        if entry.requires_grad:
            (row,) = grad(entry, point, strategy=strategy)
            rows[i] = np.reshape(row.data, -1)
    return rows.reshape(point.shape + point.shape)
