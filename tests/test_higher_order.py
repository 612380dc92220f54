"""Second and higher derivatives: `mg.grad(create_graph=True)`, `hvp`, `hessian`, `gradgradcheck`.

Every strategy differentiates the gradient graph (the rules compute with nodes), so all of them
must agree with each other, with central differences of first derivatives, with closed forms,
and with HIPS autograd as the independent oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import BUILTIN_STRATEGIES, mlp_specs, tensor_mlp_loss

import minigrad as mg
import minigrad.ops as mg_ops
from minigrad.backward.naive import predict_calls
from minigrad.testing import gradcheck, gradgradcheck

STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)


def cubic_plus(v: mg.Value) -> mg.Value:
    """sum(v^3) + v0 v1: Hessian diag(6 v) + the off-diagonal 1s at (0, 1)."""
    return (v * v * v).sum() + v[0] * v[1]


def cubic_hessian(x: np.ndarray) -> np.ndarray:
    h = np.diag(6.0 * x)
    h[0, 1] = h[1, 0] = 1.0
    return h


# -- the contract of mg.grad ------------------------------------------------------------------


def test_grad_returns_one_value_per_input_shaped_like_it() -> None:
    w = mg.Value(np.array([[0.5, -1.0], [2.0, 0.1]]))
    s = mg.Value(0.7)
    out = (w * s).tanh().sum()
    gw, gs = mg.grad(out, [w, s])
    assert isinstance(gw, mg.Value) and gw.shape == (2, 2) and gw.dtype == w.dtype
    assert isinstance(gs, mg.Value) and type(gs.data) is float
    assert not gw.requires_grad and not gs.requires_grad  # create_graph=False: constants
    t = np.tanh(w.data * s.data)
    np.testing.assert_allclose(gw.data, (1 - t * t) * s.data)
    assert gs.data == pytest.approx(float(((1 - t * t) * w.data).sum()))


def test_grad_never_touches_dot_grad() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    x.grad = np.array([5.0, 5.0])
    (g,) = mg.grad((x * x).sum(), x, create_graph=True)
    mg.grad(g.sum(), x)
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    y = mg.Value(np.array([1.0, 2.0]))
    out = (y * 2.0).sum()
    with pytest.raises(mg.UnknownStrategyError):
        mg.grad(out, y, strategy="no-such-walk")
    assert not y.has_grad


def test_grad_of_several_outputs_adds_up_and_takes_seeds() -> None:
    x = mg.Value(np.array([1.0, -2.0, 3.0]))
    a, b = x * 2.0, x * x
    (g,) = mg.grad([a, b], x, [np.ones(3), np.array([1.0, 0.0, 2.0])])
    np.testing.assert_allclose(g.data, 2.0 + np.array([1.0, 0.0, 2.0]) * 2 * x.data)
    with pytest.raises(ValueError, match="grad_outputs"):
        mg.grad([a, b], x, [np.ones(3)])
    with pytest.raises(ValueError, match="seed"):
        mg.grad(a, x)  # a non-scalar output needs a seed
    # One output, its seed alone: an array shaped like it (also of shape (1,)), or a Value.
    (g1,) = mg.grad(a, x, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g1.data, [2.0, 4.0, 6.0])
    (g2,) = mg.grad(a, x, mg.Value(np.ones(3)))
    np.testing.assert_allclose(g2.data, [2.0, 2.0, 2.0])
    one = mg.Value(np.array([3.0]))
    (g3,) = mg.grad(one * one, one, np.ones(1))
    np.testing.assert_allclose(g3.data, [6.0])


def test_an_unused_input_gets_zeros_and_a_constant_input_is_refused() -> None:
    x, unused = mg.Value(np.array([1.0, 2.0])), mg.Value(3.0)
    _, gu = mg.grad((x * x).sum(), [x, unused])
    assert gu.data == 0.0 and type(gu.data) is float
    with pytest.raises(ValueError, match=r"inputs\[0\] does not require a gradient"):
        mg.grad((x * x).sum(), mg.Value(1.0, requires_grad=False))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_create_graph_counts_the_nodes_the_backward_pass_made(strategy: str) -> None:
    x = mg.Value(np.array([0.3, 0.4]))
    out = (x.tanh() * x).sum()
    plain = mg.grad(out, x, strategy=strategy)
    built = mg.grad(out, x, create_graph=True, strategy=strategy)
    assert plain.stats[0].created_nodes == 0
    assert built.stats[0].created_nodes > 0 and built[0].requires_grad
    assert built.stats[0].vjp_calls == plain.stats[0].vjp_calls  # the same rules ran


# -- agreement at second and third order ------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("mode", ["tensor", "scalar"])
def test_hessian_and_hvp_match_the_closed_form(strategy: str, mode: str) -> None:
    x = np.array([0.5, -1.5, 2.0])
    if mode == "tensor":
        h = mg.hessian(cubic_plus, x, strategy=strategy)
        np.testing.assert_allclose(h, cubic_hessian(x), rtol=1e-12)
        v = np.array([0.3, -0.2, 1.0])
        np.testing.assert_allclose(mg.hvp(cubic_plus, x, v, strategy=strategy), h @ v)
    else:
        f = lambda v: (v * v * v).tanh() + v.exp()  # noqa: E731
        h = mg.hessian(f, 0.4, strategy=strategy)
        t = np.tanh(0.4**3)
        exact = (-2 * t * (1 - t * t)) * (3 * 0.16) ** 2 + (1 - t * t) * 6 * 0.4 + np.exp(0.4)
        assert h.shape == () and float(h) == pytest.approx(exact, rel=1e-12)
        assert float(mg.hvp(f, 0.4, 2.0, strategy=strategy)) == pytest.approx(2 * exact)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_third_derivatives_of_scalar_functions(strategy: str) -> None:
    cases: list[tuple[Callable[[mg.Value], mg.Value], Callable[[float], float]]] = [
        (lambda v: v * v * v * v, lambda x: 24 * x),
        (lambda v: v.exp() * v, lambda x: np.exp(x) * (x + 3)),
        (lambda v: v.log(), lambda x: 2 / x**3),
        (lambda v: v**2.5, lambda x: 2.5 * 1.5 * 0.5 * x**-0.5),
        (lambda v: v.sigmoid(), lambda x: _sigmoid3(x)),
    ]
    for f, third in cases:
        x = mg.Value(0.7)
        (g1,) = mg.grad(f(x), x, create_graph=True, strategy=strategy)
        (g2,) = mg.grad(g1, x, create_graph=True, strategy=strategy)
        (g3,) = mg.grad(g2, x, strategy=strategy)
        assert g3.data == pytest.approx(third(0.7), rel=1e-10)


def _sigmoid3(x: float) -> float:
    s = 1 / (1 + np.exp(-x))
    return float(s * (1 - s) * (1 - 6 * s + 6 * s * s))


def test_gradgradcheck_passes_and_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    x = mg.Value(np.array([0.3, -0.8, 1.1]))
    assert gradgradcheck(lambda v: (v.tanh() * v).sum(), x)
    right = mg_ops.TANH

    def constant_slope(g: Any, node: Any) -> tuple[Any, ...]:
        """Right at first order, but reads tanh(x) as data: its own derivative is lost."""
        t = mg_ops.core.data_of(node.data)
        return (g * (1.0 - t * t),)

    monkeypatch.setattr(mg_ops, "TANH", mg_ops.Op(right.name, right.forward, constant_slope))
    assert gradcheck(lambda v: v.tanh().sum(), x)
    with pytest.raises(AssertionError, match="differs from central differences"):
        gradgradcheck(lambda v: v.tanh().sum(), x)


@settings(max_examples=15, deadline=None)
@given(spec=mlp_specs(mode="tensor", max_depth=3, max_width=4))
def test_strategies_agree_on_hessians_of_small_dense_nets(spec: Any) -> None:
    act = getattr(mg.Value, spec.activation)

    def loss(w0: mg.Value) -> mg.Value:
        weights = [w0, *spec.weights[1:]]
        return tensor_mlp_loss(spec.x, weights, spec.biases, spec.target, act, lambda d: d.mean())

    hessians = [mg.hessian(loss, spec.weights[0], strategy=s) for s in STRATEGIES]
    for h in hessians[1:]:
        np.testing.assert_allclose(h, hessians[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_naive_calls_on_the_gradient_graph_equal_its_predicted_path_count(strategy: str) -> None:
    x = mg.Value(0.6)
    h = x * x
    out = (h * h + h).tanh()
    (g,) = mg.grad(out, x, create_graph=True, strategy=strategy)
    stats = g.backward(strategy="naive")
    assert stats.vjp_calls == predict_calls(g) > 0


# -- HIPS autograd as the oracle ------------------------------------------------------------


autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402


def _mlp(
    tanh: Callable[[Any], Any],
    sigmoid: Callable[[Any], Any],
    constant: Callable[[Any], Any] = lambda a: a,
) -> Callable[[Any], Any]:
    """The same small net for every framework: the nonlinearities and the constants' type differ."""
    rng = np.random.default_rng(7)
    x = constant(rng.normal(size=(4, 3)))
    w2 = constant(rng.normal(size=(2, 5)))
    target = constant(rng.normal(size=(4, 2)))

    def f(w1: Any) -> Any:
        h = sigmoid(x @ w1.T) * tanh(x @ w1.T)
        d = h @ w2.T - target
        return (d * d).mean() + (w1 * w1 * w1).sum() * 0.01

    return f


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hessian_and_hvp_agree_with_autograd(strategy: str) -> None:
    ag_f = _mlp(anp.tanh, lambda z: 1 / (1 + anp.exp(-z)))
    mg_f = _mlp(lambda z: z.tanh(), lambda z: z.sigmoid())
    w1 = np.random.default_rng(3).normal(size=(5, 3))
    v = np.random.default_rng(4).normal(size=(5, 3))
    expected = autograd.hessian(ag_f)(w1)
    np.testing.assert_allclose(mg.hessian(mg_f, w1, strategy=strategy), expected, rtol=1e-10)
    ag_hvp = autograd.grad(lambda w: anp.sum(autograd.grad(ag_f)(w) * v))(w1)
    np.testing.assert_allclose(mg.hvp(mg_f, w1, v, strategy=strategy), ag_hvp, rtol=1e-10)


def test_hessian_refuses_a_large_input() -> None:
    with pytest.raises(ValueError, match=r"use mg\.hvp"):
        mg.hessian(lambda v: (v * v).sum(), np.zeros(2000))


# -- PyTorch's double backward as a second oracle (when installed) ------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hvp_agrees_with_pytorch_double_backward(strategy: str) -> None:
    torch = pytest.importorskip("torch")
    w1 = np.random.default_rng(5).normal(size=(5, 3))
    v = np.random.default_rng(6).normal(size=(5, 3))
    mg_f = _mlp(lambda z: z.tanh(), lambda z: z.sigmoid())
    torch_f = _mlp(torch.tanh, torch.sigmoid, torch.tensor)
    tw = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch_f(tw), tw, create_graph=True)
    (expected,) = torch.autograd.grad((g * torch.tensor(v)).sum(), tw)
    np.testing.assert_allclose(mg.hvp(mg_f, w1, v, strategy=strategy), expected.numpy(), rtol=1e-10)
