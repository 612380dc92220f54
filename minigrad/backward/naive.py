"""naive: push the gradient down every path from the output, with no memo.

    push(node, g):
        node's gradient += g
        for each parent p, with local gradient g_p = vjp(node, g)[p]:
            push(p, g_p)

Each call passes down the gradient of ONE path, so a node reused by several consumers is visited
once per path and its contributions add up to the right total. That is also why it is
exponential: a backward rule runs once per output-to-node path, and a dense net of width w and
depth d has about w^d of them. Before walking, the path count is predicted exactly (a memoized,
linear-time count) and the walk is refused above a cap (10^7 calls by default), with the count.

(micrograd's `_backward` closures read the node's accumulated `.grad`; calling them recursively
on every child re-sends partial sums and gives wrong gradients on reused nodes. Passing each
path's own gradient down, as here, is what makes plain recursion correct.)
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

from minigrad.backward.graph import Node, WalkResult, accumulate, consumers_of
from minigrad.backward.recursion import run_recursive
from minigrad.errors import PathExplosionError, SettingError

DEFAULT_MAX_CALLS = 10_000_000
_max_calls: int | None = None  # None: not set in code; the environment or the default decides


_CAP_RULE = "a whole number >= 0 (e.g. 100000000 or 1e8)"


def _whole_count(value: float) -> int | None:
    """`value` as an int if it is a whole number >= 0 (1e8 is, 2.5, -1, NaN and inf are not)."""
    if not (0 <= value < math.inf) or value != int(value):  # NaN fails the first test
        return None
    return int(value)


def _cap_from_environment() -> int:
    """MINIGRAD_NAIVE_MAX_CALLS as a non-negative integer ("1e8" and "10_000_000" allowed)."""
    text = os.environ.get("MINIGRAD_NAIVE_MAX_CALLS", "").strip()
    if not text:
        return DEFAULT_MAX_CALLS
    digits = text.replace("_", "")
    cap: int | None
    try:
        cap = _whole_count(int(digits))  # exact, however many digits
    except ValueError:
        try:
            cap = _whole_count(float(digits))
        except ValueError:
            cap = None
    if cap is None:
        raise SettingError(
            f"MINIGRAD_NAIVE_MAX_CALLS={text!r} is not a call cap: set it to {_CAP_RULE}, "
            f"or unset it for the default {DEFAULT_MAX_CALLS:,}"
        )
    return cap


def set_max_calls(n: float) -> None:
    """Set how many backward-rule calls `naive` accepts before refusing a graph.

    Args:
        n: a whole number >= 0: an int, or a float with no fractional part such as 1e8.

    Raises:
        TypeError: `n` is not a real number (a string, None, a bool, ...).
        ValueError: `n` is negative, has a fractional part, or is NaN or infinite.
    """
    global _max_calls
    if isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"set_max_calls(n) needs n to be {_CAP_RULE}, got {_shown(n)}")
    cap = _whole_count(n)
    if cap is None:
        raise ValueError(f"set_max_calls(n) needs n to be {_CAP_RULE}, got {n!r}")
    _max_calls = cap


def _shown(value: object) -> str:
    """A value's type and a bounded repr, for an error message."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def get_max_calls() -> int:
    """How many backward-rule calls `naive` accepts (default 10^7, or MINIGRAD_NAIVE_MAX_CALLS).

    Raises:
        SettingError: (a ValueError) MINIGRAD_NAIVE_MAX_CALLS is set to something that is not a
            whole number >= 0 (checked at first use, so that `import minigrad` never fails on it).
    """
    return _cap_from_environment() if _max_calls is None else _max_calls


def count_paths(root: Node, consumers: dict[Any, list[tuple[Any, int]]]) -> dict[Any, int]:
    """Number of output-to-node paths for each node (memoized pull recursion, linear time).

    paths(output) = 1; paths(v) = sum over the consumers c of v (with multiplicity) of paths(c).
    Like naive itself this cannot see cycles: on one it recurses until GraphTooDeepError.
    """
    paths: dict[Any, int] = {root: 1}
    for node in reversed(list(consumers)):
        _count(node, paths, consumers)
    return paths


def _count(node: Any, paths: dict[Any, int], consumers: dict[Any, list[tuple[Any, int]]]) -> int:
    if node in paths:
        return paths[node]
    total = 0
    for consumer, _ in consumers[node]:
        total += _count(consumer, paths, consumers)
    paths[node] = total
    return total


def _predicted(root: Node, consumers: dict[Any, list[tuple[Any, int]]]) -> int:
    paths = run_recursive("naive", len(consumers), lambda: count_paths(root, consumers))
    return sum(n for node, n in paths.items() if node.op is not None)


def predict_calls(root: Node) -> int:
    """The vjp_calls naive will make: the number of output-to-node paths, summed over op nodes."""
    return _predicted(root, consumers_of(root))


class _Push:
    """The walk's state, explicit: `push` recurses through `self`, so no closure refers to itself
    and nothing outlives the walk."""

    def __init__(self, trace: list[Any] | None) -> None:
        self.trace = trace
        self.grads: dict[Any, Any] = {}
        self.calls = 0
        self.deepest = 0

    def push(self, node: Any, grad: Any, depth: int) -> None:
        if depth > self.deepest:
            self.deepest = depth
        if self.trace is not None:
            self.trace.append(node)
        accumulate(self.grads, node, grad)
        if node.op is None:
            return
        self.calls += 1
        for parent, parent_grad in zip(node.parents, node.op.vjp(grad, node), strict=True):
            if parent.requires_grad:
                self.push(parent, parent_grad, depth + 1)


def naive(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by pushing each path's gradient down recursively, without memoization."""
    consumers = consumers_of(root)
    predicted = _predicted(root, consumers)
    cap = get_max_calls()
    if predicted > cap:
        raise PathExplosionError(predicted, cap)
    walk = _Push(trace)
    run_recursive("naive", len(consumers), lambda: walk.push(root, seed, 1))
    return WalkResult(walk.grads, walk.calls, walk.deepest, trace or [])
