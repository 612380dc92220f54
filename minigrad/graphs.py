"""Graphs to study the strategies on: dense, residual and chain nets, and small named demos.

Each builder returns `(output, leaves)`: a one-element Value to call backward() on and the
leaves that receive gradients. Weights come from a seeded generator, so the same arguments give
the same graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.value import Value

GRAPH_KINDS = ("dense", "residual", "chain")
MODES = ("scalar", "tensor")


def dense_net(
    width: int, depth: int, mode: str = "scalar", seed: int = 0
) -> tuple[Value, list[Value]]:
    """`depth` tanh layers of `width` units, fully connected, summed to one output.

    In scalar mode every weight is a Value, so node v of layer l is reachable from the output by
    width^(depth-l) paths: the graph where naive recursion blows up.
    """
    return _layered(width, depth, mode, seed, residual=False)


def residual_net(
    width: int, depth: int, mode: str = "scalar", seed: int = 0
) -> tuple[Value, list[Value]]:
    """Like `dense_net` but each layer adds its input back: h = h + tanh(W h)."""
    return _layered(width, depth, mode, seed, residual=True)


def chain(length: int, mode: str = "scalar", seed: int = 0) -> tuple[Value, list[Value]]:
    """x -> tanh(0.5 x) -> ... , `length` times: 2 * length op nodes on one path.

    The recursive walks reach depth 2 * length + 1 (every op node and the leaf x).
    """
    rng = np.random.default_rng(seed)
    x = Value(float(rng.normal()) if mode == "scalar" else rng.normal(size=4), label="x")
    y = x
    for _ in range(length):
        y = (y * 0.5).tanh()
    return (y if mode == "scalar" else y.sum()), [x]


def _layered(
    width: int, depth: int, mode: str, seed: int, residual: bool
) -> tuple[Value, list[Value]]:
    if width < 1 or depth < 1:
        raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(width)
    weights = [rng.normal(scale=scale, size=(width, width)) for _ in range(depth)]
    x_data = rng.normal(size=width)
    if mode == "tensor":
        x = Value(x_data, label="x", requires_grad=False)
        leaves = [Value(w, label=f"W{i + 1}") for i, w in enumerate(weights)]
        h = x
        for weight in leaves:
            z = (weight @ h).tanh()
            h = h + z if residual else z
        return h.sum(), leaves
    leaves = []
    h_s: list[Any] = [float(v) for v in x_data]
    for i, w in enumerate(weights):
        grid = [
            [Value(float(w[r, c]), label=f"W{i + 1}[{r},{c}]") for c in range(width)]
            for r in range(width)
        ]
        leaves.extend(v for row in grid for v in row)
        outputs = []
        for r, row in enumerate(grid):
            acc: Any = row[0] * h_s[0]
            for c in range(1, width):
                acc = acc + row[c] * h_s[c]
            z = acc.tanh()
            outputs.append(h_s[r] + z if residual else z)
        h_s = outputs
    total: Any = h_s[0]
    for v in h_s[1:]:
        total = total + v
    return total, leaves


def build(
    kind: str, width: int, depth: int, mode: str = "scalar", seed: int = 0
) -> tuple[Value, list[Value]]:
    """Build a graph by kind name: "dense", "residual" or "chain" (chain length = depth)."""
    if kind == "dense":
        return dense_net(width, depth, mode, seed)
    if kind == "residual":
        return residual_net(width, depth, mode, seed)
    if kind == "chain":
        return chain(depth, mode, seed)
    raise ValueError(f"unknown graph kind {kind!r}; choose from {', '.join(GRAPH_KINDS)}")


def reuse_demo() -> tuple[Value, list[Value]]:
    """micrograd issue 21: a = 1; b = a + a; c = b + b (dc/da = 4)."""
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    return c, [a]


def neuron_demo() -> tuple[Value, list[Value]]:
    """micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b]


def diamond_demo() -> tuple[Value, list[Value]]:
    """A diamond: x feeds two branches that meet again: y = tanh(x) * exp(x)."""
    x = Value(0.5, label="x")
    y = x.tanh() * x.exp()
    y.label = "y"
    return y, [x]


DEMOS: dict[str, Callable[[], tuple[Value, list[Value]]]] = {
    "reuse": reuse_demo,
    "neuron": neuron_demo,
    "diamond": diamond_demo,
}
