"""What each backward pass reports, and what the checkers catch, against independent counts.

The stats (`vjp_calls`, `nodes`, `max_depth`, `created_nodes`, `visits`) are counted here from
the graph itself, by plain recursions written for this test; the checkers (`gradcheck`,
`gradgradcheck`) must fail, with their default tolerances, on an op whose rule is slightly wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import Op
from minigrad.ops.core import data_of
from minigrad.testing import gradcheck, gradgradcheck
from minigrad.value import apply

LINEAR = ["memoized", "cycle_checked", "topological", "tape"]


def _graph() -> tuple[mg.Value, list[mg.Value]]:
    """A graph with shared nodes, a constant and several paths to each leaf."""
    a, b, c = mg.Value(2.0, label="a"), mg.Value(3.0, label="b"), mg.Value(-1.0, label="c")
    t = a * b
    u = t + a
    v = u * c
    y = (v * t).relu() + 2.0 * u
    return y, [a, b, c]


def _reachable(root: Any) -> list[Any]:
    """Every node that needs a gradient, reached from root through parents that need one."""
    seen: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(p for p in node.parents if p.requires_grad)
    return list(seen.values())


def _paths(node: Any) -> list[Any]:
    """naive's visits, independently: each node once per output-to-node path, depth first,
    parents in order."""
    out = [node]
    for parent in node.parents:
        if parent.requires_grad:
            out += _paths(parent)
    return out


def _longest(node: Any) -> int:
    """Nodes on the longest path from node down to a leaf."""
    return 1 + max((_longest(p) for p in node.parents if p.requires_grad), default=0)


@pytest.mark.parametrize("strategy", [*LINEAR, "naive"])
def test_every_counter_matches_a_count_of_the_graph(strategy: str) -> None:
    y, _ = _graph()
    nodes = _reachable(y)
    op_nodes = [n for n in nodes if n.op is not None]
    stats = y.backward(strategy=strategy, trace=True)
    assert stats.strategy == strategy and stats.nodes == len(nodes) and stats.created_nodes == 0
    if strategy == "naive":
        paths = _paths(y)
        assert stats.vjp_calls == sum(1 for n in paths if n.op is not None)
        assert stats.max_depth == _longest(y)
        assert [id(n) for n in stats.visits] == [id(n) for n in paths]  # order pinned
    else:
        assert stats.vjp_calls == len(op_nodes)
        assert sorted(map(id, stats.visits)) == sorted(map(id, nodes))  # each node once
        iterative = strategy in ("topological", "tape")
        assert (stats.max_depth == 1) if iterative else (1 < stats.max_depth <= _longest(y))


@pytest.mark.parametrize("strategy", ["topological", "tape"])
def test_iterative_walks_visit_in_reverse_creation_order_here(strategy: str) -> None:
    """On a graph built in one line of dependencies, the order is fully determined."""
    x = mg.Value(0.3, label="x")
    chain = [x]
    for _ in range(5):
        chain.append(chain[-1].tanh() * 2.0)
    stats = chain[-1].backward(strategy=strategy, trace=True)
    expected = _reachable(chain[-1])  # one line of dependencies: root first, then each parent
    assert [id(n) for n in stats.visits] == [id(n) for n in expected]
    assert stats.visits[0] is chain[-1] and stats.visits[-1] is x


def test_created_nodes_counts_the_gradient_graph() -> None:
    x = mg.Value(np.array([0.5, -1.0]))
    y = (x * x * x).tanh().sum()
    made: list[Any] = []
    with mg.hooks.observing(node=lambda node, op, parents: made.append(node)):
        (g,) = mg.grad(y, [x], create_graph=True)
    reachable_new = [n for n in _reachable(g) if n.op is not None and n not in _reachable(y)]
    assert len(reachable_new) > 0
    assert sum(n.op is not None for n in made) >= len(reachable_new)


def _wrong_square(rule_factor: float, differentiable: bool) -> Op:
    """x^2 with a rule that is off by rule_factor, or that hides x from a second pass."""

    def rule(g: Any, node: Any) -> tuple[Any, ...]:
        x = node.parents[0].data
        return (g * (2.0 * rule_factor) * (x if differentiable else data_of(x)),)

    return Op("wrong_square", lambda x: x * x, rule)


def test_gradcheck_fails_on_a_slightly_wrong_rule_with_its_default_tolerance() -> None:
    op = _wrong_square(1.0 + 1e-4, True)
    x = mg.Value(np.array([0.7, -1.3, 2.0]), label="x")
    with pytest.raises(AssertionError, match="differs from central differences"):
        gradcheck(lambda v: apply(op, v).sum(), x)
    assert gradcheck(lambda v: apply(op, v).sum(), x, raise_on_failure=False) is False
    right = _wrong_square(1.0, True)
    assert gradcheck(lambda v: apply(right, v).sum(), x)


def test_gradgradcheck_fails_on_a_rule_that_is_right_only_at_first_order() -> None:
    hidden = _wrong_square(1.0, False)  # first derivative right, second derivative 0
    x = mg.Value(np.array([0.7, -1.3, 2.0]))
    assert gradcheck(lambda v: apply(hidden, v).sum(), x)
    with pytest.raises(AssertionError, match="differs from central differences"):
        gradgradcheck(lambda v: apply(hidden, v).sum(), x)

    def off_at_second_order(g: Any, node: Any) -> tuple[Any, ...]:
        x = node.parents[0].data  # x + 1e-4 (x - x): the same number, a slope 1e-4 too steep
        return (g * 2.0 * (x + 1e-4 * (x - data_of(x))),)

    slightly = Op("slightly", lambda v: v * v, off_at_second_order)
    assert gradcheck(lambda v: apply(slightly, v).sum(), x)
    assert gradgradcheck(lambda v: apply(slightly, v).sum(), x, raise_on_failure=False) is False


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_leafs_gradient_keeps_the_leafs_dtype_whatever_the_rule_returns(dtype: Any) -> None:
    """The commit casts: a rule computing in float64 for a float32 leaf still gives float32."""
    wide = Op("wide", lambda x: x * 2.0, lambda g, node: (np.asarray(g, np.float64) * 2.0,))
    x = mg.Value(np.ones(3, dtype=dtype))
    apply(wide, x).sum().backward()
    assert x.grad.dtype == dtype and np.array_equal(x.grad, np.full(3, 2.0, dtype))


@pytest.mark.parametrize("strategy", [*LINEAR, "naive"])
def test_scalar_mode_inputs_exactly_at_a_kink(strategy: str) -> None:
    """relu at exactly 0 and max of a tie, in scalar mode: PyTorch's conventions (0, and the
    whole gradient for the one float max is taken of)."""
    x = mg.Value(0.0)
    z = mg.Value(-0.0)
    (x.relu() + z.relu() + x.max()).backward(strategy=strategy)
    assert x.grad == 1.0 and z.grad == 0.0
