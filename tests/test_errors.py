"""Failure modes: cycles, deep graphs, atomic failure, naive's cap, bad input, the registry."""

from __future__ import annotations

import contextvars
import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.backward.naive as naive_module
import minigrad.backward.recursion as recursion
from minigrad.backward import WalkResult, get_strategy
from minigrad.backward.topological import topological
from minigrad.ops import Op

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")
RECURSIVE = ("naive", "memoized", "cycle_checked")
NAMING = ("cycle_checked", "topological", "tape")  # strategies that see cycles and name them
BLIND = ("naive", "memoized")  # strategies that cannot see cycles


def run_within(seconds: float, fn: Callable[[], object]) -> BaseException | None:
    """Run fn on a daemon thread; fail the test if it has not finished after `seconds`.

    Returns the exception fn raised (None if it returned).
    """
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            fn()
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s: it hangs"
    return outcome[0]


def in_fresh_context(fn: Callable[[], None]) -> None:
    """Run fn in a copy of the current context, so defaults it sets do not leak to other tests."""
    contextvars.copy_context().run(fn)


# -- cycles -----------------------------------------------------------------------------------


def cyclic_graph(
    data: Any, labelled: bool = True
) -> tuple[mg.Value, mg.Value, list[mg.Value], list[mg.Value]]:
    """out = sum(w), w = z + x, z = tanh(y), y = x * 2, then rewire y's parents to (w, 2).

    Returns (out, x, the cycle's nodes y z w, every node).
    """
    x = mg.Value(data, label="x" if labelled else "")
    y = x * 2.0
    z = y.tanh()
    w = z + x
    out = w.sum() if not isinstance(data, float) else w * 1.0
    if labelled:
        y.label, z.label, w.label = "y", "z", "w"
    y.parents = (w, y.parents[1])
    return out, x, [y, z, w], [x, y, z, w, out]


def assert_is_the_cycle(found: list[Any], cycle: list[mg.Value]) -> None:
    """`found` is exactly the cycle: each node a parent of the next, the last of the first."""
    assert len(found) == len(cycle)
    assert {id(n) for n in found} == {id(n) for n in cycle}
    for i, node in enumerate(found):
        successor = found[(i + 1) % len(found)]
        assert any(p is node for p in successor.parents)


@pytest.mark.parametrize("strategy", NAMING)
@pytest.mark.parametrize("mode", ["scalar", "tensor"])
def test_cycle_error_names_exactly_the_cycle(strategy: str, mode: str) -> None:
    data: Any = 0.4 if mode == "scalar" else np.full((2, 3), 0.4)
    out, _, cycle, _ = cyclic_graph(data)
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy=strategy)
    assert isinstance(caught.value, ValueError)
    assert_is_the_cycle(caught.value.nodes, cycle)
    message = str(caught.value)
    for name in ("y", "z", "w"):
        assert (f"{name}[2, 3]" if mode == "tensor" else name) in message


@pytest.mark.parametrize("strategy", NAMING)
def test_cycle_error_names_unlabelled_nodes_by_op_and_shape(strategy: str) -> None:
    out, _, cycle, _ = cyclic_graph(np.full((4,), 0.1), labelled=False)
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy=strategy)
    assert_is_the_cycle(caught.value.nodes, cycle)
    message = str(caught.value)
    for op in ("mul[4]", "tanh[4]", "add[4]"):
        assert op in message


@pytest.mark.parametrize("strategy", NAMING)
@pytest.mark.parametrize("tail", [1, 4])
def test_cycle_reached_through_a_tail_names_only_the_cycle(strategy: str, tail: int) -> None:
    # x -> t_1 -> ... -> t_k -> y -> z -> w -> y: the nodes on the way in are not on the cycle,
    # and the walk meets them before the cycle (and above it: `out` hangs off w).
    x = mg.Value(np.array([0.1, 0.2]), label="x")
    t = x
    for i in range(tail):
        t = t.exp()
        t.label = f"t{i}"
    y = t * 2.0
    z = y.tanh()
    w = z + 1.0
    out = (w * 3.0).sum()
    y.label, z.label, w.label = "y", "z", "w"
    y.parents = (t, w)  # y = t * w now
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy=strategy)
    assert_is_the_cycle(caught.value.nodes, [y, z, w])
    assert "t0" not in str(caught.value) and "x[" not in str(caught.value)


@pytest.mark.parametrize("strategy", NAMING)
def test_self_loop_is_a_cycle_of_one(strategy: str) -> None:
    x = mg.Value(np.ones(3))
    y = (x * 3.0).exp()
    y.label = "loop"
    out = y.sum()
    y.parents = (y,)
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy=strategy)
    assert len(caught.value.nodes) == 1 and caught.value.nodes[0] is y
    assert "loop[3]" in str(caught.value)


@pytest.mark.parametrize("strategy", NAMING)
def test_long_cycle_is_named_in_full(strategy: str) -> None:
    # 3,000 nodes on the cycle: deeper than Python's default recursion limit.
    n = 3_000
    x = mg.Value(0.5)
    chain = [x * 1.0]
    for _ in range(n - 1):
        chain.append(chain[-1] * 1.0)
    out = chain[-1] * 2.0
    chain[0].parents = (chain[-1], chain[0].parents[1])
    error = run_within(30, lambda: out.backward(strategy=strategy))
    assert isinstance(error, mg.CycleError)
    assert_is_the_cycle(error.nodes, chain)


@pytest.mark.parametrize("strategy", BLIND)
@pytest.mark.parametrize("size", [3, 3_000])
def test_blind_strategies_raise_graph_too_deep_on_a_cycle(strategy: str, size: int) -> None:
    x = mg.Value(np.full((2,), 0.5))
    chain = [x * 1.0]
    for _ in range(size - 1):
        chain.append(chain[-1].tanh())
    out = chain[-1].sum()
    chain[0].parents = (chain[-1], chain[0].parents[1])
    started = time.perf_counter()
    error = run_within(30, lambda: out.backward(strategy=strategy))
    assert time.perf_counter() - started < 10
    assert isinstance(error, mg.GraphTooDeepError)
    assert isinstance(error, RecursionError)
    message = str(error)
    assert "cycle_checked" in message and "topological" in message
    assert strategy in message


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_cycle_through_the_output_is_never_walked_silently(strategy: str) -> None:
    x = mg.Value(np.full((2,), 0.5))
    a = x * 1.0
    out = a.tanh() * 2.0
    a.parents = (out, a.parents[1])  # out -> a -> tanh -> out
    error = run_within(30, lambda: out.backward(seed=np.ones(2), strategy=strategy))
    expected = mg.CycleError if strategy in NAMING else mg.GraphTooDeepError
    assert isinstance(error, expected), f"{strategy}: {error!r}"
    assert not x.has_grad and not out.has_grad


# -- deep chains --------------------------------------------------------------------------------


def chain(n: int, start: Any, factor: Any) -> tuple[mg.Value, mg.Value]:
    """x -> x * factor -> ... (n multiplications by a constant); returns (x, output)."""
    x = mg.Value(start)
    c = mg.Value(factor, requires_grad=False)
    y = x
    for _ in range(n):
        y = y * c
    return x, y


def test_topological_handles_a_million_node_scalar_chain() -> None:
    n = 1_000_000
    x, y = chain(n, 1.0, 1.000001)
    stats = y.backward(strategy="topological")
    assert x.grad == pytest.approx(1.000001**n, rel=1e-8)  # about e; a dropped link shows
    assert stats.vjp_calls == n
    assert stats.max_depth == 1


def test_topological_handles_a_million_node_tensor_chain() -> None:
    n = 1_000_000
    factor = np.array([1.000001, 0.999999])
    x, y = chain(n, np.array([1.0, 2.0]), factor)
    stats = y.sum().backward(strategy="topological")
    np.testing.assert_allclose(x.grad, factor**n, rtol=1e-8)
    assert stats.vjp_calls == n + 1
    assert stats.max_depth == 1


@pytest.mark.parametrize("strategy", RECURSIVE)
def test_recursive_strategies_handle_a_100k_deep_chain(strategy: str) -> None:
    n = 100_000
    limit = sys.getrecursionlimit()
    x, y = chain(n, 1.0, 1.00001)
    stats = y.backward(strategy=strategy)
    assert x.grad == pytest.approx(1.00001**n, rel=1e-8)
    assert stats.vjp_calls == n
    assert stats.max_depth == n + 1
    assert sys.getrecursionlimit() == limit  # raised for the walk alone


@pytest.mark.parametrize("strategy", RECURSIVE)
def test_an_acyclic_graph_deeper_than_the_documented_maximum_is_refused(
    strategy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above MAX_RECURSION_DEPTH (10^6, lowered here to keep the test fast): GraphTooDeepError,
    with the depth in the message, nothing committed, and the limit restored."""
    monkeypatch.setattr(recursion, "MAX_RECURSION_DEPTH", 3_000)
    limit = sys.getrecursionlimit()
    x, y = chain(5_000, 1.0, 1.00001)
    with pytest.raises(mg.GraphTooDeepError) as caught:
        y.backward(strategy=strategy)
    assert isinstance(caught.value, RecursionError)
    message = str(caught.value)
    assert "3000 frames" in message and "topological" in message and "has a cycle" not in message
    assert not x.has_grad and sys.getrecursionlimit() == limit
    assert y.backward(strategy="topological").vjp_calls == 5_000  # the iterative walk copes


@pytest.mark.parametrize("strategy", RECURSIVE)
def test_a_caller_deep_in_its_own_recursion_is_not_told_of_a_cycle(strategy: str) -> None:
    _, y = chain(150, 1.0, 1.00001)  # small: walked directly, in the caller's thread
    limit = sys.getrecursionlimit()

    def recurse(levels: int) -> Any:
        if levels == 0:
            return y.backward(strategy=strategy)
        return recurse(levels - 1)

    with pytest.raises(mg.GraphTooDeepError) as caught:
        recurse(limit - 100)  # leaves the walk far fewer frames than the chain needs
    assert "has a cycle" not in str(caught.value)
    assert caught.value.depth < 150
    assert y.backward(strategy=strategy).vjp_calls == 150  # from a shallow stack it works


@pytest.mark.parametrize("n", [1, 2, 7, 50, 1_500])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_max_depth_on_a_chain_of_n_ops(strategy: str, n: int) -> None:
    x = mg.Value(np.array([0.3, 0.1]))
    y = x
    for i in range(n - 1):
        y = y.tanh() if i % 2 else y * 1.01
    out = y.sum()  # n ops in all
    stats = out.backward(strategy=strategy)
    assert stats.vjp_calls == n
    assert stats.max_depth == (1 if strategy in ("topological", "tape") else n + 1)


# -- a failed backward writes nothing -----------------------------------------------------------


def grads_of(nodes: list[mg.Value]) -> list[Any]:
    return [node.grad.copy() if isinstance(node.grad, np.ndarray) else node.grad for node in nodes]


def assert_grads_unchanged(nodes: list[mg.Value], before: list[Any]) -> None:
    for node, old in zip(nodes, before, strict=True):
        assert np.array_equal(node.grad, old), node


def graph_with_grads() -> tuple[mg.Value, list[mg.Value], list[mg.Value]]:
    """A small graph after one successful backward: every node has a nonzero gradient.

    Returns (output, every node, the two tanh nodes).
    """
    x = mg.Value(np.array([0.3, -0.5]), label="x")
    w = mg.Value(np.array([[1.2, -0.4], [0.7, 0.9]]), label="w")
    h1 = (w @ x).tanh()
    h2 = (w @ h1 + x).tanh()
    out = (h2 * h1).sum()
    nodes = [x, w, h1, h2, out]
    out.backward()
    assert all(np.all(node.grad != 0) for node in nodes)
    return out, nodes, [h1, h2]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_rule_failing_midway_changes_no_grad(strategy: str) -> None:
    out, nodes, tanhs = graph_with_grads()
    before = grads_of(nodes)
    calls: list[int] = []

    def fails_on_second_call(g: Any, node: Any) -> tuple[Any, ...]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("rule failed midway")
        return (g * (1.0 - node.data * node.data),)

    for t in tanhs:
        t.op = Op("tanh", np.tanh, fails_on_second_call)
    with pytest.raises(RuntimeError, match="midway"):
        out.backward(strategy=strategy)
    assert len(calls) == 2  # one tanh rule (and the rules above it) had already run
    assert_grads_unchanged(nodes, before)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_cycle_changes_no_grad(strategy: str) -> None:
    out, x, cycle, nodes = cyclic_graph(np.array([0.2, 0.6]))
    y = cycle[0]
    rewired = y.parents
    y.parents = (x, rewired[1])  # undo the cycle, compute gradients once
    out.backward(strategy=strategy)
    before = grads_of(nodes)
    y.parents = rewired
    error = run_within(30, lambda: out.backward(strategy=strategy))
    assert isinstance(error, mg.CycleError | mg.GraphTooDeepError)
    assert_grads_unchanged(nodes, before)


def test_a_strategy_failing_after_its_walk_changes_no_grad() -> None:
    out, nodes, _ = graph_with_grads()
    before = grads_of(nodes)
    walked: list[WalkResult] = []

    def walks_then_fails(root: Any, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
        walked.append(topological(root, seed, trace=trace))
        raise RuntimeError("failed after the walk")

    mg.register_strategy("test-walks-then-fails", walks_then_fails)
    try:
        with pytest.raises(RuntimeError, match="after the walk"):
            out.backward(strategy="test-walks-then-fails")
    finally:
        mg.unregister_strategy("test-walks-then-fails")
    assert all(node in walked[0].grads for node in nodes)  # the walk had every gradient ready
    assert_grads_unchanged(nodes, before)


def test_bad_seed_and_unknown_strategy_change_no_grad() -> None:
    out, nodes, _ = graph_with_grads()
    before = grads_of(nodes)
    with pytest.raises(mg.ShapeError):
        out.backward(np.ones(3))
    with pytest.raises(mg.UnknownStrategyError):
        out.backward(strategy="no-such-strategy")
    assert_grads_unchanged(nodes, before)


# -- naive's cap on path explosion ---------------------------------------------------------------


@pytest.fixture
def restore_cap() -> Iterator[None]:
    cap = naive_module.get_max_calls()
    try:
        yield
    finally:
        naive_module.set_max_calls(cap)


def doubling(k: int) -> tuple[mg.Value, mg.Value]:
    """x -> x + x -> ... k times: 2^i paths to the i-th node from the top."""
    x = mg.Value(0.5)
    y = x
    for _ in range(k):
        y = y + y
    return x, y


@pytest.mark.usefixtures("restore_cap")
def test_naive_refuses_above_its_cap_and_works_after_lifting_it() -> None:
    x, y = doubling(12)
    predicted = naive_module.predict_calls(y)
    assert predicted == 2**12 - 1  # 1 + 2 + ... + 2^11 paths to the 12 op nodes
    naive_module.set_max_calls(predicted - 1)
    with pytest.raises(mg.PathExplosionError) as caught:
        y.backward(strategy="naive")
    assert caught.value.predicted_calls == predicted
    message = str(caught.value)
    assert f"{predicted:,}" in message
    assert "minigrad.backward.naive.set_max_calls" in message
    assert mg.backward.naive.set_max_calls is naive_module.set_max_calls  # the path it names
    assert x.grad == 0.0  # refused before any gradient was written
    naive_module.set_max_calls(predicted)
    stats = y.backward(strategy="naive")
    assert stats.vjp_calls == predicted
    assert x.grad == 2.0**12


@pytest.mark.usefixtures("restore_cap")
def test_naive_refuses_an_exponential_graph_quickly() -> None:
    naive_module.set_max_calls(10_000_000)
    x, y = doubling(80)  # 2^80 - 1 calls: would never finish
    started = time.perf_counter()
    with pytest.raises(mg.PathExplosionError) as caught:
        y.backward(strategy="naive")
    assert time.perf_counter() - started < 5.0  # 2^80 rule calls would take forever
    assert caught.value.predicted_calls == naive_module.predict_calls(y) == 2**80 - 1
    y.backward(strategy="memoized")  # the linear strategies do it at once
    assert x.grad == 2.0**80


@pytest.mark.usefixtures("restore_cap")
def test_set_max_calls_rejects_a_negative_cap() -> None:
    with pytest.raises(ValueError):
        naive_module.set_max_calls(-1)


@pytest.mark.usefixtures("restore_cap")
@pytest.mark.parametrize(
    ("cap", "expected"),
    [(0, 0), (5, 5), (1e8, 100_000_000), (np.int64(7), 7), (np.float64(3.0), 3), (10**20, 10**20)],
    ids=repr,
)
def test_set_max_calls_takes_whole_numbers(cap: Any, expected: int) -> None:
    naive_module.set_max_calls(cap)
    assert naive_module.get_max_calls() == expected
    assert type(naive_module.get_max_calls()) is int


@pytest.mark.usefixtures("restore_cap")
@pytest.mark.parametrize(
    ("cap", "kind"),
    [
        (float("nan"), ValueError),  # would turn the cap off: every comparison with NaN is False
        (np.float64("nan"), ValueError),
        (float("inf"), ValueError),
        (float("-inf"), ValueError),
        (-1, ValueError),
        (2.5, ValueError),
        (-0.5, ValueError),
        ("10", TypeError),
        (None, TypeError),
        (True, TypeError),
        (1j, TypeError),
        ([10], TypeError),
    ],
    ids=repr,
)
def test_set_max_calls_refuses_anything_but_a_whole_number(cap: Any, kind: type) -> None:
    naive_module.set_max_calls(123)
    with pytest.raises(kind) as caught:
        naive_module.set_max_calls(cap)
    assert caught.type is kind
    message = str(caught.value)
    assert message.startswith("set_max_calls(n) needs n to be a whole number >= 0"), message
    assert message.endswith(repr(cap)), message
    assert naive_module.get_max_calls() == 123  # unchanged
    _, y = doubling(8)  # 255 paths: refused under a cap of 123, as before
    with pytest.raises(mg.PathExplosionError):
        y.backward(strategy="naive")


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [((2, 3), (4,)), ((3,), (2, 4)), ((2, 1, 3), (5, 4))],
)
@pytest.mark.parametrize("side", ["values", "array-right", "array-left"])
def test_shape_mismatch_names_both_shapes(
    left: tuple[int, ...], right: tuple[int, ...], side: str
) -> None:
    a, b = np.ones(left), np.ones(right)
    binary_ops: list[Callable[[Any, Any], Any]] = [
        lambda p, q: p + q,
        lambda p, q: p - q,
        lambda p, q: p * q,
        lambda p, q: p / q,
        lambda p, q: p**q,
    ]
    for op in binary_ops:
        with pytest.raises(mg.ShapeError) as caught:
            if side == "values":
                op(mg.Value(a), mg.Value(b))
            elif side == "array-right":
                op(mg.Value(a), b)
            else:
                op(a, mg.Value(b))
        assert isinstance(caught.value, ValueError)
        assert str(left) in str(caught.value) and str(right) in str(caught.value)


@pytest.mark.parametrize(
    ("left", "right"), [((2, 3), (4, 5)), ((3,), (4,)), ((5, 2, 3), (4, 3, 2)), ((2, 3), (2,))]
)
def test_matmul_mismatch_names_both_shapes(left: tuple[int, ...], right: tuple[int, ...]) -> None:
    for a, b in (
        (mg.Value(np.ones(left)), mg.Value(np.ones(right))),
        (mg.Value(np.ones(left)), np.ones(right)),
        (np.ones(left), mg.Value(np.ones(right))),
    ):
        with pytest.raises(mg.ShapeError) as caught:
            a @ b
        assert str(left) in str(caught.value) and str(right) in str(caught.value)


def test_scalar_mode_matmul_is_a_shape_error() -> None:
    with pytest.raises(mg.ShapeError, match="matmul"):
        mg.Value(2.0) @ mg.Value(3.0)


def test_reshape_mismatch_names_the_shape() -> None:
    with pytest.raises(mg.ShapeError) as caught:
        mg.Value(np.ones((2, 3))).reshape(4, 2)
    assert "(2, 3)" in str(caught.value) and "(4, 2)" in str(caught.value)


@pytest.mark.parametrize(
    ("shape", "index", "message"),
    [
        ((3,), 5, "index 5 is out of bounds for axis 0 with size 3 (Value of shape (3,))"),
        ((3,), -4, "index -4 is out of bounds for axis 0 with size 3 (Value of shape (3,))"),
        ((2, 3), (0, 7), "index 7 is out of bounds for axis 1 with size 3 (Value of shape (2, 3))"),
        (
            (2, 3),
            (0, 0, 0),
            "too many indices for array: array is 2-dimensional, but 3 were indexed "
            "(Value of shape (2, 3))",
        ),
    ],
)
def test_a_bad_index_is_named_with_the_shape(
    shape: tuple[int, ...], index: Any, message: str
) -> None:
    with pytest.raises(mg.ShapeError) as caught:
        mg.Value(np.ones(shape))[index]
    assert str(caught.value) == message


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_non_scalar_backward_needs_a_seed(strategy: str) -> None:
    x = mg.Value(np.array([1.0, 2.0, 3.0]))
    y = x * 2.0
    with pytest.raises(ValueError, match="seed") as caught:
        y.backward(strategy=strategy)
    assert "(3,)" in str(caught.value)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_backward_with_a_seed(strategy: str) -> None:
    x = mg.Value(np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]]))
    seed = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 3.0]])
    x.tanh().backward(seed, strategy=strategy)
    # The seed acts as the weights of a weighted sum.
    reference = mg.Value(np.array(x.data))
    (reference.tanh() * seed).sum().backward(strategy=strategy)
    np.testing.assert_allclose(x.grad, reference.grad, rtol=1e-15)
    # A seed may also be a Value, or a nested list.
    z = mg.Value(np.array(x.data))
    z.tanh().backward(mg.Value(seed), strategy=strategy)
    np.testing.assert_allclose(z.grad, reference.grad, rtol=1e-15)
    s = mg.Value(0.4)
    (s * 3.0).backward(2.0, strategy=strategy)
    assert s.grad == 6.0


@pytest.mark.parametrize(("shape", "seed_shape"), [((2, 3), (3, 2)), ((3,), (1, 3)), ((), (2,))])
def test_wrong_shape_seed_names_both_shapes(
    shape: tuple[int, ...], seed_shape: tuple[int, ...]
) -> None:
    y = mg.Value(np.ones(shape)) * 2.0
    with pytest.raises(mg.ShapeError) as caught:
        y.backward(np.ones(seed_shape))
    assert str(shape) in str(caught.value) and str(seed_shape) in str(caught.value)


# -- the strategy registry ----------------------------------------------------------------------


def test_unknown_strategy_lists_the_known_ones() -> None:
    x = mg.Value(1.0)
    attempts: list[Callable[[], object]] = [
        lambda: (x * 2).backward(strategy="recursive"),
        lambda: mg.use_strategy("recursive").__enter__(),
        lambda: mg.set_default_strategy("recursive"),
    ]

    def body() -> None:
        default = mg.get_default_strategy()
        for attempt in attempts:
            with pytest.raises(mg.UnknownStrategyError) as caught:
                attempt()
            assert isinstance(caught.value, ValueError)
            message = str(caught.value)
            assert "recursive" in message
            for name in mg.available_strategies():
                assert name in message
            assert tuple(caught.value.known) == mg.available_strategies()
            assert mg.get_default_strategy() == default  # nothing changed

    in_fresh_context(body)


def test_builtin_strategies_are_registered() -> None:
    assert mg.available_strategies()[:5] == STRATEGIES
    for name in STRATEGIES:
        assert callable(get_strategy(name))


def test_register_and_unregister_a_custom_strategy() -> None:
    seen: list[Any] = []

    def logging_walk(root: Any, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
        seen.append(root)
        return topological(root, seed, trace=trace)

    x = mg.Value(np.array([0.5, 1.5]))
    mg.register_strategy("test-logging", logging_walk)
    try:
        assert "test-logging" in mg.available_strategies()
        with pytest.raises(ValueError, match="already registered"):
            mg.register_strategy("test-logging", logging_walk)
        out = (x * x).sum()
        stats = out.backward(strategy="test-logging")
        assert stats.strategy == "test-logging"
        assert seen == [out]
        np.testing.assert_allclose(x.grad, 2 * x.data)

        def body() -> None:
            with mg.use_strategy("test-logging"):
                assert (x * 3.0).sum().backward().strategy == "test-logging"

        in_fresh_context(body)
        assert len(seen) == 2
    finally:
        mg.unregister_strategy("test-logging")
    assert "test-logging" not in mg.available_strategies()
    with pytest.raises(mg.UnknownStrategyError):
        (x * x).sum().backward(strategy="test-logging")
    with pytest.raises(mg.UnknownStrategyError):
        mg.unregister_strategy("test-logging")
    with pytest.raises(ValueError):
        mg.unregister_strategy("topological")


def test_a_strategy_may_return_a_bare_gradient_map() -> None:
    """DESIGN: a strategy is a walk that returns a gradient map; a WalkResult adds the counters."""

    def plain_map(root: Any, seed: Any, *, trace: Any = None) -> Any:
        result = get_strategy("memoized")(root, seed)
        return dict(result.grads)

    mg.register_strategy("test-plain-map", plain_map)
    try:
        x = mg.Value(1.5)
        y = (x * x).tanh()
        stats = y.backward(strategy="test-plain-map")
        assert x.grad == pytest.approx(2 * 1.5 * (1 - np.tanh(2.25) ** 2))
        assert (stats.vjp_calls, stats.nodes, stats.max_depth) == (2, 3, 0)
    finally:
        mg.unregister_strategy("test-plain-map")


@pytest.mark.parametrize("returned", [None, [1.0], 3.0, "grads"], ids=repr)
def test_a_strategy_must_return_a_walk_result_or_a_map(returned: Any) -> None:
    def returns_junk(root: Any, seed: Any, *, trace: Any = None) -> Any:
        return returned

    mg.register_strategy("test-bad-return", returns_junk)
    try:
        x = mg.Value(1.0)
        with pytest.raises(TypeError, match="must return a WalkResult or a gradient map"):
            (x * 2).backward(strategy="test-bad-return")
        assert not x.has_grad
    finally:
        mg.unregister_strategy("test-bad-return")


def test_stats_show_and_compare_the_five_counters_only() -> None:
    x = mg.Value(0.5)
    traced = (x * 2).backward(trace=True)
    plain = (x * 2).backward()
    assert len(traced.visits) == 2 and plain.visits == ()
    assert "visits" not in repr(traced) and repr(traced).startswith("BackwardStats(strategy=")
    same_counts = dataclasses.replace(traced, seconds=plain.seconds)
    assert same_counts == plain  # visits are not compared


def test_use_strategy_restores_the_previous_default() -> None:
    def body() -> None:
        mg.set_default_strategy("memoized")
        assert mg.get_default_strategy() == "memoized"
        x = mg.Value(0.5)
        with mg.use_strategy("naive") as name:
            assert name == "naive"
            assert mg.get_default_strategy() == "naive"
            assert (x * 2).backward().strategy == "naive"
            with mg.use_strategy("cycle_checked"):
                assert (x * 2).backward().strategy == "cycle_checked"
            assert mg.get_default_strategy() == "naive"
        assert mg.get_default_strategy() == "memoized"
        with pytest.raises(KeyError), mg.use_strategy("topological"):
            raise KeyError("leaves the block")
        assert mg.get_default_strategy() == "memoized"
        assert (x * 2).backward().strategy == "memoized"
        mg.set_default_strategy("topological")
        assert (x * 2).backward().strategy == "topological"

    in_fresh_context(body)


def run_program(program: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `python -c program` from the repository root with exactly `environ`; it must exit 0."""
    result = subprocess.run(
        [sys.executable, "-c", program],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    return result


def environment_default() -> str:
    return os.environ.get("MINIGRAD_STRATEGY", "").strip() or "topological"


@pytest.mark.parametrize(("env", "expected"), [("memoized", "memoized"), (None, "topological")])
def test_environment_variable_sets_the_default_at_import(env: str | None, expected: str) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "MINIGRAD_STRATEGY"}
    if env is not None:
        environ["MINIGRAD_STRATEGY"] = env
    program = (
        "import minigrad as mg\n"
        "print(mg.get_default_strategy())\n"
        "print((mg.Value(2.0) * 3.0).backward().strategy)\n"
    )
    result = run_program(program, environ)
    assert result.stdout.split() == [expected, expected]


MISSPELT_PROGRAM = """
import minigrad as mg
from minigrad.backward import get_strategy
print("imported")
x = mg.Value(2.0)
print((x * 3.0).backward(strategy="memoized").strategy)  # a named strategy needs no default
with mg.use_strategy("naive"):
    print(mg.get_default_strategy(), (x * 3.0).backward().strategy)
for first_use in (lambda: (x * 3.0).backward(), mg.get_default_strategy):
    try:
        first_use()
    except mg.UnknownStrategyError as error:
        assert isinstance(error, ValueError) and error.name == "topo", error
        assert error.variable == "MINIGRAD_STRATEGY", error
        print(error)
    else:
        print("no error")
mg.register_strategy("topo", get_strategy("topological"))  # registered later: now it is known
print(mg.get_default_strategy(), (x * 3.0).backward().strategy)
"""


def test_a_misspelt_environment_variable_is_named_at_first_use_not_at_import() -> None:
    result = run_program(MISSPELT_PROGRAM, {**os.environ, "MINIGRAD_STRATEGY": "topo"})
    known = "naive, memoized, cycle_checked, topological, tape"
    message = (
        f"MINIGRAD_STRATEGY='topo' is not a known strategy; known: {known}. "
        "Set MINIGRAD_STRATEGY to one of them, or unset it for the built-in default."
    )
    assert result.stdout.splitlines() == [
        "imported",
        "memoized",
        "naive naive",
        message,
        message,
        "topo topo",
    ]


def test_defaults_are_per_thread() -> None:
    inside = threading.Barrier(2, timeout=10)
    done = threading.Barrier(2, timeout=10)
    seen: dict[str, list[str]] = {}

    def other_thread() -> None:
        x = mg.Value(1.0)
        seen["fresh"] = [mg.get_default_strategy(), (x * 2).backward().strategy]
        with mg.use_strategy("memoized"):
            inside.wait()  # the main thread now holds "naive"
            seen["inside"] = [mg.get_default_strategy(), (x * 2).backward().strategy]
            done.wait()
        mg.set_default_strategy("cycle_checked")
        seen["set"] = [mg.get_default_strategy()]

    def body() -> None:
        x = mg.Value(1.0)
        with mg.use_strategy("naive"):
            worker = threading.Thread(target=other_thread)
            worker.start()
            inside.wait()
            assert mg.get_default_strategy() == "naive"
            assert (x * 2).backward().strategy == "naive"
            done.wait()
            worker.join(10)
            assert not worker.is_alive()
            assert mg.get_default_strategy() == "naive"
        assert mg.get_default_strategy() == environment_default()
        assert (x * 2).backward().strategy == environment_default()

    in_fresh_context(body)
    assert seen["fresh"] == [environment_default()] * 2  # not the main thread's "naive"
    assert seen["inside"] == ["memoized", "memoized"]
    assert seen["set"] == ["cycle_checked"]


CAP_PROGRAM = """
import minigrad as mg
from minigrad.backward import naive
print("imported")
try:
    print(naive.get_max_calls())
except ValueError as error:
    print(error)
y = mg.Value(2.0) * 3.0
try:
    y.backward(strategy="naive")
    print("ran")
except ValueError as error:
    print(type(error).__name__)
naive.set_max_calls(5)
print(naive.get_max_calls())
"""


@pytest.mark.parametrize(
    ("setting", "first_use"),
    [
        ("1e8", "100000000"),
        ("10_000", "10000"),
        ("", "10000000"),
        ("lots", "MINIGRAD_NAIVE_MAX_CALLS='lots' is not a call cap"),
        ("-5", "MINIGRAD_NAIVE_MAX_CALLS='-5' is not a call cap"),
        ("2.5", "MINIGRAD_NAIVE_MAX_CALLS='2.5' is not a call cap"),
        ("nan", "MINIGRAD_NAIVE_MAX_CALLS='nan' is not a call cap"),
        ("inf", "MINIGRAD_NAIVE_MAX_CALLS='inf' is not a call cap"),
        ("-inf", "MINIGRAD_NAIVE_MAX_CALLS='-inf' is not a call cap"),
        ("1e400", "MINIGRAD_NAIVE_MAX_CALLS='1e400' is not a call cap"),
        ("123456789012345678901", "123456789012345678901"),  # exact, not rounded by a float
    ],
)
def test_the_naive_cap_variable_is_checked_at_first_use(setting: str, first_use: str) -> None:
    result = run_program(CAP_PROGRAM, {**os.environ, "MINIGRAD_NAIVE_MAX_CALLS": setting})
    lines = result.stdout.splitlines()
    assert lines[0] == "imported"
    assert lines[1].startswith(first_use)
    valid = first_use.isdigit()
    assert lines[2] == ("ran" if valid else "SettingError")
    assert lines[3] == "5"  # set_max_calls overrides the variable either way


# -- the errors of the second hardening wave are on the errors page, as they read ------------


def _new_errors() -> Iterator[BaseException]:
    import minigrad.backward as backward_api
    from minigrad.optim import SGD
    from minigrad.testing import gradcheck

    w = mg.Value(np.ones(3), label="w")
    stale = (w * 2.0).sum()
    w.grad = np.ones(3)
    SGD([w], lr=0.1).step()
    h = w * 2.0
    h.label = "h"
    cut = (h * h).sum()
    h.requires_grad = False
    backward_api.register_strategy("mine", lambda root, seed, trace=None: {w: np.ones(2)})
    try:
        attempts: list[Callable[[], object]] = [
            stale.backward,
            cut.backward,
            lambda: (w * 3.0).sum().backward(strategy="mine"),
            lambda: gradcheck(lambda v: v.sum(), w, eps=0.0),
            lambda: gradcheck(lambda v: v.sum(), w, eps="x"),  # type: ignore[arg-type]
            lambda: len(mg.Value(1.0)),
            lambda: len(mg.Value(np.array(1.0))),
            lambda: bool(mg.Value(np.ones(2))),
        ]
        for attempt in attempts:
            with pytest.raises(Exception) as caught:
                attempt()
            yield caught.value
    finally:
        backward_api.unregister_strategy("mine")


def test_the_new_errors_are_on_the_errors_page_next_to_their_type() -> None:
    from test_errors_page import PAGE, undocumented

    kinds = set()
    for error in _new_errors():
        kinds.add(type(error).__name__)
        assert undocumented(error, PAGE) is None, (error, undocumented(error, PAGE))
    assert {"InplaceModificationError", "RequiresGradError", "GradientMapError"} <= kinds
