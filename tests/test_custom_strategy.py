"""The documented user-registered strategy (examples/custom_strategy.py) works as the docs say."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import graphs

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_strategy.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("custom_strategy_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def kahn() -> Iterator[ModuleType]:
    """The example module, with "kahn" registered for the test and unregistered after it."""
    module = load_example()
    mg.register_strategy("kahn", module.kahn, replace=True)
    try:
        yield module
    finally:
        mg.unregister_strategy("kahn")


def test_the_example_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "dc/da = 4.0, vjp_calls = 2" in done.stdout
    assert "cycle: the graph has a cycle of 2 node(s)" in done.stdout
    # The script registers "kahn" in its own process only.
    assert "kahn" not in mg.available_strategies()


def test_main_prints_equal_gradients_for_kahn_and_topological(
    kahn: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    kahn.main()
    lines = capsys.readouterr().out.splitlines()
    kahn_line = next(line for line in lines if line.startswith("kahn "))
    topo_line = next(line for line in lines if line.startswith("topological "))
    assert kahn_line.split()[1:] == topo_line.split()[1:]


def tensor_mlp() -> tuple[mg.Value, list[mg.Value]]:
    """A small tensor MLP with broadcasting (the biases) and a reused node (its output, twice)."""
    model = mg.nn.MLP([3, 5, 4, 2], activation="tanh", seed=1)
    X = np.random.default_rng(2).normal(size=(6, 3))
    hidden = model(X)
    loss = (
        mg.nn.functional.cross_entropy(hidden, np.array([0, 1, 1, 0, 1, 0]))
        + (hidden * hidden).mean()
    )
    return loss, model.parameters()


GRAPHS: dict[str, Callable[[], tuple[mg.Value, list[mg.Value]]]] = {
    "reuse": graphs.reuse_demo,
    "neuron": graphs.neuron_demo,
    "diamond": graphs.diamond_demo,
    "dense-scalar": lambda: graphs.dense_net(3, 4, "scalar"),
    "residual-scalar": lambda: graphs.residual_net(3, 3, "scalar"),
    "dense-tensor": lambda: graphs.dense_net(8, 5, "tensor"),
    "residual-tensor": lambda: graphs.residual_net(8, 5, "tensor"),
    "chain-3000": lambda: graphs.chain(3000, "scalar"),
    "tensor-mlp": tensor_mlp,
}


def grads_of(leaves: list[mg.Value]) -> list[Any]:
    return [np.array(v.grad, dtype=np.float64) for v in leaves]


@pytest.mark.parametrize("name", list(GRAPHS))
def test_kahn_matches_topological(kahn: ModuleType, name: str) -> None:
    out, leaves = GRAPHS[name]()
    reference = out.backward(strategy="topological")
    expected = grads_of(leaves)
    for leaf in leaves:
        leaf.zero_grad()
    stats = out.backward(strategy="kahn")
    assert stats.strategy == "kahn"
    assert stats.vjp_calls == reference.vjp_calls  # one rule call per op node reached
    assert stats.nodes == reference.nodes
    assert stats.max_depth == 1  # iterative, like topological
    for got, want in zip(grads_of(leaves), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_kahn_counts_the_reused_node_once_per_op(kahn: ModuleType) -> None:
    out, (a,) = graphs.reuse_demo()
    stats = out.backward(strategy="kahn")
    assert a.grad == 4.0
    assert stats.vjp_calls == 2  # b and c; naive would make 3 (c, then b once per path)
    assert out.backward(strategy="naive").vjp_calls == 3


def test_kahn_works_through_use_strategy_and_trace(kahn: ModuleType) -> None:
    out, _ = graphs.diamond_demo()
    with mg.use_strategy("kahn"):
        stats = out.backward(trace=True)
    assert stats.strategy == "kahn"
    assert stats.visits[0] is out  # the output is ready first
    assert len(stats.visits) == stats.nodes  # each node visited once


@pytest.mark.parametrize("data", [0.3, np.full((2, 2), 0.3)], ids=["scalar", "tensor"])
def test_kahn_names_a_cycle_and_changes_no_grad(kahn: ModuleType, data: Any) -> None:
    x = mg.Value(data, label="x")
    y = x * 2.0
    z = y.tanh()
    w = z + x
    out = w.sum() if isinstance(data, np.ndarray) else w * 1.0
    y.parents = (w, y.parents[1])  # rewire: y -> z -> w -> y
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy="kahn")
    cycle = caught.value.nodes
    assert {id(n) for n in cycle} == {id(y), id(z), id(w)}
    for i, node in enumerate(cycle):  # each node a parent of the next, the last of the first
        assert any(p is node for p in cycle[(i + 1) % len(cycle)].parents)
    assert not x.has_grad  # a failed backward commits nothing
