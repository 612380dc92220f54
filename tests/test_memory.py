"""Memory: a training loop holds steady memory, and a graph is freed once nothing references it.

- 300 training steps of a small tensor MLP under tracemalloc, for every strategy: the memory in
  use after step 300 exceeds that after step 50 by less than GROWTH_BOUND, and the number of live
  Values is exactly the same at both points (a leak of one graph per step would be ~40 KiB and
  ~30 Values per step).
- Graphs are freed by reference counting alone (the garbage collector is switched off while
  checking): weak references to the loss and to an intermediate node die as soon as the last
  strong reference goes, whichever strategy ran backward, also under detect_anomaly().
- What does retain a graph is pinned down too: a live `loss` variable, a `BackwardStats` of a
  traced backward (`stats.visits` holds the nodes), and nothing else.

See benchmarks/bench_memory.py for the 10,000-step version.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from strategies import BUILTIN_STRATEGIES

import minigrad as mg
from minigrad.nn import functional as F  # noqa: N812 - the usual name

STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)
GROWTH_BOUND = 48 * 1024
"""Bytes. Measured growth from step 50 to 300 is 5-11 KiB: Python's free lists (tuples, floats)
filling up, which tracemalloc still counts as allocated; they are bounded and level off (see the
benchmark). One leaked graph per step would add about 10 MiB over the 250 steps."""


@pytest.fixture
def gc_off() -> Iterator[None]:
    """Switch the cycle collector off: what dies now was freed by reference counting."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def make_problem(optimizer: str) -> tuple[mg.nn.MLP, mg.optim.Optimizer, Any, Any]:
    model = mg.nn.MLP([2, 16, 16, 2], seed=0)
    params = model.parameters()
    opt: mg.optim.Optimizer = (
        mg.optim.Adam(params, lr=0.01)
        if optimizer == "adam"
        else mg.optim.SGD(params, lr=0.05, momentum=0.9)
    )
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return model, opt, X, y


def live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is mg.Value)


@pytest.mark.parametrize(
    ("strategy", "optimizer"), [(s, "adam" if i % 2 else "sgd") for i, s in enumerate(STRATEGIES)]
)
def test_training_memory_is_steady(strategy: str, optimizer: str) -> None:
    gc.collect()
    elsewhere = live_values()  # Values other tests' modules hold
    model, opt, X, y = make_problem(optimizer)
    losses: list[float] = []

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward(strategy=strategy)
        opt.step()
        losses.append(loss.item())

    for _ in range(3):  # warm up: first-call allocations, optimizer state
        step()
    gc.collect()
    tracemalloc.start()
    try:
        measured: dict[int, tuple[int, int]] = {}
        for i in range(1, 301):
            step()
            if i in (50, 300):
                gc.collect()
                measured[i] = (tracemalloc.get_traced_memory()[0], live_values())
    finally:
        tracemalloc.stop()
    growth = measured[300][0] - measured[50][0]
    assert growth < GROWTH_BOUND, f"{strategy}: memory grew by {growth:,} bytes in 250 steps"
    assert measured[300][1] == measured[50][1], f"{strategy}: live Values {measured}"
    assert measured[300][1] == elsewhere + len(model.parameters())  # the graph is gone too
    assert losses[-1] < losses[0]


def build(model: mg.nn.MLP, X: Any, y: Any) -> tuple[mg.Value, mg.Value]:
    """The loss, and an intermediate node that no leaf is (the first hidden activation)."""
    hidden = model[1](model[0](X))
    rest: Any = hidden
    for layer in model.layers[2:]:
        rest = layer(rest)
    return F.cross_entropy(rest, y), hidden


@pytest.mark.usefixtures("gc_off")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_graph_is_freed_once_nothing_references_it(strategy: str) -> None:
    model, _, X, y = make_problem("sgd")
    loss, hidden = build(model, X, y)
    loss.backward(strategy=strategy)
    assert hidden.has_grad  # backward gives op nodes a .grad too: freed with the graph
    loss_ref, hidden_ref = weakref.ref(loss), weakref.ref(hidden)
    del hidden
    assert hidden_ref() is not None  # the loss still holds the graph
    del loss
    assert loss_ref() is None, "the loss outlived its last reference"
    assert hidden_ref() is None, "an intermediate node outlived the graph"
    assert all(p.has_grad for p in model.parameters())  # gradients are arrays: they stay


@pytest.mark.usefixtures("gc_off")
def test_a_graph_without_backward_is_freed_too() -> None:
    model, _, X, y = make_problem("sgd")
    loss, hidden = build(model, X, y)
    refs = [weakref.ref(loss), weakref.ref(hidden)]
    del loss, hidden
    assert all(r() is None for r in refs)


@pytest.mark.usefixtures("gc_off")
def test_graphs_made_under_detect_anomaly_are_freed() -> None:
    model, _, X, y = make_problem("sgd")
    with mg.detect_anomaly():
        loss, hidden = build(model, X, y)
        loss.backward()
    refs = [weakref.ref(loss), weakref.ref(hidden)]
    del loss, hidden
    assert all(r() is None for r in refs)


@pytest.mark.usefixtures("gc_off")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_traced_stats_hold_the_graph_until_dropped(strategy: str) -> None:
    model, _, X, y = make_problem("sgd")
    loss, hidden = build(model, X, y)
    stats = loss.backward(strategy=strategy, trace=True)
    refs = [weakref.ref(loss), weakref.ref(hidden)]
    del loss, hidden
    assert all(r() is not None for r in refs)  # stats.visits holds the nodes
    assert any(v is refs[1]() for v in stats.visits)
    del stats
    assert all(r() is None for r in refs)


@pytest.mark.usefixtures("gc_off")
def test_a_failed_backward_keeps_nothing() -> None:
    model, _, X, _ = make_problem("sgd")
    out = model(X)
    ref = weakref.ref(out)
    with pytest.raises(ValueError, match="seed"):
        out.backward()  # (32, 2) output without a seed
    del out
    assert ref() is None


def test_the_training_loop_keeps_one_graph_alive_between_steps() -> None:
    """`loss` (the loop variable) keeps the last graph until the next step replaces it."""
    model, opt, X, y = make_problem("sgd")
    refs = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        refs.append(weakref.ref(loss))
    gc.collect()
    assert [r() is not None for r in refs] == [False, False, True]
    del loss
    assert refs[-1]() is None
