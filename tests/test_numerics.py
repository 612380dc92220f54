"""Numerical stability for |x| up to 1e4, in scalar mode (Python floats) and tensor mode.

sigmoid, tanh, log, softplus, log_softmax/softmax and the losses (mse_loss,
binary_cross_entropy_with_logits, cross_entropy) must give finite values and gradients wherever
the mathematics does, raise no warning (warnings are errors here, and numpy's overflow, divide
and invalid flags raise), and agree with references computed in np.longdouble (float128 on
x86-64: its exponent range reaches e^11356, so the naive formulas are exact enough there) and with
torch when it is installed.

Tolerances: values and gradients within a few ulps relative; absolute errors of the size of one
rounding of the input are allowed where the answer is a difference of nearly equal numbers
(e.g. softplus(x) - x*y for large x, or 1 - tanh(x)^2 once tanh(x) rounds to 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import large_floats, positive_large_floats

import minigrad as mg
from minigrad.nn import functional as F  # noqa: N812 - the usual name

pytestmark = pytest.mark.filterwarnings("error")

LD = np.longdouble
EPS = float(np.finfo(np.float64).eps)
EXTREMES = [
    -1e4, -1e3, -745.2, -710.0, -709.0, -100.0, -40.0, -20.0, -1.0, -1e-8, 0.0,
    1e-8, 1.0, 20.0, 40.0, 100.0, 709.0, 710.0, 745.2, 1e3, 1e4,
]  # fmt: skip
POSITIVE = [1e-300, 1e-100, 1e-8, 1e-3, 0.5, 1.0, 2.0, 709.0, 710.0, 1e3, 1e4]

if np.finfo(LD).maxexp < 16384:  # pragma: no cover - e.g. Windows, where longdouble is double
    pytest.skip("np.longdouble is not an extended type here", allow_module_level=True)


@pytest.fixture(autouse=True)
def _floating_point_errors_raise() -> Iterator[None]:
    """Overflow, division by zero and invalid operations raise (underflow to 0 is fine)."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


# -- references in long double -------------------------------------------------------------------


def ld(x: Any) -> Any:
    return np.asarray(x, dtype=LD)


def ref_sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-ld(x)))


def ref_tanh_grad(x: Any) -> Any:
    """1 / cosh(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): no overflow anywhere."""
    e = np.exp(-2 * np.abs(ld(x)))
    return 4 * e / (1 + e) ** 2


def ref_log_softmax(x: Any) -> Any:
    z = ld(x)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


ELEMENTWISE: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sigmoid": (ref_sigmoid, lambda x: ref_sigmoid(x) * (1 - ref_sigmoid(x))),
    "tanh": (lambda x: np.tanh(ld(x)), ref_tanh_grad),
    "softplus": (lambda x: np.log1p(np.exp(ld(x))), ref_sigmoid),
    "log": (lambda x: np.log(ld(x)), lambda x: 1 / ld(x)),
}
"""name -> (reference value, reference derivative)."""


def assert_near(ours: Any, ref: Any, what: str, rtol: float = 4 * EPS, atol: float = 0.0) -> None:
    """ours is finite and within rtol (relative) or atol (absolute) of the long-double ref."""
    ours = np.asarray(ours, dtype=np.float64)
    want = np.asarray(ref, dtype=LD)
    assert np.all(np.isfinite(ours)), f"{what}: non-finite result {ours}"
    error = np.abs(ld(ours) - want)
    allowed = np.maximum(rtol * np.abs(want), atol) + LD(1e-300)  # subnormal results
    bad = error > allowed
    assert not np.any(bad), (
        f"{what}: at {np.argwhere(bad)[:3].tolist()} got {ours[bad][:3]}, "
        f"want {np.asarray(want[bad][:3], dtype=np.float64)}"
    )


def elementwise_atol(name: str) -> float:
    """tanh' and sigmoid' use 1 - t^2 and s(1 - s): once t, s round to 1 the answer is 0,
    off by at most one ulp of 1 (torch computes them the same way)."""
    return EPS if name in ("tanh", "sigmoid") else 0.0


def domain(name: str) -> list[float]:
    return POSITIVE if name == "log" else EXTREMES


# -- elementwise ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_tensor_mode_at_extremes(name: str) -> None:
    xs = np.array(domain(name))
    value, derivative = ELEMENTWISE[name]
    x = mg.Value(xs)
    y = getattr(x, name)()
    y.sum().backward()
    assert_near(y.data, value(xs), f"{name} value")
    assert_near(x.grad, derivative(xs), f"{name} gradient", atol=elementwise_atol(name))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_scalar_mode_at_extremes(name: str) -> None:
    value, derivative = ELEMENTWISE[name]
    for v in domain(name):
        x = mg.Value(v)
        y = getattr(x, name)()
        y.backward()
        assert type(y.data) is float and type(x.grad) is float
        assert_near(y.data, value(v), f"{name}({v}) value")
        assert_near(x.grad, derivative(v), f"{name}'({v})", atol=elementwise_atol(name))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(data=st.data())
def test_elementwise_random_large_inputs(name: str, data: st.DataObject) -> None:
    elements = positive_large_floats if name == "log" else large_floats
    xs = data.draw(hnp.arrays(np.float64, data.draw(st.integers(1, 8)), elements=elements))
    value, derivative = ELEMENTWISE[name]
    x = mg.Value(xs)
    getattr(x, name)().sum().backward()
    assert_near(x.grad, derivative(xs), f"{name} gradient", atol=elementwise_atol(name))
    s = mg.Value(float(xs[0]))
    out = getattr(s, name)()
    out.backward()
    assert_near(out.data, value(xs[0]), f"{name} scalar value")
    assert_near(s.grad, derivative(xs[0]), f"{name} scalar gradient", atol=elementwise_atol(name))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_float32_elementwise_at_extremes(name: str) -> None:
    """float32 has its own overflow threshold (exp overflows past 88.7): still no warning."""
    xs = np.array(EXTREMES, dtype=np.float32)
    x = mg.Value(xs)
    y = getattr(x, name)()
    y.sum().backward()
    assert y.data.dtype == np.float32 and x.grad.dtype == np.float32
    value, derivative = ELEMENTWISE[name]
    eps32 = float(np.finfo(np.float32).eps)
    assert_near(y.data, value(xs), f"{name} value", rtol=4 * eps32, atol=1e-37)
    assert_near(x.grad, derivative(xs), f"{name} gradient", rtol=4 * eps32, atol=eps32)


# -- softmax and log-softmax ---------------------------------------------------------------------

logit_rows = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=large_floats
)


def _weights(shape: tuple[int, ...]) -> Any:
    return np.linspace(-1.0, 2.0, math.prod(shape)).reshape(shape)


def check_log_softmax(logits: Any) -> None:
    w = _weights(logits.shape)
    x = mg.Value(logits)
    y = F.log_softmax(x, axis=-1)
    (y * w).sum().backward()
    ref = ref_log_softmax(logits)
    scale = max(1.0, float(np.max(np.abs(logits))))
    assert_near(y.data, ref, "log_softmax", atol=4 * EPS * scale)
    softmax = np.exp(ref)
    ref_grad = w - softmax * w.sum(axis=-1, keepdims=True)
    assert_near(x.grad, ref_grad, "log_softmax gradient", atol=8 * EPS)

    x = mg.Value(logits)
    s = F.softmax(x, axis=-1)
    (s * w).sum().backward()
    assert_near(s.data, softmax, "softmax", atol=4 * EPS)
    assert_near(s.data.sum(axis=-1), np.ones(len(logits)), "softmax rows sum to 1", rtol=8 * EPS)
    ref_grad = softmax * (w - (softmax * w).sum(axis=-1, keepdims=True))
    assert_near(x.grad, ref_grad, "softmax gradient", atol=8 * EPS)


def test_log_softmax_at_extremes() -> None:
    check_log_softmax(
        np.array(
            [
                [1e4, -1e4, 0.0],
                [-1e4, -1e4, -1e4],
                [1e4, 1e4 - 1.0, 9e3],
                [710.0, -710.0, 709.0],
                [-745.0, 0.0, 745.0],
            ]
        )
    )


@given(logits=logit_rows)
def test_log_softmax_random_large_rows(logits: Any) -> None:
    check_log_softmax(logits)


# -- losses --------------------------------------------------------------------------------------


def scalar_rows(array: Any) -> list[list[mg.Value]]:
    return [[mg.Value(float(v)) for v in row] for row in array]


def grads_of(rows: list[list[mg.Value]]) -> Any:
    return np.array([[v.grad for v in row] for row in rows])


def run_loss(loss: Callable[[Any, Any], mg.Value], pred: Any, target: Any, mode: str) -> Any:
    """(loss value, d loss / d pred) in tensor or scalar mode."""
    if mode == "tensor":
        x = mg.Value(pred)
        out = loss(x, target)
        out.backward()
        return out.item(), x.grad
    rows = scalar_rows(pred)
    out = loss(rows, target)
    out.backward()
    assert type(out.data) is float
    return out.data, grads_of(rows)


def ref_bce(x: Any, y: Any) -> tuple[Any, Any]:
    z = ld(x)
    softplus = np.log1p(np.exp(z))
    return np.mean(softplus - z * y), (ref_sigmoid(x) - y) / x.size


def ref_cross_entropy(x: Any, labels: Any) -> tuple[Any, Any]:
    logp = ref_log_softmax(x)
    n = len(x)
    onehot = np.eye(x.shape[1])[labels]
    return -np.mean(logp[np.arange(n), labels]), (np.exp(logp) - onehot) / n


def ref_mse(x: Any, t: Any) -> tuple[Any, Any]:
    d = ld(x) - ld(t)
    return np.mean(d * d), 2 * d / x.size


def check_losses(logits: Any, mode: str) -> None:
    n, c = logits.shape
    scale = max(1.0, float(np.max(np.abs(logits))))
    targets01 = (np.arange(n * c).reshape(n, c) % 2).astype(np.float64)
    labels = np.arange(n) % c

    value, grad = run_loss(F.binary_cross_entropy_with_logits, logits, targets01, mode)
    want, want_grad = ref_bce(logits, targets01)
    assert_near(value, want, f"{mode} bce", atol=4 * EPS * scale)
    assert_near(grad, want_grad, f"{mode} bce gradient", atol=2 * EPS / logits.size)

    value, grad = run_loss(F.cross_entropy, logits, labels, mode)
    want, want_grad = ref_cross_entropy(logits, labels)
    assert_near(value, want, f"{mode} cross_entropy", atol=8 * EPS * scale)
    assert_near(grad, want_grad, f"{mode} cross_entropy gradient", atol=4 * EPS / n)

    target = logits[::-1].copy() * 0.5
    value, grad = run_loss(F.mse_loss, logits, target, mode)
    want, want_grad = ref_mse(logits, target)
    assert_near(value, want, f"{mode} mse", rtol=8 * EPS)
    assert_near(grad, want_grad, f"{mode} mse gradient", rtol=8 * EPS)


EXTREME_LOGITS = np.array(
    [[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [710.0, -745.0, 40.0], [-40.0, 1e-8, 709.0]]
)


@pytest.mark.parametrize("mode", ["tensor", "scalar"])
def test_losses_at_extremes(mode: str) -> None:
    check_losses(EXTREME_LOGITS, mode)


@pytest.mark.parametrize("mode", ["tensor", "scalar"])
@given(logits=logit_rows)
def test_losses_random_large_logits(mode: str, logits: Any) -> None:
    check_losses(logits, mode)


def test_bce_saturated_logits_give_exact_gradients() -> None:
    """At |x| = 1e4 the gradient sigmoid(x) - y is exactly 0 or +-1/n: no NaN, no 0 * inf."""
    x = mg.Value(np.array([1e4, -1e4, 1e4, -1e4]))
    loss = F.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0, 0.0, 1.0]))
    loss.backward()
    assert loss.item() == pytest.approx(2e4 / 4, rel=1e-15)
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25, -0.25])


# -- torch, when installed -----------------------------------------------------------------------


def test_against_torch() -> None:
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    xs = np.array(EXTREMES)
    for name, fn in [
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("softplus", lambda t: tF.softplus(t, threshold=40.0)),
    ]:
        x = mg.Value(xs)
        y = getattr(x, name)()
        y.sum().backward()
        t = torch.tensor(xs, requires_grad=True)
        out = fn(t)
        out.sum().backward()
        # torch's softplus returns x itself past its threshold: off by log1p(e^-40) ~ 4e-18
        np.testing.assert_allclose(y.data, out.detach().numpy(), rtol=1e-15, atol=1e-17)
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15, atol=2 * EPS)

    logits = EXTREME_LOGITS
    labels = np.arange(len(logits)) % logits.shape[1]
    targets01 = (np.arange(logits.size).reshape(logits.shape) % 2).astype(np.float64)
    cases: list[tuple[str, Callable[[Any], mg.Value], Callable[[Any], Any]]] = [
        (
            "log_softmax",
            lambda v: (F.log_softmax(v) * _weights(logits.shape)).sum(),
            lambda t: (tF.log_softmax(t, dim=-1) * torch.tensor(_weights(logits.shape))).sum(),
        ),
        (
            "softmax",
            lambda v: (F.softmax(v) * _weights(logits.shape)).sum(),
            lambda t: (tF.softmax(t, dim=-1) * torch.tensor(_weights(logits.shape))).sum(),
        ),
        (
            "cross_entropy",
            lambda v: F.cross_entropy(v, labels),
            lambda t: tF.cross_entropy(t, torch.tensor(labels)),
        ),
        (
            "bce",
            lambda v: F.binary_cross_entropy_with_logits(v, targets01),
            lambda t: tF.binary_cross_entropy_with_logits(t, torch.tensor(targets01)),
        ),
        (
            "mse",
            lambda v: F.mse_loss(v, logits * 0.5),
            lambda t: tF.mse_loss(t, torch.tensor(logits * 0.5)),
        ),
    ]
    scale = float(np.max(np.abs(logits)))
    for name, ours, theirs in cases:
        x = mg.Value(logits)
        value = ours(x)
        value.backward()
        t = torch.tensor(logits, requires_grad=True)
        want = theirs(t)
        want.backward()
        assert math.isfinite(value.item()) and np.all(np.isfinite(x.grad)), name
        assert value.item() == pytest.approx(want.item(), rel=1e-14, abs=8 * EPS * scale), name
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-13, atol=8 * EPS, err_msg=name)


# -- the edges of the domain: scalar mode gives numpy's answers, as tensor mode does --------------

EDGES: dict[str, tuple[Callable[..., mg.Value], tuple[float, ...]]] = {
    "log(0)": (lambda x: x.log(), (0.0,)),
    "1 / 0": (lambda x, y: x / y, (1.0, 0.0)),
    "-1 / 0": (lambda x, y: x / y, (-1.0, 0.0)),
    "0 ** 0.5": (lambda x: x**0.5, (0.0,)),
    "0 ** -1": (lambda x: x**-1, (0.0,)),
    "(-2) ** 0.5": (lambda x: x**0.5, (-2.0,)),
    "1e200 ** 3": (lambda x: x**3, (1e200,)),
    "0 ** y": (lambda x, y: x**y, (0.0, 2.0)),
    "(-2) ** y": (lambda x, y: x**y, (-2.0, 2.0)),
    "(-2) ** 0.5 (Value)": (lambda x, y: x**y, (-2.0, 0.5)),
}


@pytest.mark.parametrize("case", sorted(EDGES))
def test_domain_edges_scalar_mode_matches_tensor_mode(case: str) -> None:
    """A forward that gives inf or nan has a backward that does too, never an exception
    (before the fix, scalar mode raised ZeroDivisionError, ValueError or OverflowError from
    inside the backward rules of log, /, ** and ** n). Use detect_anomaly() to catch these."""
    program, inputs = EDGES[case]
    with np.errstate(all="ignore"):  # numpy's answers for tensor mode, without its warnings
        arrays = [mg.Value(np.array([v])) for v in inputs]
        tensor_out = program(*arrays)
        tensor_out.sum().backward()
    floats = [mg.Value(v) for v in inputs]
    out = program(*floats)
    out.backward()  # must not raise
    assert type(out.data) is float
    np.testing.assert_array_equal(out.data, tensor_out.data[0])
    for f, a in zip(floats, arrays, strict=True):
        assert type(f.grad) is float
        np.testing.assert_array_equal(f.grad, a.grad[0], err_msg=case)
