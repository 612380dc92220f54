"""Thread safety: the default strategy, `use_strategy` and `no_grad` are per thread (contextvars).

Two (or four) threads train small MLPs at the same time, each with its own strategy chosen by
`use_strategy` or `set_default_strategy` inside the thread, in lockstep (a barrier before every
step, and a tiny switch interval so the interpreter switches threads inside steps). Each thread's
losses and final weights must equal, bit for bit, those of the same training run done alone, and
every backward pass must have used the thread's own strategy. A spy strategy records which thread
called it. `no_grad` in one thread leaves another thread recording, and a new thread starts from
the process default whatever the creating thread chose.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.backward import get_strategy
from minigrad.nn import functional as F  # noqa: N812 - the usual name

STEPS = 25
TIMEOUT = 30.0


def process_default() -> str:
    return os.environ.get("MINIGRAD_STRATEGY", "").strip() or "topological"


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Let the interpreter switch threads every few microseconds: interleavings inside steps."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@dataclass
class Run:
    """What one training run produced."""

    losses: list[float] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)


def data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 4))
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)


def train(
    strategy: str,
    how: str,
    seed: int,
    barrier: threading.Barrier | None = None,
    optimizer: str = "adam",
) -> Run:
    """Train an MLP for STEPS steps; backward() names no strategy, the thread's default rules.

    how: "use_strategy" (a with block around the loop) or "set_default_strategy".
    """
    run = Run()
    model = mg.nn.MLP([4, 16, 16, 3], activation="tanh", seed=seed)
    opt: mg.optim.Optimizer = (
        mg.optim.Adam(model.parameters(), lr=0.01)
        if optimizer == "adam"
        else mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    )
    X, y = data(seed)

    def loop() -> None:
        for _ in range(STEPS):
            if barrier is not None:
                barrier.wait()
            opt.zero_grad()
            loss = F.cross_entropy(model(X), y)
            stats = loss.backward()
            opt.step()
            run.losses.append(loss.item())
            run.strategies.append(stats.strategy)
            run.defaults.append(mg.get_default_strategy())

    if how == "use_strategy":
        with mg.use_strategy(strategy):
            loop()
    else:
        mg.set_default_strategy(strategy)
        loop()
    run.weights = [p.data.copy() for p in model.parameters()]
    return run


def alone(strategy: str, how: str, seed: int, optimizer: str = "adam") -> Run:
    """The same run on the main thread, in a throwaway context (no default leaks out)."""
    return contextvars.copy_context().run(train, strategy, how, seed, None, optimizer)


def run_threads(targets: list[Callable[[], Any]]) -> list[Any]:
    """Run each target in its own thread; re-raise the first exception; return the results."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = targets[i]()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a training thread hung"
    if errors:
        raise errors[0]
    return results


def assert_same_run(ours: Run, reference: Run, what: str) -> None:
    assert ours.losses == reference.losses, f"{what}: losses differ from the run alone"
    for a, b in zip(ours.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=what)


CONFIGS: list[tuple[str, str, int, str]] = [
    ("naive", "use_strategy", 0, "adam"),
    ("topological", "set_default_strategy", 1, "sgd"),
    ("memoized", "set_default_strategy", 2, "adam"),
    ("cycle_checked", "use_strategy", 3, "sgd"),
]


@pytest.mark.parametrize("pair", [(0, 1), (2, 3), (0, 2)], ids=lambda p: f"configs{p}")
def test_two_threads_train_with_their_own_strategies(pair: tuple[int, int]) -> None:
    chosen = [CONFIGS[i] for i in pair]
    references = [alone(s, how, seed, opt) for s, how, seed, opt in chosen]
    barrier = threading.Barrier(len(chosen), timeout=TIMEOUT)
    before = mg.get_default_strategy()
    runs = run_threads(
        [
            lambda s=s, how=how, seed=seed, opt=opt: train(s, how, seed, barrier, opt)
            for s, how, seed, opt in chosen
        ]
    )
    for (strategy, how, _, _), run, reference in zip(chosen, runs, references, strict=True):
        what = f"{strategy} via {how}"
        assert run.strategies == [strategy] * STEPS, f"{what}: {set(run.strategies)}"
        assert run.defaults == [strategy] * STEPS, what
        assert_same_run(run, reference, what)
        assert run.losses[-1] < run.losses[0], f"{what} did not train"
    assert mg.get_default_strategy() == before  # nothing leaked into the main thread


def test_four_threads_at_once_and_the_same_strategy_twice() -> None:
    chosen = [*CONFIGS, ("naive", "set_default_strategy", 4, "sgd")]
    references = [alone(s, how, seed, opt) for s, how, seed, opt in chosen]
    barrier = threading.Barrier(len(chosen), timeout=TIMEOUT)
    runs = run_threads(
        [
            lambda s=s, how=how, seed=seed, opt=opt: train(s, how, seed, barrier, opt)
            for s, how, seed, opt in chosen
        ]
    )
    for (strategy, how, _, _), run, reference in zip(chosen, runs, references, strict=True):
        assert run.strategies == [strategy] * STEPS
        assert_same_run(run, reference, f"{strategy} via {how}")


def test_a_spy_strategy_is_only_called_by_its_own_thread() -> None:
    """A registered strategy that records its callers: only the thread that chose it calls it."""
    callers: list[int] = []
    topological = get_strategy("topological")

    def spy(root: Any, seed: Any, *, trace: Any = None) -> Any:
        callers.append(threading.get_ident())
        return topological(root, seed) if trace is None else topological(root, seed, trace=trace)

    mg.register_strategy("spy", spy)
    try:
        barrier = threading.Barrier(2, timeout=TIMEOUT)
        idents: dict[str, int] = {}

        def spying() -> Run:
            idents["spy"] = threading.get_ident()
            return train("spy", "set_default_strategy", 0, barrier)

        def other() -> Run:
            idents["other"] = threading.get_ident()
            return train("memoized", "use_strategy", 1, barrier)

        spy_run, other_run = run_threads([spying, other])
    finally:
        mg.unregister_strategy("spy")
    assert callers == [idents["spy"]] * STEPS
    assert other_run.strategies == ["memoized"] * STEPS
    assert_same_run(spy_run, alone("topological", "use_strategy", 0), "spy = topological")


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    entered = threading.Barrier(2, timeout=TIMEOUT)
    built = threading.Barrier(2, timeout=TIMEOUT)
    w = mg.Value(np.ones((3, 2)))
    x = np.ones((4, 3))

    def quiet() -> tuple[bool, bool]:
        with mg.no_grad():
            entered.wait()  # the other thread builds its graph while this one is in no_grad
            y = x @ w
            built.wait()
        z = x @ w
        return y.requires_grad or bool(y.parents), z.requires_grad and bool(z.parents)

    def recording() -> tuple[bool, float]:
        entered.wait()
        y = (x @ w).tanh().sum()
        built.wait()
        w_local = mg.Value(np.ones((3, 2)))
        (x @ w_local).sum().backward()
        return y.requires_grad and bool(y.parents), float(w_local.grad.sum())

    (quiet_graph, quiet_after), (recorded, grad_sum) = run_threads([quiet, recording])
    assert not quiet_graph  # no graph inside no_grad
    assert quiet_after  # and recording again after it
    assert recorded  # the other thread recorded the whole time
    assert grad_sum == 4.0 * 6
    y = x @ w  # the main thread is unaffected too
    assert y.requires_grad and y.parents


def test_a_new_thread_starts_from_the_process_default() -> None:
    def body() -> None:
        mg.set_default_strategy("naive")
        with mg.use_strategy("memoized"):
            seen = run_threads(
                [
                    lambda: (
                        mg.get_default_strategy(),
                        (mg.Value(np.ones(2)) * 2.0).sum().backward().strategy,
                    )
                ]
            )
            assert mg.get_default_strategy() == "memoized"
        assert mg.get_default_strategy() == "naive"
        assert seen == [(process_default(), process_default())]

    contextvars.copy_context().run(body)
    assert mg.get_default_strategy() == process_default()


def test_setting_the_default_in_a_thread_leaves_the_main_thread_alone() -> None:
    before = mg.get_default_strategy()
    other = "cycle_checked" if before != "cycle_checked" else "memoized"
    [inside] = run_threads([lambda: (mg.set_default_strategy(other), mg.get_default_strategy())])
    assert inside == (None, other)
    assert mg.get_default_strategy() == before
    assert (mg.Value(2.0) * 3.0).backward().strategy == before


@pytest.mark.parametrize("strategy", ["memoized", "cycle_checked"])
def test_deep_walks_in_several_threads_restore_the_recursion_limit(strategy: str) -> None:
    """Each deep recursive walk raises the limit for itself alone; none may leave it raised."""
    before = sys.getrecursionlimit()
    barrier = threading.Barrier(4, timeout=TIMEOUT)

    def deep_walk(length: int) -> float:
        x = mg.Value(0.3)
        y = x
        for _ in range(length):
            y = y * 1.0001
        barrier.wait()  # all four start their walks together
        y.backward(strategy=strategy)
        return float(x.grad)

    lengths = [20_000, 25_000, 30_000, 35_000]
    grads = run_threads([lambda n=n: deep_walk(n) for n in lengths])
    assert sys.getrecursionlimit() == before
    for n, grad in zip(lengths, grads, strict=True):
        assert grad == pytest.approx(1.0001**n, rel=1e-9)
