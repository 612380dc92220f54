"""The `tape` strategy: the forward's record swept backwards, and everything that can break it.

The record holds weak references only, so it never keeps a graph alive; graphs built across
steps, under `no_grad`, in another thread, or rewired by hand after they were made still get
the right gradients (the last two by handing over to `topological`, which the tests observe).
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable

import numpy as np
import pytest

import minigrad as mg
from minigrad.backward import recording
from minigrad.backward import tape as tape_module


def grads_by(strategy: str, build: object) -> list[object]:
    out, leaves = build()  # type: ignore[operator]
    for leaf in leaves:
        leaf.zero_grad()
    out.backward(strategy=strategy)
    return [leaf.grad for leaf in leaves]


def small_net(seed: int = 0) -> tuple[mg.Value, list[mg.Value]]:
    rng = np.random.default_rng(seed)
    w1 = mg.Value(rng.normal(size=(4, 3)), label="w1")
    w2 = mg.Value(rng.normal(size=(1, 4)), label="w2")
    x = mg.Value(rng.normal(size=(5, 3)), requires_grad=False)
    h = (x @ w1.T).tanh()
    return ((h @ w2.T) ** 2).mean() + (w1 * w1).sum() * 0.01, [w1, w2]


def handed_over(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the walks that `tape` hands over to `topological`."""
    calls: list[int] = []
    original = tape_module._handed_over

    def counting(*args: object) -> object:
        calls.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(tape_module, "_handed_over", counting)
    return calls


def test_tape_matches_topological_and_never_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    fallbacks = handed_over(monkeypatch)
    expected = grads_by("topological", small_net)
    got = grads_by("tape", small_net)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    assert not fallbacks


def test_visits_run_in_reverse_creation_order() -> None:
    a = mg.Value(1.5, label="a")
    b = a * a
    c = b.tanh()
    d = c + b
    stats = d.backward(strategy="tape", trace=True)
    ops = [node for node in stats.visits if node.op is not None]
    assert ops == [d, c, b]
    assert stats.visits[-1] is a and stats.vjp_calls == 3


def test_the_record_keeps_no_graph_alive() -> None:
    gc.disable()  # reference counting alone must free the graph
    try:
        out, _ = small_net()
        probe = weakref.ref(out)
        parent = weakref.ref(out.parents[0])
        out.backward(strategy="tape")
        del out
        assert probe() is None and parent() is None
    finally:
        gc.enable()


def test_the_record_is_compacted_as_it_grows() -> None:
    x = mg.Value(0.3)
    for _ in range(3 * recording._MIN_LIMIT // 2):
        y = x * 2.0  # each graph is dropped at the next iteration
    del y
    live = sum(1 for entry in recording.entries() if entry() is not None)
    assert len(recording.entries()) <= max(recording._MIN_LIMIT, 4 * live) + 1


def test_graphs_built_across_steps_and_interleaved(monkeypatch: pytest.MonkeyPatch) -> None:
    fallbacks = handed_over(monkeypatch)
    w = mg.Value(np.array([0.5, -1.0]))
    first = (w * 3.0).tanh()  # step 1's graph, still alive
    other = (w.exp() * 2.0).sum()  # an unrelated graph in between
    out = (first * first).sum() + (w * 0.5).sum()  # built on step 1's node
    out.backward(strategy="tape")
    tape_grad = w.grad.copy()
    w.zero_grad()
    out.backward(strategy="topological")
    np.testing.assert_allclose(tape_grad, w.grad)
    w.zero_grad()
    other.backward(strategy="tape")  # an older graph: the sweep passes the newer nodes by
    np.testing.assert_allclose(w.grad, 2.0 * np.exp(w.data))
    assert not fallbacks


def test_a_second_backward_gives_the_same_gradients_again() -> None:
    out, (w1, _) = small_net()
    out.backward(strategy="tape")
    once = w1.grad.copy()
    out.backward(strategy="tape")
    np.testing.assert_allclose(w1.grad, 2 * once)


def test_no_grad_nodes_are_constants_and_are_not_recorded() -> None:
    w = mg.Value(np.array([1.0, 2.0]))
    before = len(recording.entries())
    with mg.no_grad():
        scale = (w * 3.0).sum()
    assert len(recording.entries()) == before and scale.op is None
    out = (w * scale).sum()
    out.backward(strategy="tape")
    np.testing.assert_allclose(w.grad, [9.0, 9.0])


def test_a_graph_made_in_another_thread_is_handed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    fallbacks = handed_over(monkeypatch)
    made: list[tuple[mg.Value, list[mg.Value]]] = []
    worker = threading.Thread(target=lambda: made.append(small_net(3)))
    worker.start()
    worker.join()
    out, leaves = made[0]
    out.backward(strategy="tape")
    got = [leaf.grad.copy() for leaf in leaves]
    for leaf in leaves:
        leaf.zero_grad()
    out.backward(strategy="topological")
    for a, leaf in zip(got, leaves, strict=True):
        np.testing.assert_allclose(a, leaf.grad)
    assert fallbacks  # not on this thread's record: detected, not silently wrong


def test_a_graph_extended_in_another_thread_is_handed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fallbacks = handed_over(monkeypatch)
    w = mg.Value(np.array([0.2, 0.7]))
    middle: list[mg.Value] = []
    worker = threading.Thread(target=lambda: middle.append((w * w).tanh()))
    worker.start()
    worker.join()
    out = (middle[0] * 2.0).sum()  # this thread's node on top of the worker's
    out.backward(strategy="tape")
    t = np.tanh(w.data * w.data)
    np.testing.assert_allclose(w.grad, 2.0 * (1 - t * t) * 2 * w.data)
    assert fallbacks


def test_an_edge_rewired_against_creation_order_is_handed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # y is made first, then rewired to consume z, which was made after it: still a DAG, but the
    # record's order is no longer topological. Sweeping it as recorded would be silently wrong.
    fallbacks = handed_over(monkeypatch)
    x = mg.Value(0.4, label="x")
    y = x * 2.0
    z = x.tanh()
    out = y * 3.0 + z
    y.parents = (z, y.parents[1])  # y = z * 2 now
    out.backward(strategy="tape")
    tape_grad = x.grad
    x.zero_grad()
    out.backward(strategy="topological")
    assert tape_grad == pytest.approx(x.grad)
    assert fallbacks


def test_a_cycle_is_named_like_topological_names_it() -> None:
    x = mg.Value(np.full(3, 0.4))
    y = x * 2.0
    z = y.tanh()
    w = z + x
    out = w.sum()
    y.parents = (w, y.parents[1])
    with pytest.raises(mg.CycleError) as caught:
        out.backward(strategy="tape")
    assert {id(n) for n in caught.value.nodes} == {id(y), id(z), id(w)}
    assert not x.has_grad


def test_a_million_node_chain_needs_no_recursion() -> None:
    x = mg.Value(1.0)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    stats = y.backward(strategy="tape")
    assert x.grad == 1.0 and stats.vjp_calls == 200_000 and stats.max_depth == 1


def test_a_backward_pass_trims_the_record_after_a_large_graph_is_freed() -> None:
    x = mg.Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    y.backward(strategy="topological")
    del y  # the large graph is gone; its 20,000 entries are dead
    small = (x * 3.0).tanh()
    small.backward()  # any strategy: the driver trims after every pass
    assert len(recording.entries()) < 100


def in_a_new_thread(work: Callable[[], object]) -> object:
    """Run `work` in a fresh thread (a fresh context, which decides afresh whether to record)."""
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(work()))
    worker.start()
    worker.join()
    return done[0]


def test_the_forward_records_only_while_tape_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recording, "records_by_default", False)  # a process without the variable
    fallbacks = handed_over(monkeypatch)

    def plain() -> tuple[int, object]:
        out, (w1, _) = small_net()
        out.backward(strategy="tape")  # not recorded: handed over, still right
        return len(recording.entries()), w1.grad

    def under_tape() -> tuple[int, object]:
        with mg.use_strategy("tape"):
            out, (w1, _) = small_net()
            recorded = len(recording.entries())
            out.backward()
        return recorded, w1.grad

    unrecorded, plain_grad = in_a_new_thread(plain)  # type: ignore[misc]
    assert unrecorded == 0 and len(fallbacks) == 1
    recorded, tape_grad = in_a_new_thread(under_tape)  # type: ignore[misc]
    assert recorded > 0 and len(fallbacks) == 1  # swept, not handed over
    np.testing.assert_allclose(tape_grad, plain_grad)


def test_set_default_strategy_turns_recording_on_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "records_by_default", False)

    def toggled() -> tuple[int, int]:
        x = mg.Value(np.ones(2))
        mg.set_default_strategy("tape")
        kept = [(x * 2.0).sum()]  # two op nodes, recorded
        counted = len(recording.entries())
        mg.set_default_strategy("topological")
        kept.append((x * 3.0).sum())  # not recorded: the record stops (and is kept)
        with mg.no_grad():
            mg.set_default_strategy("tape")  # inside no_grad: still records nothing
            assert (x * 4.0).op is None
        return counted, len(recording.entries())

    counted, after = in_a_new_thread(toggled)  # type: ignore[misc]
    assert counted == 2 and after == 2


def test_a_graph_built_in_a_tape_block_is_swept_after_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recording, "records_by_default", False)
    fallbacks = handed_over(monkeypatch)

    def built_inside() -> tuple[int, int]:
        with mg.use_strategy("tape"):
            out, _ = small_net()
        recorded = len(recording.entries())
        out.backward(strategy="tape")  # outside the block: the record is still there
        (out * 2.0).sum()  # made after the block: not recorded
        return recorded, len(recording.entries())

    recorded, after = in_a_new_thread(built_inside)  # type: ignore[misc]
    assert recorded > 0 and after == recorded and not fallbacks
