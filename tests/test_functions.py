"""The ops and functions a numpy, autograd or PyTorch user reaches for, beyond central differences.

tests/test_ops.py checks every op's gradient (first and second order, every strategy) at generic
points. Here: the gradient at kinks and ties against PyTorch's choice, scalar mode against tensor
mode (NaN included), dtypes, comparisons, the `mg.` functions on array-likes, numpy's dispatch
to Values (NEP 13 and 18), and the errors for what is not supported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

try:
    import torch
except ImportError:  # the optional oracle: the tests that compare with it skip without it
    torch = None

import minigrad as mg

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")


def minigrad_grads(f: Callable[..., mg.Value], *arrays: Any, strategy: str) -> list[Any]:
    xs = [mg.Value(np.array(a, dtype=np.float64)) for a in arrays]
    f(*xs).sum().backward(strategy=strategy)
    return [x.grad for x in xs]


def torch_grads(f: Callable[..., torch.Tensor], *arrays: Any) -> list[Any]:
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    f(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


# (name, minigrad function, PyTorch function, inputs at the kinks and ties)
KINKS: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("abs-at-0", lambda x: x.abs(), lambda *t: torch.abs(*t), ([0.0, -0.0, 1.5, -2.0],)),
    ("sign-everywhere", lambda x: x.sign(), lambda *t: torch.sign(*t), ([0.0, 1.5, -2.0],)),
    (
        "clip-at-the-bounds",
        lambda x: x.clip(-1.0, 1.0),
        lambda x: x.clamp(-1.0, 1.0),
        ([-1.0, 1.0, -1.5, 1.5, 0.3],),
    ),
    ("maximum-ties", mg.maximum, lambda *t: torch.maximum(*t), ([0.0, 1.0, 2.0], [0.0, 1.5, 2.0])),
    ("minimum-ties", mg.minimum, lambda *t: torch.minimum(*t), ([0.0, 1.0, 2.0], [0.0, 1.5, 2.0])),
    ("min-all-ties", lambda x: x.min(), lambda *t: torch.amin(*t), ([[1.0, 0.5], [0.5, 0.5]],)),
    (
        "min-axis-ties",
        lambda x: x.min(axis=1),
        lambda x: torch.amin(x, dim=1),
        ([[1.0, 0.5, 0.5], [2.0, 3.0, 4.0]],),
    ),
    (
        "max-axis-ties",
        lambda x: x.max(axis=0),
        lambda x: torch.amax(x, dim=0),
        ([[1.0, 0.5], [1.0, 0.7]],),
    ),
    ("prod-one-zero", lambda x: x.prod(), lambda *t: torch.prod(*t), ([2.0, 0.0, 3.0],)),
    ("prod-two-zeros", lambda x: x.prod(), lambda *t: torch.prod(*t), ([2.0, 0.0, 0.0],)),
    (
        "prod-zero-per-row",
        lambda x: x.prod(axis=1),
        lambda x: torch.prod(x, dim=1),
        ([[0.0, 2.0, 3.0], [4.0, 0.0, 0.0]],),
    ),
    ("sqrt-at-0", lambda x: x.sqrt(), lambda *t: torch.sqrt(*t), ([0.0, 4.0],)),
]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(("name", "ours", "theirs", "inputs"), KINKS, ids=[k[0] for k in KINKS])
def test_gradients_at_kinks_and_ties_are_pytorchs(
    name: str, ours: Callable[..., Any], theirs: Callable[..., Any], inputs: Any, strategy: str
) -> None:
    pytest.importorskip("torch")
    with np.errstate(divide="ignore"):  # sqrt'(0) = inf
        got = minigrad_grads(ours, *inputs, strategy=strategy)
    want = torch_grads(theirs, *inputs)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize(
    ("method", "point", "slope"),
    [
        ("abs", 0.0, 0.0),
        ("sign", 0.0, 0.0),
        ("sign", -3.0, 0.0),
        ("clip", 1.0, 1.0),  # a bound itself lets the gradient through
        ("clip", 1.0000001, 0.0),
        ("sqrt", 0.0, math.inf),
    ],
)
def test_scalar_mode_takes_the_same_subgradients(method: str, point: float, slope: float) -> None:
    x = mg.Value(point)
    out = x.clip(-1.0, 1.0) if method == "clip" else getattr(x, method)()
    assert type(out.data) is float
    out.backward()
    assert type(x.grad) is float and x.grad == slope


UNARY = ["abs", "sqrt", "sin", "cos", "exp2", "log1p", "expm1", "sign"]
POINTS = [0.0, -0.0, 0.5, -0.5, -1.0, -2.0, 3.0, 800.0, -800.0, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("method", [*UNARY, "clip"])
def test_scalar_and_tensor_mode_agree_nan_and_inf_included(method: str) -> None:
    # scalar mode computes with `math`, tensor mode with numpy: same values, same gradients
    def run(x: mg.Value) -> mg.Value:
        return x.clip(-1.0, 1.0) if method == "clip" else getattr(x, method)()

    tensor = mg.Value(np.array(POINTS))
    with np.errstate(all="ignore"):
        out = run(tensor)
        out.backward(np.ones(len(POINTS)))
        for i, point in enumerate(POINTS):
            scalar = mg.Value(point)
            value = run(scalar)
            value.backward()
            np.testing.assert_equal(value.data, out.data[i], err_msg=f"{method}({point})")
            np.testing.assert_equal(scalar.grad, tensor.grad[i], err_msg=f"{method}'({point})")


def test_maximum_and_where_propagate_nan_in_both_modes() -> None:
    assert math.isnan(mg.maximum(mg.Value(math.nan), 1.0).data)
    assert math.isnan(mg.minimum(1.0, mg.Value(math.nan)).data)
    assert np.isnan(mg.maximum(mg.Value(np.array([math.nan])), 1.0).data).all()
    assert math.isnan(mg.Value(math.nan).clip(0.0, 1.0).data)


@pytest.mark.parametrize(
    "build",
    [
        lambda x: x.abs(),
        lambda x: x.sqrt(),
        lambda x: x.sin(),
        lambda x: x.exp2(),
        lambda x: x.log1p(),
        lambda x: x.clip(0.1, 0.6),
        lambda x: x.min(axis=0),
        lambda x: x.prod(axis=1),
        lambda x: x.cumsum(1),
        lambda x: x.var(axis=0, ddof=1),
        lambda x: x.std(),
        lambda x: x.logsumexp(axis=1),
        lambda x: x.softmax(),
        lambda x: x.log_softmax(axis=0),
        lambda x: mg.maximum(x, 0.5),
        lambda x: mg.where(x > 0.5, x, 0.0),
        lambda x: mg.concatenate([x, x], axis=1),
        lambda x: mg.stack([x, x]),
        lambda x: mg.einsum("ij,kj->ik", x, x),
        lambda x: mg.outer(x[0], x[1]),
    ],
)
def test_float32_stays_float32(build: Callable[[mg.Value], mg.Value]) -> None:
    x = mg.Value(np.array([[0.5, 0.25, 0.75], [0.2, 0.9, 0.4]], dtype=np.float32))
    out = build(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_var_and_std_match_numpy_and_torch() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    data = rng.standard_normal((4, 5))
    for axis, ddof in ((None, 0), (0, 1), (1, 0), ((0, 1), 1)):
        x = mg.Value(data)
        out = x.std(axis=axis, ddof=ddof)
        np.testing.assert_allclose(out.data, np.std(data, axis=axis, ddof=ddof), rtol=1e-13)
        np.testing.assert_allclose(
            x.var(axis=axis, ddof=ddof).data, np.var(data, axis=axis, ddof=ddof), rtol=1e-13
        )
        out.sum().backward()
        t = torch.tensor(data, requires_grad=True)
        dim = axis if axis is not None else None
        torch.std(t, dim=dim, correction=ddof).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_logsumexp_softmax_are_stable_and_match_torch() -> None:
    pytest.importorskip("torch")
    data = np.array([[1000.0, 1000.5, -1000.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    x = mg.Value(data)
    t = torch.tensor(data)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(x.logsumexp(axis=1).data, torch.logsumexp(t, 1).numpy())
        np.testing.assert_allclose(x[:2].softmax().data, torch.softmax(t[:2], -1).numpy())
        np.testing.assert_allclose(x[:2].log_softmax().data, torch.log_softmax(t[:2], -1).numpy())


def test_nn_functional_softmax_is_the_value_method() -> None:
    from minigrad.nn import functional

    x = mg.Value(np.array([[0.3, -1.2, 2.0]]))
    np.testing.assert_array_equal(functional.softmax(x).data, x.softmax().data)
    np.testing.assert_array_equal(functional.log_softmax(x, 0).data, x.log_softmax(0).data)


def test_scan_and_shape_functions_match_numpy() -> None:
    data = np.arange(24.0).reshape(2, 1, 3, 4)
    x = mg.Value(data)
    for axis in (None, 0, 2, -1):
        np.testing.assert_array_equal(x.cumsum(axis).data, np.cumsum(data, axis=axis))
    np.testing.assert_array_equal(x.squeeze().data, np.squeeze(data))
    assert x.squeeze(1).shape == (2, 3, 4)
    assert x.expand_dims((0, 2)).shape == np.expand_dims(data, (0, 2)).shape
    assert x.swapaxes(0, -1).shape == (4, 1, 3, 2)
    np.testing.assert_array_equal(x.swapaxes(1, 3).data, np.swapaxes(data, 1, 3))
    assert x.ravel().shape == x.flatten().shape == (24,)
    np.testing.assert_array_equal(mg.dot(x, np.ones((4, 2))).data, np.dot(data, np.ones((4, 2))))
    b = np.arange(24.0).reshape(2, 4, 3)
    np.testing.assert_array_equal(mg.dot(x[:, 0], b).data, np.dot(data[:, 0], b))


# -- comparisons ------------------------------------------------------------------------------


def test_comparisons_are_bools_in_scalar_mode_and_bool_arrays_in_tensor_mode() -> None:
    a, b = mg.Value(1.0), mg.Value(2.0)
    assert (a < b) is True and (a >= b) is False and (a <= 1.0) is True
    assert (2 > a) is True  # noqa: SIM300 - the reflected comparison
    x = mg.Value(np.array([-1.0, 0.0, 2.0]))
    for got, want in (
        (x > 0, [False, False, True]),
        (x <= 0, [True, True, False]),
        (0 < x, [False, False, True]),  # noqa: SIM300 - the reflected comparison
        (np.zeros(3) >= x, [True, True, False]),
        (x < b, [True, True, False]),
    ):
        assert isinstance(got, np.ndarray) and got.dtype == bool
        np.testing.assert_array_equal(got, want)


def test_equality_is_identity_and_equal_compares_values() -> None:
    a, b = mg.Value(1.0), mg.Value(1.0)
    assert a == a and a != b and len({a, b}) == 2  # hashable, keyed by identity
    assert mg.equal(a, b) is True
    np.testing.assert_array_equal(mg.equal(mg.Value(np.array([1.0, 2.0])), 2.0), [False, True])


def test_where_with_a_comparison_is_a_leaky_relu() -> None:
    x = mg.Value(np.array([-2.0, 3.0]))
    y = mg.where(x > 0, x, 0.1 * x)
    np.testing.assert_allclose(y.data, [-0.2, 3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 1.0])


# -- the functions take array-likes ------------------------------------------------------------


def test_functions_take_values_and_array_likes() -> None:
    assert mg.exp([0.0, 1.0]).requires_grad is False
    np.testing.assert_allclose(mg.sqrt([4.0, 9.0]).data, [2.0, 3.0])
    np.testing.assert_allclose(mg.maximum([1.0, 5.0], 2.0).data, [2.0, 5.0])
    x = mg.Value(np.array([1.0, 2.0]))
    joined = mg.concatenate([x, [3.0], np.array([4.0])])
    np.testing.assert_array_equal(joined.data, [1.0, 2.0, 3.0, 4.0])
    joined.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    stacked = mg.stack([mg.Value(1.0), mg.Value(2.0)])
    assert stacked.shape == (2,)
    for name in ("tanh", "sigmoid", "relu", "softplus", "log", "sin", "cos", "abs", "sign"):
        np.testing.assert_allclose(getattr(mg, name)(2.0).data, getattr(mg.Value(2.0), name)().data)
    assert mg.abs(-3.0).data == 3.0 and abs(mg.Value(-3.0)).data == 3.0


def test_einsum_matches_numpy_and_torch() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    for spec, operands in (
        ("ij,jk->ik", (a, b)),
        ("ij,jk", (a, b)),
        ("ij,jk,k->i", (a, b, c)),
        ("ij->ji", (a,)),
        ("ij,jk->", (a, b)),
    ):
        xs = [mg.Value(o) for o in operands]
        out = mg.einsum(spec, *xs)
        np.testing.assert_allclose(out.data, np.einsum(spec, *operands), rtol=1e-13)
        out.sum().backward()
        ts = [torch.tensor(o, requires_grad=True) for o in operands]
        torch.einsum(spec, *ts).sum().backward()
        for x, t in zip(xs, ts, strict=True):
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


# -- numpy dispatch (NEP 13, NEP 18) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("numpy_call", "minigrad_call"),
    [
        (lambda v: np.exp(v), lambda v: v.exp()),
        (lambda v: np.sum(v, axis=1), lambda v: v.sum(axis=1)),
        (lambda v: np.mean(v, axis=0, keepdims=True), lambda v: v.mean(axis=0, keepdims=True)),
        (lambda v: np.max(v, axis=1), lambda v: v.max(axis=1)),
        (lambda v: np.concatenate([v, v]), lambda v: mg.concatenate([v, v])),
        (lambda v: np.stack([v, v], axis=1), lambda v: mg.stack([v, v], axis=1)),
        (lambda v: np.maximum(v, 0), lambda v: mg.maximum(v, 0.0)),
        (lambda v: np.where(v > 0, v, 0.0), lambda v: mg.where(v > 0, v, 0.0)),
        (lambda v: np.abs(v), lambda v: abs(v)),
        (lambda v: np.tanh(v) ** 2, lambda v: v.tanh() ** 2),
        (lambda v: np.arange(3.0) * v, lambda v: v * np.arange(3.0)),
        (lambda v: np.ones((2, 3)) + v, lambda v: v + 1.0),
        (lambda v: np.ones((3, 2)) @ v, lambda v: mg.matmul(np.ones((3, 2)), v)),
        (lambda v: np.float64(2.0) / v, lambda v: 2.0 / v),
        (lambda v: np.dot(v, np.ones(3)), lambda v: v @ np.ones(3)),
        (lambda v: np.einsum("ij->j", v), lambda v: v.sum(axis=0)),
        (lambda v: np.reshape(v, (3, 2)), lambda v: v.reshape(3, 2)),
        (lambda v: np.transpose(v), lambda v: v.T),
        (lambda v: np.clip(v, -0.5, 0.5), lambda v: v.clip(-0.5, 0.5)),
        (lambda v: np.cumsum(v, axis=1), lambda v: v.cumsum(1)),
        (lambda v: np.square(v), lambda v: v * v),
        (lambda v: np.power(v, 3), lambda v: v**3),
    ],
)
def test_numpy_functions_dispatch_to_minigrad(
    numpy_call: Callable[[Any], Any], minigrad_call: Callable[[Any], Any]
) -> None:
    data = np.array([[0.3, -1.2, 0.8], [1.5, -0.1, -0.6]])
    x, y = mg.Value(data), mg.Value(data)
    out, want = numpy_call(x), minigrad_call(y)
    assert isinstance(out, mg.Value)
    np.testing.assert_allclose(out.data, want.data, rtol=1e-14)
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-14)


def test_numpy_shape_queries_answer_for_the_data() -> None:
    x = mg.Value(np.ones((2, 3)))
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and np.size(x) == 6
    np.testing.assert_array_equal(np.isfinite(mg.Value(np.array([1.0, np.inf]))), [True, False])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda v: np.sort(v), "numpy.sort"),
        (lambda v: np.linalg.norm(v), "numpy.linalg.norm"),
        (lambda v: np.arctan(v), "numpy.arctan"),
        (lambda v: np.add.reduce(v), "numpy.add.reduce"),
        (lambda v: np.maximum.accumulate(v), "numpy.maximum.accumulate"),
        (lambda v: np.exp(v, out=np.empty(3)), "numpy.exp"),
        (lambda v: np.array([v, v]), "mg.stack"),
        (lambda v: np.asarray(v), "v.numpy()"),
    ],
)
def test_unsupported_numpy_calls_raise_type_errors_naming_them(
    call: Callable[[Any], Any], name: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(name)) as info:
        call(mg.Value(np.array([1.0, 2.0, 3.0])))
    assert "object" not in str(info.value)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda x: x.clip(), TypeError, "clip needs"),
        (lambda x: x.squeeze(0), mg.ShapeError, r"squeeze\(0\) does not fit shape \(2, 3\)"),
        (lambda x: x.expand_dims(5), mg.ShapeError, r"shape \(2, 3\)"),
        (lambda x: x.swapaxes(0, 2), mg.ShapeError, r"swapaxes\(0, 2\).*\(2, 3\)"),
        (lambda x: mg.einsum("ii->i", x), ValueError, "repeats in operand 0"),
        (lambda x: mg.einsum("...i->i", x), ValueError, "not supported"),
        (lambda x: mg.einsum("ij,jk->ik", x), ValueError, "names 2 operands, got 1"),
        (lambda x: mg.einsum("ij->k", x), ValueError, "output letters"),
        (lambda x: mg.einsum("ij,jk->ik", x, x), mg.ShapeError, r"\(2, 3\) and \(2, 3\)"),
        (lambda x: mg.concatenate([x, np.ones((3, 3))], axis=1), mg.ShapeError, r"\(3, 3\)"),
        (lambda x: mg.stack([x, x[0]]), mg.ShapeError, r"\(2, 3\) and \(3,\)"),
        (lambda x: mg.concatenate([]), ValueError, "at least one"),
        (lambda x: mg.maximum(x, np.ones(4)), mg.ShapeError, r"\(2, 3\) and \(4,\)"),
        (lambda x: mg.where(np.ones(4, bool), x, 0.0), mg.ShapeError, r"\(2, 3\)"),
        (lambda x: x.cumsum(2), mg.ShapeError, r"\(2, 3\)"),
        (lambda x: x.prod(axis=3), mg.ShapeError, r"\(2, 3\)"),
    ],
)
def test_bad_arguments_raise_clear_errors(
    call: Callable[[mg.Value], Any], error: type[Exception], needle: str
) -> None:
    x = mg.Value(np.ones((2, 3)))
    with pytest.raises(error, match=needle):
        call(x)
