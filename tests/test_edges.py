"""Values and gradients at the edges of each op's domain: 0, -0.0, +-inf and nan.

Two promises: scalar mode (Python floats through `math`) and tensor mode (numpy) give the same
answer on the same input, values and gradients, nan included; and where a textbook formula meets
0 * inf or 0 * log 0 but the derivative is 0 (powers at 0), the gradient is 0, as PyTorch gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

try:
    import torch
except ImportError:  # the optional oracle: the tests that compare with it skip without it
    torch = None

from strategies import OPERATORS

import minigrad as mg
from minigrad.testing import gradcheck, gradgradcheck

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's nan/inf warnings

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 2.0, 800.0, -800.0]
UNARY: dict[str, Callable[[Any], Any]] = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "softplus": lambda x: x.softplus(),
    "relu": lambda x: x.relu(),
    "neg": lambda x: -x,
    "square": lambda x: x**2,
    "power 0": lambda x: x**0.0,
    "power 1": lambda x: x**1,
    "power 0.5": lambda x: x**0.5,
    "power -1": lambda x: x**-1,
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "max": lambda x: x.max(),
}
BINARY = {symbol: f for symbol, f in OPERATORS.items() if symbol != "@"}  # + - * / **
PAIRS = [(a, b) for a in (math.nan, math.inf, -math.inf, 0.0, -0.0, 2.0, -2.0) for b in SPECIAL]


def _run(f: Callable[..., Any], xs: list[float], tensor: bool) -> tuple[Any, ...]:
    """f's value and the gradient of each input, as floats, in scalar or tensor mode."""
    values = [mg.Value(np.array(x) if tensor else x) for x in xs]
    out = f(*values)
    out.backward()
    return (float(out.data), *(float(v.grad) for v in values))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal as numbers, nan equal to nan, and 0.0 told from -0.0 in values."""
    return all(
        (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_agree_between_modes_at_special_values(name: str) -> None:
    for x in SPECIAL:
        scalar, tensor = _run(UNARY[name], [x], False), _run(UNARY[name], [x], True)
        assert _same(scalar[:1], tensor[:1]), f"{name}({x}): scalar {scalar}, tensor {tensor}"
        assert _same(scalar[1:], tensor[1:]) or scalar[1:] == tensor[1:], (name, x, scalar, tensor)


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_a_nan_wins_its_reduction_and_takes_the_gradient_as_in_torch_max(reduce: str) -> None:
    x = mg.Value(np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, np.nan], [1.0, 2.0, 2.0]]))
    getattr(x, reduce)(axis=1).sum().backward()
    last_row = [0.0, 0.5, 0.5] if reduce == "max" else [1.0, 0.0, 0.0]  # no nan: as always
    expected = [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], last_row]
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_agree_between_modes_at_special_values(name: str) -> None:
    for a, b in PAIRS:
        scalar, tensor = _run(BINARY[name], [a, b], False), _run(BINARY[name], [a, b], True)
        assert _same(scalar[:1], tensor[:1]), f"{name}({a}, {b}): scalar {scalar}, tensor {tensor}"
        assert all(
            (math.isnan(s) and math.isnan(t)) or s == t
            for s, t in zip(scalar[1:], tensor[1:], strict=True)
        ), f"d {name}({a}, {b}): scalar {scalar[1:]}, tensor {tensor[1:]}"


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "softplus", "relu"])
def test_unary_values_match_torch_at_special_values(name: str) -> None:
    """nan propagates and the infinities map as PyTorch maps them."""
    pytest.importorskip("torch")
    expected = getattr(torch, name) if name != "softplus" else torch.nn.functional.softplus
    for x in SPECIAL:
        got = _run(UNARY[name], [x], False)[0]
        want = float(expected(torch.tensor(x, dtype=torch.float64)))
        assert _same((got,), (want,)) or got == want, f"{name}({x}) = {got}, torch says {want}"


def _torch_pow_grads(a: float, b: float) -> tuple[float, float]:
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (ta**tb).backward()
    assert ta.grad is not None and tb.grad is not None
    return float(ta.grad), float(tb.grad)


@pytest.mark.parametrize("tensor", [False, True], ids=["scalar", "tensor"])
def test_powers_at_zero_have_pytorchs_gradients(tensor: bool) -> None:
    """x ** 0 at 0 and 0 ** y for y >= 0 have slope 0, not the nan of 0 * inf or 0 * log 0."""
    pytest.importorskip("torch")
    for a in (0.0, -0.0, 2.0, 0.5):
        for b in (0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -0.5):
            got = _run(lambda x, y: x**y, [a, b], tensor)[1:]
            want = _torch_pow_grads(a, b)
            assert _same(got, want) or got == want, f"d({a} ** {b}) = {got}, torch says {want}"
    for n in (0.0, 0, 1.0, 2.0, 3):
        got_n = _run(lambda x: x**n, [0.0], tensor)[1]  # noqa: B023 - used at once
        ta = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (ta**n).backward()
        assert ta.grad is not None
        assert got_n == float(ta.grad), f"d(0 ** {n}) = {got_n}, torch says {float(ta.grad)}"


def test_power_rules_keep_their_derivatives_away_from_zero() -> None:
    """The masks that fix the edge leave first and second derivatives elsewhere as they were."""
    base = mg.Value(np.array([0.5, 1.5, 2.0, 3.0]))
    exponent = mg.Value(np.array([0.0, 2.0, 0.0, -1.5]))
    assert gradcheck(lambda a, b: (a**b).sum(), base, exponent)
    assert gradgradcheck(lambda a, b: (a**b).sum(), base, exponent)
    assert gradgradcheck(lambda a: (a**0.0 + a**3).sum(), base)


def test_second_derivatives_at_zero_stay_finite_where_pytorchs_do() -> None:
    """The gradient graph of x ** 0 and 0 ** y is built and differentiated without nan."""
    x = mg.Value(np.array([0.0, 1.0]))
    y = mg.Value(np.array([0.0, 2.0]))
    (gx, gy) = mg.grad((x**y).sum(), [x, y], create_graph=True)
    assert np.array_equal(gx.data, [0.0, 2.0]) and np.array_equal(gy.data, [0.0, 0.0])
    (gx2,) = mg.grad((x**0.0).sum(), [x], create_graph=True)
    assert np.array_equal(gx2.data, [0.0, 0.0])
