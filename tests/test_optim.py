"""SGD and Adam against PyTorch's update formulas (written out in numpy here) and torch.optim.

PyTorch's definitions (torch.optim.SGD / torch.optim.Adam docs; dampening 0, no nesterov, no
amsgrad), with g the gradient and t the step count from 1:

    SGD:  g += weight_decay * p;  b = g (t = 1) or momentum * b + g;  p -= lr * b
    Adam: g += weight_decay * p;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
          p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from strategies import close

import minigrad as mg
from minigrad.nn import functional as F  # noqa: N812 - the usual name

Array = NDArray[np.float64]
GradFn = Callable[[list[Array]], list[Array]]


# -- the formulas, in numpy ------------------------------------------------------------------------


def sgd_reference(
    params: list[Array],
    grad_fn: GradFn,
    steps: int,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> list[Array]:
    params = [p.copy() for p in params]
    buffers: list[Array | None] = [None] * len(params)
    for _ in range(steps):
        for i, (p, grad) in enumerate(zip(params, grad_fn(params), strict=True)):
            g = grad + weight_decay * p
            if momentum:
                buf = buffers[i]
                buffers[i] = g.copy() if buf is None else momentum * buf + g
                g = buffers[i]
            params[i] = p - lr * g
    return params


def adam_reference(
    params: list[Array],
    grad_fn: GradFn,
    steps: int,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> list[Array]:
    beta1, beta2 = betas
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        for i, (p, grad) in enumerate(zip(params, grad_fn(params), strict=True)):
            g = grad + weight_decay * p
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            params[i] = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


# A least-squares problem whose gradient depends on the parameters, so that every step differs.
RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 4))
Y = RNG.normal(size=(6, 3))
W0 = RNG.normal(size=(3, 4))
B0 = RNG.normal(size=3)


def least_squares_grad(params: list[Array]) -> list[Array]:
    """d/dW, d/db of mean((X W^T + b - Y)^2)."""
    w, b = params
    r = 2 * (X @ w.T + b - Y) / Y.size
    return [r.T @ X, r.sum(axis=0)]


def run_minigrad(make: Callable[[list[mg.Value]], mg.optim.Optimizer], steps: int) -> list[Array]:
    """The same problem with minigrad's optimizer; the gradient is set by hand each step."""
    params = [mg.Value(W0.copy()), mg.Value(B0.copy())]
    opt = make(params)
    for _ in range(steps):
        opt.zero_grad()
        for p, g in zip(params, least_squares_grad([p.data for p in params]), strict=True):
            p.grad = g
        opt.step()
    return [np.asarray(p.data) for p in params]


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1},
]
ADAM_CONFIGS = [
    {"lr": 0.01},
    {"lr": 0.1, "weight_decay": 0.05},
    {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.5},
]


# -- hand-computed updates -------------------------------------------------------------------------


def test_sgd_by_hand() -> None:
    p = mg.Value(np.array([1.0, -2.0]))
    opt = mg.optim.SGD([p], lr=0.1)
    for _ in range(3):
        p.grad = np.array([0.5, 0.25])
        opt.step()
    assert np.allclose(p.data, [0.85, -2.075], rtol=1e-15, atol=0)


def test_sgd_momentum_by_hand() -> None:
    p = mg.Value(1.0)
    opt = mg.optim.SGD([p], lr=0.1, momentum=0.9)
    expected = [0.9, 0.61, 0.349]  # buffers 1, 0.9 * 1 + 2 = 2.9, 0.9 * 2.9 + 0 = 2.61
    for grad, want in zip([1.0, 2.0, 0.0], expected, strict=True):
        p.grad = grad
        opt.step()
        assert p.data == pytest.approx(want, rel=1e-15)


def test_sgd_weight_decay_by_hand() -> None:
    p = mg.Value(2.0)
    opt = mg.optim.SGD([p], lr=0.5, weight_decay=0.1)
    p.grad = 0.0
    opt.step()  # g = 0 + 0.1 * 2
    assert p.data == pytest.approx(1.9, rel=1e-15)
    p.grad = 0.0
    opt.step()  # g = 0.19
    assert p.data == pytest.approx(1.805, rel=1e-15)


def test_adam_by_hand() -> None:
    """A constant gradient: m_hat = g and v_hat = g^2 at every step, so each step is lr*g/(|g|+eps).

    Step 2 spelled out: m = 0.9*0.05 + 0.1*0.5 = 0.095, m_hat = 0.095/0.19 = 0.5;
    v = 0.999*0.00025 + 0.001*0.25 = 0.00049975, v_hat = 0.00049975/0.001999 = 0.25.
    """
    p = mg.Value(1.0)
    opt = mg.optim.Adam([p], lr=0.1)
    step = 0.1 * 0.5 / (0.5 + 1e-8)
    for k in range(1, 4):
        p.grad = 0.5
        opt.step()
        assert p.data == pytest.approx(1.0 - k * step, rel=1e-14)


def test_adam_weight_decay_by_hand() -> None:
    p = mg.Value(np.array([2.0, -4.0]))
    opt = mg.optim.Adam([p], lr=0.01, weight_decay=0.5)
    p.grad = np.array([0.0, 1.0])
    opt.step()  # g = [1, -1]: the first step moves each entry by lr * sign(g) (up to eps)
    assert np.allclose(p.data, [2.0 - 0.01 / (1 + 1e-8), -4.0 + 0.01 / (1 + 1e-8)], rtol=1e-15)


@pytest.mark.parametrize("config", SGD_CONFIGS)
def test_sgd_matches_the_formula_over_several_steps(config: dict[str, Any]) -> None:
    got = run_minigrad(lambda params: mg.optim.SGD(params, **config), steps=7)
    want = sgd_reference([W0, B0], least_squares_grad, steps=7, **config)
    for a, b in zip(got, want, strict=True):
        assert close(a, b, rtol=1e-13)
    assert not np.allclose(got[0], W0)  # it did move


@pytest.mark.parametrize("config", ADAM_CONFIGS)
def test_adam_matches_the_formula_over_several_steps(config: dict[str, Any]) -> None:
    got = run_minigrad(lambda params: mg.optim.Adam(params, **config), steps=7)
    want = adam_reference([W0, B0], least_squares_grad, steps=7, **config)
    for a, b in zip(got, want, strict=True):
        assert close(a, b, rtol=1e-13)
    assert not np.allclose(got[0], W0)


def test_momentum_buffer_does_not_alias_the_gradient() -> None:
    """A caller that refills one gradient array in place each step gets PyTorch's updates too
    (PyTorch clones the gradient into the first momentum buffer)."""
    p = mg.Value(np.array([1.0, 1.0]))
    opt = mg.optim.SGD([p], lr=0.1, momentum=0.9)
    grads = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.5])]
    buffer = np.empty(2)
    for g in grads:
        buffer[...] = g
        p.grad = buffer
        opt.step()
    want = sgd_reference([np.array([1.0, 1.0])], iter_grads(grads), 3, lr=0.1, momentum=0.9)
    assert close(p.data, want[0], rtol=1e-14)


def iter_grads(grads: list[Array]) -> GradFn:
    it = iter(grads)
    return lambda params: [next(it)]


# -- against torch.optim ---------------------------------------------------------------------------


def _torch_twin(model: mg.nn.MLP) -> Any:
    torch = pytest.importorskip("torch")
    layers: list[Any] = []
    for layer in model.layers:
        if isinstance(layer, mg.nn.Linear):
            lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.weight.data.copy()))
                lin.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            layers.append(lin)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize(
    ("name", "config"),
    [("SGD", c) for c in SGD_CONFIGS] + [("Adam", c) for c in ADAM_CONFIGS],
)
def test_optimizers_match_torch_optim(name: str, config: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    model = mg.nn.MLP([4, 6, 3], activation="tanh", seed=3)
    twin = _torch_twin(model)
    opt = getattr(mg.optim, name)(model.parameters(), **config)
    opt_t = getattr(torch.optim, name)(twin.parameters(), **config)
    x_t, y_t = torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(6):
        opt.zero_grad()
        F.mse_loss(model(X), Y).backward()
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.mse_loss(twin(x_t), y_t).backward()
        opt_t.step()
    theirs = [p.detach().numpy() for p in twin.parameters()]
    for ours, want in zip(model.parameters(), theirs, strict=True):
        assert close(ours.data, want, rtol=1e-11)
    assert not np.allclose(model[0].weight.data, mg.nn.MLP([4, 6, 3], seed=3)[0].weight.data)


# -- which parameters move -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: mg.optim.Adam(ps, lr=0.1, weight_decay=0.1),
    ],
    ids=["SGD", "Adam"],
)
def test_parameters_without_a_gradient_are_skipped(
    make: Callable[[list[mg.Value]], mg.optim.Optimizer],
) -> None:
    used = mg.Value(np.array([1.0, 2.0]))
    unused = mg.Value(np.array([3.0, 4.0]))
    scalar_unused = mg.Value(5.0)
    opt = make([used, unused, scalar_unused])
    for _ in range(3):
        opt.zero_grad()
        (used * used).sum().backward()
        opt.step()
    assert not np.allclose(used.data, [1.0, 2.0])
    assert np.array_equal(unused.data, [3.0, 4.0])  # not even weight decay touched it
    assert scalar_unused.data == 5.0
    assert not unused.has_grad
    # when it finally gets a gradient, its first update is a first step (its state is fresh)
    unused.grad = np.array([1.0, -1.0])
    opt.step()
    fresh = mg.Value(np.array([3.0, 4.0]))
    twin = make([fresh])
    fresh.grad = np.array([1.0, -1.0])
    twin.step()
    assert np.array_equal(unused.data, fresh.data)


def test_reading_grad_does_not_make_a_parameter_move() -> None:
    """Inspecting `.grad` (zeros) of a parameter no backward reached is not a gradient."""
    for make in (
        lambda ps: mg.optim.SGD(ps, lr=0.1, weight_decay=0.1),
        lambda ps: mg.optim.Adam(ps, lr=0.1, weight_decay=0.1),
    ):
        p = mg.Value(np.array([3.0, 4.0]))
        s = mg.Value(2.0)
        opt = make([p, s])
        assert np.array_equal(p.grad, [0.0, 0.0]) and s.grad == 0.0
        opt.step()
        assert np.array_equal(p.data, [3.0, 4.0])
        assert s.data == 2.0
        assert not p.has_grad and not s.has_grad


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_scalar_mode_parameters_follow_tensor_mode(name: str) -> None:
    config: dict[str, Any] = (
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}
        if name == "SGD"
        else {"lr": 0.02, "weight_decay": 0.01}
    )
    tensor = mg.nn.MLP([4, 3, 3], activation="tanh", seed=8)
    scalar = mg.nn.MLP([4, 3, 3], activation="tanh", seed=8, scalar=True)
    opts = [getattr(mg.optim, name)(m.parameters(), **config) for m in (tensor, scalar)]
    for _ in range(4):
        for model, opt in zip((tensor, scalar), opts, strict=True):
            opt.zero_grad()
            F.mse_loss(model(X), Y).backward()
            opt.step()
    assert all(type(p.data) is float for p in scalar.parameters())
    want = tensor.state_dict()
    got = scalar.state_dict()
    start = mg.nn.MLP([4, 3, 3], activation="tanh", seed=8).state_dict()
    for key in want:
        assert close(got[key], want[key], rtol=1e-10), key
    assert not np.allclose(want["0.weight"], start["0.weight"])


def test_float32_parameters_stay_float32() -> None:
    w = mg.Value(W0.astype(np.float32))
    b = mg.Value(B0.astype(np.float32))
    opt = mg.optim.Adam([w, b], lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        for p, g in zip((w, b), least_squares_grad([w.data, b.data]), strict=True):
            p.grad = g.astype(np.float32)
        opt.step()
    assert w.data.dtype == np.float32 and b.data.dtype == np.float32
    want = adam_reference([W0, B0], least_squares_grad, steps=3, lr=0.01)
    assert np.allclose(w.data, want[0], rtol=0, atol=1e-5)
    assert np.allclose(b.data, want[1], rtol=0, atol=1e-5)


# -- arguments and zero_grad -----------------------------------------------------------------------


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(lr: float) -> None:
    p = [mg.Value(1.0)]
    with pytest.raises(ValueError, match="learning rate"):
        mg.optim.SGD(p, lr=lr)
    with pytest.raises(ValueError, match="learning rate"):
        mg.optim.Adam(p, lr=lr)


def test_bad_arguments_are_rejected() -> None:
    for make in (mg.optim.SGD, mg.optim.Adam):
        with pytest.raises(ValueError, match="empty"):
            make([], lr=0.1)
        with pytest.raises(ValueError, match="empty"):
            make(iter([]), lr=0.1)
        with pytest.raises(TypeError):
            make([np.zeros(3)], lr=0.1)  # type: ignore[list-item]
    p = [mg.Value(1.0)]
    with pytest.raises(ValueError, match="momentum"):
        mg.optim.SGD(p, lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="weight_decay"):
        mg.optim.SGD(p, lr=0.1, weight_decay=-1.0)
    with pytest.raises(ValueError, match="betas"):
        mg.optim.Adam(p, betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="betas"):
        mg.optim.Adam(p, betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="eps"):
        mg.optim.Adam(p, eps=-1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        mg.optim.Adam(p, weight_decay=-1.0)


def test_parameters_may_come_from_a_generator() -> None:
    model = mg.nn.MLP([2, 3, 1], seed=0)
    opt = mg.optim.SGD(iter(model.parameters()), lr=0.1)
    assert opt.params == model.parameters()


@pytest.mark.parametrize("scalar", [False, True])
def test_zero_grad_clears_every_parameter(scalar: bool) -> None:
    model = mg.nn.MLP([4, 3, 3], seed=1, scalar=scalar)
    opt = mg.optim.Adam(model.parameters(), lr=0.1)
    F.mse_loss(model(X), Y).backward()
    assert all(p.has_grad for p in model.parameters())
    opt.zero_grad()
    assert not any(p.has_grad for p in model.parameters())
    before = model.state_dict()
    opt.step()  # nothing has a gradient: nothing moves
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
