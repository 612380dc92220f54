"""All four backward strategies compute the same gradients, and count their work as defined.

Every check here builds a graph afresh (or zeroes it), runs one strategy, snapshots the gradient of
every node the output reaches, and compares strategies node by node to 1e-10 relative (relative to
the node's own gradient or, for sums that cancel to almost nothing, to the largest gradient in the
graph). Counts are checked against a path count computed independently in tests/strategies.py.
The checks are shown to fail: deliberately wrong strategies are registered and caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from strategies import (
    BINARY_OPS,
    BUILTIN_STRATEGIES,
    UNARY_OPS,
    Built,
    DagSpec,
    MLPSpec,
    apply_binary,
    apply_unary,
    arrays_of,
    broadcastable_shape_pairs,
    broadcastable_to,
    build_dag,
    build_mlp,
    close,
    count_paths,
    dags,
    enumerate_paths,
    expected_vjp_calls,
    mlp_specs,
    reachable_nodes,
    small_floats,
    tame,
)

import minigrad as mg
from minigrad.backward import WalkResult, topological_order, unregister_strategy

RTOL = 1e-10
STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)


# -- the agreement check ---------------------------------------------------------------------------


@dataclass
class Run:
    """One strategy's backward pass over a graph, and what the graph says it should have cost."""

    strategy: str
    stats: mg.BackwardStats
    grads: list[Any]  # snapshot of .grad for every reached node, in reachable_nodes order
    shapes: list[tuple[int, ...]]
    labels: list[str]
    paths_over_ops: int  # independent count: what naive's vjp_calls must be
    op_nodes: int  # independent count: what the others' vjp_calls must be


def _snapshot(grad: Any) -> Any:
    return grad if isinstance(grad, float) else np.array(grad, copy=True)


def run_strategy(build: Callable[[], Built], strategy: str) -> Run:
    """Build the graph, zero every reached node, run `strategy`, and snapshot the gradients."""
    output = build().output
    nodes = reachable_nodes(output)
    for node in nodes:  # the graph may be shared between runs: start each one from zero
        node.grad = None
    paths_over_ops, op_nodes = expected_vjp_calls(output)
    stats = output.backward(strategy=strategy)
    return Run(
        strategy,
        stats,
        [_snapshot(n.grad) for n in nodes],
        [n.shape for n in nodes],
        [n.label or (n.op.name if n.op is not None else "leaf") for n in nodes],
        paths_over_ops,
        op_nodes,
    )


def disagreements(runs: list[Run]) -> list[str]:
    """Every node whose gradient differs (type, shape or value) from the first run's."""
    reference = runs[0]
    scale = max((float(np.max(np.abs(g), initial=0.0)) for g in reference.grads), default=0.0)
    problems = []
    for run in runs[1:]:
        if len(run.grads) != len(reference.grads):
            problems.append(f"{run.strategy}: {len(run.grads)} nodes, {len(reference.grads)}")
            continue
        for i, (mine, theirs) in enumerate(zip(run.grads, reference.grads, strict=True)):
            same_type = isinstance(mine, float) == isinstance(theirs, float)
            if not (same_type and close(mine, theirs, RTOL, scale)):
                problems.append(
                    f"{run.strategy} vs {reference.strategy}: node {i} ({run.labels[i]}) "
                    f"gets {mine!r}, not {theirs!r}"
                )
    return problems


def count_problems(runs: list[Run]) -> list[str]:
    """vjp_calls, nodes and gradient shapes against the independent bookkeeping."""
    problems = []
    for run in runs:
        expected = run.paths_over_ops if run.strategy == "naive" else run.op_nodes
        if run.stats.vjp_calls != expected:
            problems.append(f"{run.strategy}: vjp_calls {run.stats.vjp_calls}, want {expected}")
        if run.stats.nodes != len(run.grads):
            problems.append(f"{run.strategy}: nodes {run.stats.nodes}, want {len(run.grads)}")
        if run.stats.strategy != run.strategy:
            problems.append(f"{run.strategy}: stats name {run.stats.strategy!r}")
        for grad, shape, label in zip(run.grads, run.shapes, run.labels, strict=True):
            if np.shape(grad) != shape:
                problems.append(f"{run.strategy}: grad of {label} has shape {np.shape(grad)}")
    return problems


def assert_strategies_agree(build: Callable[[], Built]) -> list[Run]:
    """All built-in strategies agree on every gradient and count their calls as defined."""
    runs = [run_strategy(build, name) for name in STRATEGIES]
    problems = disagreements(runs) + count_problems(runs)
    assert not problems, "\n".join(problems[:10])
    return runs


def test_the_four_builtins_are_available() -> None:
    assert STRATEGIES == BUILTIN_STRATEGIES


# -- random graphs -------------------------------------------------------------------------------


@given(mlp_specs(mode="scalar"))
def test_scalar_mlps_agree(spec: MLPSpec) -> None:
    runs = assert_strategies_agree(lambda: build_mlp(spec))
    naive = runs[0]
    # An activation feeding a layer of width > 1 is shared: naive then runs some rules twice.
    if any(width > 1 for width in spec.sizes[2:-1]):
        assert naive.stats.vjp_calls > naive.op_nodes


@given(mlp_specs(mode="tensor"))
def test_tensor_mlps_agree(spec: MLPSpec) -> None:
    assert_strategies_agree(lambda: build_mlp(spec))


@given(dags(mode="scalar"))
def test_scalar_dags_agree(spec: DagSpec) -> None:
    assert_strategies_agree(lambda: build_dag(spec))


@given(dags(mode="tensor"))
def test_tensor_dags_agree(spec: DagSpec) -> None:
    assert_strategies_agree(lambda: build_dag(spec))


@st.composite
def broadcast_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape_a, shape_b = draw(broadcastable_shape_pairs)
    return draw(arrays_of(shape_a)), draw(arrays_of(shape_b))


def broadcast_graph(a: np.ndarray, b: np.ndarray) -> Built:
    """A graph where a and b broadcast against each other in every binary op; s is reused."""
    va, vb = mg.Value(a, label="a"), mg.Value(b, label="b")
    s = va * vb
    out = ((s + va / (1.5 + vb.tanh())) - vb).tanh() * s + (va - s).sigmoid()
    return Built(out.sum(), [va, vb])


@given(broadcast_pairs())
def test_broadcast_pairs_agree(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    for run in assert_strategies_agree(lambda: broadcast_graph(a, b)):
        leaf_shapes = {label: shape for label, shape in zip(run.labels, run.shapes, strict=True)}
        assert leaf_shapes["a"] == a.shape and leaf_shapes["b"] == b.shape


# -- the independent path count checks itself ------------------------------------------------------


@given(dags(max_steps=6))
def test_path_count_matches_brute_force_enumeration(spec: DagSpec) -> None:
    output = build_dag(spec).output
    assert count_paths(output) == enumerate_paths(output)


def test_path_count_counts_edges_with_multiplicity_and_skips_constants() -> None:
    x = mg.Value(3.0)
    c = mg.Value(2.0, requires_grad=False)
    y = x * x  # two edges to x
    z = y * c + y  # two paths to y; none into the constant
    paths = count_paths(z)
    assert paths[id(y)] == 2 and paths[id(x)] == 4
    assert id(c) not in paths
    assert expected_vjp_calls(z) == (1 + 1 + 2, 3)  # z, y*c, y (twice): add, mul, mul


# -- a graph grown step by step (MyGrad's GraphCompare) --------------------------------------------

NAIVE_BUDGET = 2_000  # keep naive's path count per node small while the graph grows


class GraphCompare(RuleBasedStateMachine):
    """Grows one graph by leaves, unary and binary ops and reuse; after every step all
    strategies must agree on the gradient of the sum of the nodes nothing uses yet."""

    nodes = Bundle("nodes")

    def __init__(self) -> None:
        super().__init__()
        self.shape: tuple[int, ...] = ()
        self.created: list[mg.Value] = []
        self.used: set[int] = set()

    def _keep(self, v: mg.Value, *operands: mg.Value) -> mg.Value:
        v = tame(v)
        assume(expected_vjp_calls(v)[0] <= NAIVE_BUDGET)
        self.used.update(id(o) for o in operands)
        self.created.append(v)
        return v

    def _leaf(self, data: st.DataObject, requires_grad: bool) -> mg.Value:
        if self.shape:
            value: Any = data.draw(arrays_of(data.draw(broadcastable_to(self.shape))))
        else:
            value = data.draw(small_floats)
        leaf = mg.Value(value, label=f"leaf{len(self.created)}", requires_grad=requires_grad)
        self.created.append(leaf)
        return leaf

    @initialize(target=nodes, shape=st.sampled_from([(), (3,), (2, 3)]), data=st.data())
    def first_leaf(self, shape: tuple[int, ...], data: st.DataObject) -> mg.Value:
        self.shape = shape
        return self._leaf(data, requires_grad=True)

    @rule(target=nodes, data=st.data(), requires_grad=st.booleans())
    def new_leaf(self, data: st.DataObject, requires_grad: bool) -> mg.Value:
        return self._leaf(data, requires_grad)

    @rule(target=nodes, op=st.sampled_from(BINARY_OPS), a=nodes, b=nodes)
    def binary(self, op: str, a: mg.Value, b: mg.Value) -> mg.Value:
        return self._keep(apply_binary(op, a, b), a, b)

    @rule(target=nodes, op=st.sampled_from(UNARY_OPS), a=nodes)
    def unary(self, op: str, a: mg.Value) -> mg.Value:
        return self._keep(apply_unary(op, a), a)

    @rule(target=nodes, op=st.sampled_from(UNARY_OPS), a=nodes)
    def residual(self, op: str, a: mg.Value) -> mg.Value:
        return self._keep(a + apply_unary(op, a), a)

    @rule(target=nodes, a=nodes)
    def reuse(self, a: mg.Value) -> mg.Value:
        return self._keep(a * a.tanh() - a, a)

    def output(self) -> Built:
        sinks = [v for v in self.created if id(v) not in self.used and v.requires_grad]
        out = sinks[0]
        for s in sinks[1:]:
            out = out + s
        return Built(out.sum() if self.shape else out * 1.0, [])

    @invariant()
    def all_strategies_agree(self) -> None:
        if any(v.requires_grad for v in self.created):
            assert_strategies_agree(self.output)


TestGraphCompare = GraphCompare.TestCase
TestGraphCompare.settings = settings(  # max_examples and the rest come from the loaded profile
    stateful_step_count=15,
    suppress_health_check=[*settings().suppress_health_check, HealthCheck.filter_too_much],
)


# -- the checks can fail: deliberately wrong strategies ------------------------------------------


def dropping_walk(root: Any, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """WRONG: a topological sweep that keeps only the first gradient a node receives."""
    grads: dict[Any, Any] = {root: seed}
    calls = 0
    for node in reversed(topological_order(root)):
        if node.op is None:
            continue
        calls += 1
        for parent, grad in zip(node.parents, node.op.vjp(grads[node], node), strict=True):
            if parent.requires_grad and parent not in grads:  # every later path is dropped
                grads[parent] = grad
    return WalkResult(grads, calls, 1)


def resending_walk(root: Any, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """WRONG: micrograd-closure-style recursion that sends a node's ACCUMULATED gradient down
    once per path to it, so a reused node's contributions are counted again and again."""
    grads: dict[Any, Any] = {root: seed}
    calls = 0

    def visit(node: Any) -> None:
        nonlocal calls
        if node.op is None:
            return
        calls += 1
        for parent, grad in zip(node.parents, node.op.vjp(grads[node], node), strict=True):
            if parent.requires_grad:
                grads[parent] = grads[parent] + grad if parent in grads else grad
        for parent in node.parents:
            if parent.requires_grad:
                visit(parent)

    visit(root)
    return WalkResult(grads, calls, 1)


WRONG = {"drops_a_path": dropping_walk, "double_counts": resending_walk}


@contextmanager
def registered(name: str) -> Iterator[str]:
    mg.register_strategy(name, WRONG[name])
    try:
        yield name
    finally:
        unregister_strategy(name)
    assert name not in mg.available_strategies()


def doubling() -> Built:
    """micrograd issue 21 / PR 64: a = 1; b = a + a; c = b + b."""
    a = mg.Value(1.0, label="a")
    b = a + a
    return Built(b + b, [a])


def tree() -> Built:
    """No node is used twice: every node has exactly one path to the output."""
    x, y, z = mg.Value(0.3, label="x"), mg.Value(-1.2, label="y"), mg.Value(0.7, label="z")
    return Built((x * y).tanh() + z.sigmoid() * 2.0, [x, y, z])


def test_the_count_check_catches_a_wrong_count() -> None:
    """Swap naive's stats with memoized's on a reused node: both counts are then wrong."""
    naive, memoized, *rest = [run_strategy(doubling, name) for name in STRATEGIES]
    assert count_problems([naive, memoized, *rest]) == []
    swapped = [replace(naive, stats=memoized.stats), replace(memoized, stats=naive.stats)]
    problems = count_problems(swapped)
    assert any(p.startswith("naive: vjp_calls 2, want 3") for p in problems)
    assert any(p.startswith("memoized: vjp_calls 3, want 2") for p in problems)


@pytest.mark.parametrize("wrong", sorted(WRONG))
def test_a_wrong_strategy_is_caught_on_a_reused_node(wrong: str) -> None:
    with registered(wrong):
        runs = [run_strategy(doubling, name) for name in (*STRATEGIES, wrong)]
        problems = disagreements(runs)
    assert problems and all(p.startswith(f"{wrong} vs naive") for p in problems)
    assert not disagreements(runs[:-1])


@pytest.mark.parametrize("wrong", sorted(WRONG))
def test_a_wrong_strategy_passes_on_a_tree(wrong: str) -> None:
    """The mismatch above is the reuse, not a broken test: without reuse the check passes."""
    with registered(wrong):
        runs = [run_strategy(tree, name) for name in (*STRATEGIES, wrong)]
    assert disagreements(runs) == []


@pytest.mark.parametrize("wrong", sorted(WRONG))
def test_the_random_dag_search_finds_a_wrong_strategy(wrong: str) -> None:
    """The same random-DAG agreement check, with a wrong strategy added, fails."""

    @settings(max_examples=200, derandomize=True, database=None, phases=[Phase.generate])
    @given(dags(mode="scalar"))
    def check(spec: DagSpec) -> None:
        runs = [run_strategy(lambda: build_dag(spec), name) for name in (*STRATEGIES, wrong)]
        assert not disagreements(runs)

    with registered(wrong), pytest.raises(AssertionError):
        check()


# -- micrograd issue 21: plain recursion over closures vs naive ------------------------------------


def test_issue21_every_strategy_gives_dc_da_4() -> None:
    for name in STRATEGIES:
        built = doubling()
        built.output.backward(strategy=name)
        (a,) = built.leaves
        # Every local derivative of + is 1, so dc/da is the number of paths from c to a.
        assert a.grad == count_paths(built.output)[id(a)] == 4.0


@pytest.mark.parametrize("depth", range(1, 13))
def test_naive_calls_grow_exponentially_with_doubling_depth(depth: int) -> None:
    def chain() -> Built:
        a = mg.Value(1.0, label="a")
        y = a
        for _ in range(depth):
            y = y + y
        return Built(y, [a])

    runs = assert_strategies_agree(chain)
    assert runs[0].grads[-1] == 2.0**depth  # the leaf a comes last in the DFS
    calls = {run.strategy: run.stats.vjp_calls for run in runs}
    assert calls["naive"] == sum(2**k for k in range(depth))  # 1 + 2 + 4 + ... paths
    assert all(calls[name] == depth for name in STRATEGIES if name != "naive")
    assert runs[0].stats.max_depth == depth + 1  # naive recursed from c down to a


class ClosureValue:
    """A micrograd-style engine in a few lines: `+` and `*` leave a closure that reads the
    output's ACCUMULATED `.grad` and adds to the inputs' `.grad`. `children` keeps multiplicity
    (as `mg.Value.parents` does); `unique=True` dedupes them as micrograd's `set(_children)`."""

    def __init__(self, data: float, children: tuple[ClosureValue, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self.children = children
        self.backward_closure: Callable[[], None] = lambda: None

    def __add__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data + other.data, (self, other))

        def backward_closure() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out.backward_closure = backward_closure
        return out

    def __mul__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data * other.data, (self, other))

        def backward_closure() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.backward_closure = backward_closure
        return out

    def _children(self, unique: bool) -> list[ClosureValue]:
        return list(dict.fromkeys(self.children)) if unique else list(self.children)

    def backward_recursive(self, unique: bool = False) -> None:
        """The proposal of issue 21 / PR 64: run my closure, then recurse into every child."""
        self.grad = 1.0

        def visit(node: ClosureValue) -> None:
            node.backward_closure()
            for child in node._children(unique):
                visit(child)

        visit(self)

    def backward_topological(self) -> None:
        """micrograd's actual backward: closures in reverse topological order."""
        order: list[ClosureValue] = []
        seen: set[int] = set()

        def build(node: ClosureValue) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node.children:
                    build(child)
                order.append(node)

        build(self)
        self.grad = 1.0
        for node in reversed(order):
            node.backward_closure()


def test_issue21_recursion_over_closures_is_wrong_where_naive_is_right() -> None:
    a = ClosureValue(1.0)
    b = a + a
    (b + b).backward_recursive()
    recursive = a.grad
    a = ClosureValue(1.0)
    b = a + a
    (b + b).backward_topological()
    assert a.grad == 4.0  # the closures themselves are right when run in topological order
    assert recursive != 4.0  # b's accumulated gradient reaches a once per path: a.grad == 8

    built = doubling()
    stats = built.output.backward(strategy="naive")
    assert built.leaves[0].grad == 4.0 and stats.vjp_calls == 1 + 2


def test_recursion_over_closures_is_wrong_even_with_unique_children() -> None:
    """micrograd issue 68's example: with children deduplicated, recursion still re-sends c's
    partial gradient, while every minigrad strategy, naive included, gets dy/da right."""

    def closure_graph() -> tuple[ClosureValue, ClosureValue, ClosureValue]:
        a, b = ClosureValue(2.0), ClosureValue(3.0)
        c, d = a + b, a * b
        return a, b, (c + d) + c * d

    a, b, y = closure_graph()
    y.backward_recursive(unique=True)
    recursive = (a.grad, b.grad)
    a, b, y = closure_graph()
    y.backward_topological()
    right = (a.grad, b.grad)
    assert recursive != right

    for name in STRATEGIES:
        va, vb = mg.Value(2.0), mg.Value(3.0)
        vc, vd = va + vb, va * vb
        ((vc + vd) + vc * vd).backward(strategy=name)
        assert (va.grad, vb.grad) == right
