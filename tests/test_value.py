"""Value basics: modes, dtypes, parents, labels, no_grad, requires_grad, accumulation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import numerical_grad

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")

SCALAR_OPS: list[tuple[str, Callable[[mg.Value], Any]]] = [
    ("add", lambda v: v + 1.5),
    ("radd", lambda v: 2 + v),
    ("sub", lambda v: v - 0.5),
    ("rsub", lambda v: 1 - v),
    ("mul", lambda v: v * v),
    ("div", lambda v: v / 3),
    ("rdiv", lambda v: 3.0 / v),
    ("pow", lambda v: v**2),
    ("pow-value", lambda v: v ** mg.Value(1.5)),
    ("rpow", lambda v: 2**v),
    ("neg", lambda v: -v),
    ("exp", lambda v: v.exp()),
    ("log", lambda v: v.log()),
    ("tanh", lambda v: v.tanh()),
    ("sigmoid", lambda v: v.sigmoid()),
    ("relu", lambda v: v.relu()),
]


@pytest.mark.parametrize(("name", "op"), SCALAR_OPS, ids=[name for name, _ in SCALAR_OPS])
def test_scalar_mode_data_and_grad_are_floats(name: str, op: Callable[[mg.Value], Any]) -> None:
    x = mg.Value(0.8)
    assert type(x.data) is float
    y = op(x)
    assert isinstance(y, mg.Value)
    assert type(y.data) is float, name
    assert y.shape == ()
    y.backward()
    assert type(x.grad) is float


@pytest.mark.parametrize("number", [3, np.int64(3), np.float64(3.0), 3.0])
def test_numbers_become_python_floats(number: Any) -> None:
    x = mg.Value(number)
    assert type(x.data) is float
    assert x.data == 3.0


def test_tensor_mode_data_is_an_ndarray() -> None:
    x = mg.Value([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x.data, np.ndarray)
    assert x.shape == (2, 2)
    y = (x * 2.0).tanh()
    assert isinstance(y.data, np.ndarray)
    assert isinstance(y.sum().data, np.ndarray)  # a reduction of a tensor stays a (0-d) array
    y.sum().backward()
    assert isinstance(x.grad, np.ndarray)
    assert x.grad.shape == (2, 2)


@pytest.mark.parametrize("ints", [[1, 2, 3], np.array([1, 2, 3]), np.array([1, 2], np.int32)])
def test_ints_become_float64(ints: Any) -> None:
    x = mg.Value(ints)
    assert isinstance(x.data, np.ndarray) and x.data.dtype == np.float64
    assert np.array_equal(x.data, np.asarray(ints, dtype=np.float64))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_float32_stays_float32_through_ops_and_gradients(strategy: str) -> None:
    a = mg.Value(np.array([0.5, -1.0, 2.0], dtype=np.float32))
    W = mg.Value(np.full((2, 3), 0.25, dtype=np.float32))
    steps = [
        a * 2.0,
        3 - a,
        a / 4,
        a**2,
        (a * a).exp(),
        (a * a + 1.0).log(),
        a.tanh(),
        a.sigmoid(),
        a.relu(),
        W @ a,
        (W @ a).sum(axis=0, keepdims=True),
        W.mean(axis=1),
        W.max(),
        W.T.reshape(6)[1:4],
    ]
    for step in steps:
        assert isinstance(step.data, np.ndarray) and step.data.dtype == np.float32
    total = steps[0].sum()
    for step in steps[1:]:
        total = total + step.sum()
    assert isinstance(total.data, np.ndarray) and total.data.dtype == np.float32
    total.backward(strategy=strategy)
    assert a.grad.dtype == np.float32
    assert W.grad.dtype == np.float32


@pytest.mark.parametrize(
    "flag", [True, False, np.bool_(True), np.array([True, False]), [True, False]]
)
def test_bool_data_is_rejected(flag: Any) -> None:
    with pytest.raises(TypeError, match="bool"):
        mg.Value(flag)


def test_bool_operand_is_rejected() -> None:
    x = mg.Value(np.ones(2))
    with pytest.raises(TypeError, match="bool"):
        x + np.array([True, False])
    with pytest.raises(TypeError, match="bool"):
        mg.Value(1.0) * True


@pytest.mark.parametrize("bad", ["text", 1 + 2j, np.array([1 + 2j]), object()])
def test_non_real_data_is_rejected(bad: Any) -> None:
    with pytest.raises(TypeError):
        mg.Value(bad)


def test_parents_keep_multiplicity_and_order() -> None:
    x = mg.Value(2.0)
    y = mg.Value(3.0)
    square = x * x
    assert len(square.parents) == 2
    assert square.parents[0] is x and square.parents[1] is x
    diff = y - x
    assert diff.parents[0] is y and diff.parents[1] is x
    assert (x.tanh()).parents[0] is x and len(x.tanh().parents) == 1
    assert x.parents == ()
    assert x.is_leaf and not square.is_leaf
    assert square.op is not None and square.op.name == "mul"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_square_counts_both_parents(strategy: str) -> None:
    x = mg.Value(np.array([1.5, -2.0]))
    (x * x).sum().backward(strategy=strategy)
    assert np.allclose(x.grad, numerical_grad(lambda v: (v * v).sum(), (x,), 0))


def test_label() -> None:
    assert mg.Value(1.0).label == ""
    w = mg.Value(np.zeros(3), label="w")
    assert w.label == "w"
    assert "w" in repr(w)
    y = w * 2
    y.label = "y"
    assert y.label == "y"


def test_no_grad_builds_no_graph() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    with mg.no_grad():
        y = (x * 2.0).tanh().sum()
        z = x @ x
    assert y.parents == () and y.op is None and not y.requires_grad
    assert z.parents == () and not z.requires_grad
    assert np.isclose(y.item(), np.tanh(x.data * 2.0).sum())  # but it computes
    with pytest.raises(ValueError, match=r"no_grad|require"):
        y.backward()
    after = (x * 2.0).sum()  # recording resumes after the block
    assert after.requires_grad and after.parents[0].parents[0] is x


def test_no_grad_restores_recording_after_an_exception() -> None:
    x = mg.Value(1.0)
    with pytest.raises(RuntimeError), mg.no_grad():
        raise RuntimeError("boom")
    assert (x * 2).requires_grad


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_inputs_that_need_no_gradient_get_none(strategy: str) -> None:
    w = mg.Value(np.array([0.5, -1.5]))
    x = mg.Value(np.array([2.0, 3.0]), requires_grad=False)
    k = mg.Value(4.0, requires_grad=False)
    loss = ((w * x).sum() * k).tanh()
    stats = loss.backward(strategy=strategy, trace=True)
    assert not any(node is x or node is k for node in stats.visits)
    assert np.all(x.grad == 0) and k.grad == 0.0  # both would be nonzero had one flowed
    assert np.all(w.grad != 0)
    # An op whose inputs all need no gradient is a constant too.
    c = x * k
    assert not c.requires_grad and c.parents == ()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_gradients_accumulate_and_zero_grad_clears(strategy: str) -> None:
    x = mg.Value(np.array([0.3, -0.7]))
    y = mg.Value(1.2)

    def f(x: mg.Value, y: mg.Value) -> mg.Value:
        return (x * y).tanh().sum()

    f(x, y).backward(strategy=strategy)
    once_x, once_y = x.grad.copy(), y.grad
    assert np.allclose(once_x, numerical_grad(f, (x, y), 0))
    f(x, y).backward(strategy=strategy)
    assert np.allclose(x.grad, 2 * once_x)
    assert y.grad == pytest.approx(2 * once_y)
    x.zero_grad()
    y.zero_grad()
    assert np.all(x.grad == 0) and x.grad.shape == (2,)
    assert y.grad == 0.0
    f(x, y).backward(strategy=strategy)
    assert np.allclose(x.grad, once_x)


def test_ndarray_on_the_left_defers_to_value() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    arr = np.array([3.0, 5.0])
    results = [arr * x, arr + x, arr - x, arr / x, arr**x, np.ones((2, 2)) @ x]
    for out in results:
        assert isinstance(out, mg.Value)
    (arr * x).sum().backward()
    assert np.array_equal(x.grad, arr)
    assert np.array_equal((arr - x).data, arr - x.data)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_leaf_gradients_are_independent_arrays(strategy: str) -> None:
    a = mg.Value(np.array([1.0, 2.0]))
    b = mg.Value(np.array([3.0, 4.0]))
    c = a + b
    seed = np.array([0.5, -1.0])
    c.backward(seed, strategy=strategy)
    assert a.grad is not b.grad
    assert a.grad is not c.grad and b.grad is not c.grad
    a.grad *= 10.0
    assert np.array_equal(b.grad, seed)
    assert np.array_equal(c.grad, seed)
    seed[:] = 7.0  # the caller's seed is not kept either
    assert np.array_equal(b.grad, [0.5, -1.0])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_leaf_gradient_from_a_broadcast_is_writeable(strategy: str) -> None:
    a = mg.Value(np.ones((2, 3)))
    a.sum().backward(strategy=strategy)  # sum's rule hands back a read-only broadcast view
    a.grad += 1.0
    assert np.array_equal(a.grad, np.full((2, 3), 2.0))


def test_value_is_hashed_by_identity() -> None:
    x = mg.Value(1.0)
    y = mg.Value(1.0)
    assert len({x, y}) == 2
    assert x != y  # not overridden: identity
