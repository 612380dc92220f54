"""Misuse that used to give a silently wrong result now fails loudly and changes nothing.

Data changed between forward and backward (version counter), `requires_grad` turned off on an
op node, a user strategy's bad gradient map, several threads committing to one graph, Python's
protocols on a Value, gradcheck's options, and numpy's errstate(raise) on harmless underflow.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

try:
    import torch
except ImportError:  # the optional oracle: the tests that compare with it skip without it
    torch = None

import minigrad as mg
from minigrad.backward import register_strategy, unregister_strategy
from minigrad.errors import GradientMapError, InplaceModificationError, RequiresGradError
from minigrad.nn import MLP
from minigrad.nn import functional as F  # noqa: N812 - the usual name
from minigrad.optim import SGD, Adam
from minigrad.testing import gradcheck, gradgradcheck
from minigrad.value import bump_version

STRATEGIES = ["naive", "memoized", "cycle_checked", "topological", "tape"]


def _grads(values: list[mg.Value]) -> list[Any]:
    return [None if not v.has_grad else np.array(v.grad, copy=True) for v in values]


def _same(a: list[Any], b: list[Any]) -> bool:
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in zip(a, b, strict=True)
    )


# -- the version counter ----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("tensor", [False, True], ids=["scalar", "tensor"])
def test_an_optimizer_step_between_forward_and_backward_is_refused(
    strategy: str, tensor: bool
) -> None:
    w = mg.Value(np.array([1.0, -2.0]) if tensor else 1.5, label="w")
    x = mg.Value(np.array([3.0, 4.0]) if tensor else 2.0, requires_grad=False)
    (w * x).sum().backward(strategy=strategy)
    before = _grads([w])
    loss = (w * x).exp().sum()
    SGD([w], lr=0.1).step()
    with pytest.raises(InplaceModificationError, match=r"input 0 \(w.*of mul.*changed in place"):
        loss.backward(strategy=strategy)
    assert _same(_grads([w]), before)  # nothing committed
    with pytest.raises(InplaceModificationError):
        mg.grad(loss, [w], strategy=strategy)  # no commit, still refused


def test_the_check_names_the_node_and_the_input() -> None:
    a = mg.Value(np.ones(3), label="a")
    b = mg.Value(np.full(3, 2.0), label="b")
    y = (a * b).tanh().sum()
    bump_version(b)
    with pytest.raises(InplaceModificationError) as caught:
        y.backward()
    assert caught.value.changed is b and caught.value.index == 1
    assert caught.value.node.op is not None and caught.value.node.op.name == "mul"
    assert not a.has_grad and not b.has_grad


def test_load_state_dict_and_adam_move_versions_on() -> None:
    model = MLP([2, 3, 1])
    x = np.ones((4, 2))
    loss = model(x).sum()
    model.load_state_dict(model.state_dict())
    with pytest.raises(InplaceModificationError):
        loss.backward()
    assert all(not p.has_grad for p in model.parameters())
    loss = model(x).sum()
    loss.backward()
    stale = model(x).sum()
    Adam(model.parameters()).step()
    with pytest.raises(InplaceModificationError):
        stale.backward()


def test_a_graph_built_after_the_update_is_fine_and_matches_torch() -> None:
    """The usual loop (forward, backward, step) never trips the check; gradients stay right."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0, x = rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    w = mg.Value(w0.copy())
    tw = torch.tensor(w0, requires_grad=True)
    opt, topt = SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for _ in range(4):
        opt.zero_grad()
        topt.zero_grad()
        (x @ w.T).tanh().sum().backward()
        (torch.tensor(x) @ tw.T).tanh().sum().backward()
        opt.step()
        topt.step()
    assert np.allclose(w.data, tw.detach().numpy())


def test_updates_made_between_graphs_leave_later_graphs_alone() -> None:
    """A node made after an update of its input may use the new data: no false alarm."""
    w = mg.Value(2.0)
    first = w * 3.0
    bump_version(w)
    later = first.detach() * w  # made after the update
    later.backward()
    assert w.grad == 6.0


# -- requires_grad on op nodes ----------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_turning_off_requires_grad_on_an_op_node_is_refused_at_backward(strategy: str) -> None:
    x = mg.Value(np.array([1.0, 2.0]), label="x")
    hidden = (x * 3.0).relu()
    hidden.label = "hidden"
    y = (hidden * x).sum()
    hidden.requires_grad = False
    with pytest.raises(RequiresGradError, match=r"turned off on hidden.*only a leaf"):
        y.backward(strategy=strategy)
    assert not x.has_grad


def test_a_flag_turned_off_is_refused_under_a_user_strategy_and_by_mg_grad() -> None:
    x = mg.Value(np.array([1.0, 2.0]), label="x")
    hidden = x * 3.0
    hidden.label = "hidden"
    y = (hidden * x).sum()
    hidden.requires_grad = False
    for name in _user(lambda root, seed: {root: seed, x: np.ones(2)}):
        with pytest.raises(RequiresGradError, match=r"turned off on hidden"):
            y.backward(strategy=name)
    for strategy in STRATEGIES:
        with pytest.raises(RequiresGradError, match=r"turned off on hidden"):
            mg.grad(y, x, create_graph=True, strategy=strategy)
    assert not x.has_grad


def test_a_leafs_flag_may_change_and_detach_is_the_way_to_cut() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    x.requires_grad = False
    x.requires_grad = True
    y = (x * x).detach() * x
    y.sum().backward()
    assert np.array_equal(x.grad, np.array([1.0, 4.0]))


# -- a user strategy's map --------------------------------------------------------------------


def _user(make: Callable[[Any, Any], dict[Any, Any]]) -> Iterator[str]:
    def walk(root: Any, seed: Any, *, trace: Any = None) -> dict[Any, Any]:
        return make(root, seed)

    register_strategy("user_map", walk, replace=True)
    try:
        yield "user_map"
    finally:
        unregister_strategy("user_map")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda a, b, y: {a: np.ones(2), y: np.ones(())}, "has shape"),
        (lambda a, b, y: {a: np.ones(3), b: "junk"}, "is str, not real numbers"),
        (lambda a, b, y: {a: np.ones(3), b: np.ones(3, dtype=complex)}, "dtype complex128"),
        (lambda a, b, y: {a: np.ones(3), b: None}, "NoneType"),
        (lambda a, b, y: {a: np.ones(3), mg.Value(1.0): 1.0}, "not a node of this graph"),
        (lambda a, b, y: {a: np.ones(3), b: True}, "bool"),
    ],
)
def test_a_bad_gradient_map_is_refused_whole_and_named(bad: Any, message: str) -> None:
    a = mg.Value(np.ones(3), label="a")
    b = mg.Value(np.ones(3), label="b")
    y = (a * b).sum()
    for name in _user(lambda root, seed: bad(a, b, y)):
        with pytest.raises(GradientMapError, match=f"strategy 'user_map'.*{message}"):
            y.backward(strategy=name)
    assert not a.has_grad and not b.has_grad  # the good entry before the bad one was not kept


def test_a_constant_in_the_map_is_refused() -> None:
    a = mg.Value(np.ones(3))
    c = mg.Value(np.ones(3), requires_grad=False, label="c")
    y = (a * c).sum()
    for name in _user(lambda root, seed: {a: np.ones(3), c: np.ones(3)}):
        with pytest.raises(GradientMapError, match="c\\[3\\] is a constant"):
            y.backward(strategy=name)
    assert not a.has_grad and not c.has_grad


def test_a_good_user_map_is_committed() -> None:
    a = mg.Value(np.ones(3, dtype=np.float32))
    y = (a * 2.0).sum()
    for name in _user(lambda root, seed: {a: np.full(3, 2.0)}):
        y.backward(strategy=name)
    assert a.grad.dtype == np.float32 and np.array_equal(a.grad, np.full(3, 2.0))


# -- threads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["topological", "memoized"])
def test_concurrent_backward_passes_on_one_graph_all_add_up(strategy: str) -> None:
    """Gradients equal the sum of every pass, with a switch interval small enough to interleave
    the commits' read-add-write of `.grad` if it were not serialised."""
    x = mg.Value(np.linspace(-1.0, 1.0, 200_000))  # large: numpy's add releases the GIL
    y = ((x * x).tanh() * x).sum()
    (expected,) = mg.grad(y, [x])
    threads, passes = 4, 10
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        barrier = threading.Barrier(threads)

        def work() -> None:
            barrier.wait()
            for _ in range(passes):
                y.backward(strategy=strategy)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert np.allclose(x.grad, expected.data * threads * passes, rtol=1e-12)


# -- Python protocols -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0.0, -0.0, 1.0, -2.5, float("nan")])
def test_truthiness_of_a_scalar_value_is_the_floats(number: float) -> None:
    assert bool(mg.Value(number)) is bool(number)
    assert bool(mg.Value(np.array(number))) is bool(np.array(number))


def test_len_and_iteration_follow_numpy() -> None:
    with pytest.raises(TypeError, match="no len"):
        len(mg.Value(1.0))
    with pytest.raises(TypeError, match=r"not iterable|no len"):
        iter(mg.Value(1.0)).__next__()
    with pytest.raises(TypeError, match="0-d"):
        len(mg.Value(np.array(1.0)))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.Value(np.ones(2)))
    m = mg.Value(np.arange(6.0).reshape(3, 2))
    assert len(m) == 3
    rows = list(m)
    assert all(isinstance(r, mg.Value) and r.shape == (2,) for r in rows)
    sum(r.sum() * float(i + 1) for i, r in enumerate(rows)).backward()  # graph nodes, not data
    assert np.array_equal(m.grad, np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]))


# -- gradcheck's options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"eps": 0.0},
        {"eps": -1e-6},
        {"eps": float("nan")},
        {"eps": float("inf")},
        {"rtol": -1.0},
        {"atol": float("nan")},
    ],
)
def test_gradcheck_refuses_a_step_or_tolerance_it_cannot_use(options: dict[str, float]) -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    name = next(iter(options))
    with pytest.raises(ValueError, match=f"gradcheck's {name} must be"):
        gradcheck(lambda v: (v * v).sum(), x, **options)
    with pytest.raises(ValueError, match=f"gradcheck's {name} must be"):
        gradgradcheck(lambda v: (v * v * v).sum(), x, **options)
    with pytest.raises(TypeError, match="must be a number"):
        gradcheck(lambda v: (v * v).sum(), x, eps="small")  # type: ignore[arg-type]


# -- numpy's errstate(raise) ------------------------------------------------------------------

LOGITS = np.array([-1000.0, -745.5, -720.0, -30.0, 0.0, 720.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "loss",
    [
        lambda v: v.sigmoid().sum(),
        lambda v: v.softplus().sum(),
        lambda v: (v - 720.0).exp().sum(),
        lambda v: F.binary_cross_entropy_with_logits(v, np.array([0, 1, 0, 1, 0, 1.0])),
        lambda v: F.cross_entropy(v.reshape(2, 3), np.array([0, 2])),
        lambda v: F.log_softmax(v.reshape(3, 2)).sum(),
    ],
    ids=["sigmoid", "softplus", "exp", "bce", "cross_entropy", "log_softmax"],
)
def test_harmless_underflow_does_not_raise_under_errstate_raise(
    loss: Callable[[mg.Value], mg.Value], dtype: Any
) -> None:
    x = mg.Value(LOGITS.astype(dtype))
    reference = mg.Value(LOGITS.astype(dtype))
    loss(reference).backward()
    with np.errstate(all="raise"):
        out = loss(x)
        out.backward()
    assert np.array_equal(x.grad, reference.grad)
    with np.errstate(all="raise"), pytest.raises(FloatingPointError, match="overflow"):
        mg.Value(np.array([1e308])) * 10.0  # a real problem still raises


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
def test_mean_over_an_empty_axis_has_a_backward_that_does_not_divide_by_zero() -> None:
    x = mg.Value(np.zeros((0, 3)))
    with np.errstate(invalid="ignore"):
        out = x.mean(axis=0).sum()  # numpy: the mean of nothing is nan
    with np.errstate(all="raise"):
        out.backward()
    assert x.grad.shape == (0, 3)
    y = mg.Value(np.zeros((0, 3)))
    with np.errstate(all="raise"):
        y.mean(axis=1).sum().backward()
    assert y.grad.shape == (0, 3)
