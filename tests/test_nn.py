"""The layer API: parameters, initialisation, scalar vs tensor mode, losses, state and checkpoints.

Oracles: the tensor model (for scalar mode), torch (optional), float128 / hand-written references
(for the losses at huge logits), and the model's own state before a failed load.
"""

from __future__ import annotations

import contextlib
import io
import math
import pickle
import re
import stat
import struct
import sys
import threading
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.typing import NDArray
from strategies import BUILTIN_STRATEGIES, arrays_of, close

import minigrad as mg
from minigrad.nn import functional as F  # noqa: N812 - the usual name

ACTIVATIONS = ("relu", "tanh", "sigmoid")
LOSSES = ("mse", "bce", "cross_entropy")


# -- helpers -------------------------------------------------------------------------------------


def loss_fn(name: str, out: Any, target: Any) -> mg.Value:
    """The named loss of `out` (a Value or a scalar-mode list) against `target`."""
    if name == "mse":
        return F.mse_loss(out, target)
    if name == "bce":
        return F.binary_cross_entropy_with_logits(out, target)
    return F.cross_entropy(out, target)


def targets_for(name: str, batch: int, out: int, rng: np.random.Generator) -> NDArray[Any]:
    """Regression targets, probabilities in [0, 1], or integer class labels."""
    if name == "mse":
        return rng.normal(size=(batch, out))
    if name == "bce":
        return rng.uniform(size=(batch, out))
    return rng.integers(0, out, size=batch)


def layer_grads(model: mg.nn.MLP) -> list[NDArray[np.float64]]:
    """Each Linear's weight and bias gradient as an array, in either mode."""
    grads: list[NDArray[np.float64]] = []
    for layer in model.linear_layers():
        for param in (layer.weight, layer.bias):
            if isinstance(param, mg.Value):
                grads.append(np.asarray(param.grad, dtype=np.float64))
            else:
                grads.append(np.vectorize(lambda v: float(v.grad), otypes=[float])(param))
    return grads


def assert_same_state(a: dict[str, NDArray[Any]], b: dict[str, NDArray[Any]]) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key].shape == b[key].shape, key
        assert np.array_equal(a[key], b[key]), key


@contextmanager
def strict_floats() -> Iterator[None]:
    """Every warning is an error, and so is any overflow, invalid operation or division by zero.

    Underflow stays allowed: e^-20000 rounding to 0 is what a stable formula is meant to do.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


# -- parameters ------------------------------------------------------------------------------------


def test_parameters_come_in_layer_order_weight_before_bias() -> None:
    model = mg.nn.MLP([3, 5, 4, 2], seed=0)
    params = model.parameters()
    linears = model.linear_layers()
    expected = [p for layer in linears for p in (layer.weight, layer.bias)]
    assert len(params) == 6
    assert all(p is q for p, q in zip(params, expected, strict=True))
    assert [p.shape for p in params] == [(5, 3), (5,), (4, 5), (4,), (2, 4), (2,)]
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "4.weight",
        "4.bias",
    ]
    assert [type(layer).__name__ for layer in model.layers] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]


def test_linear_has_pytorch_layout_and_optional_bias() -> None:
    layer = mg.nn.Linear(3, 2, seed=0)
    assert layer.weight.shape == (2, 3)
    assert layer.bias.shape == (2,)
    assert np.array_equal(layer.bias.data, np.zeros(2))
    x = np.arange(12.0).reshape(4, 3)
    out = layer(x)
    assert out.shape == (4, 2)
    assert np.allclose(out.data, x @ layer.weight.data.T, rtol=1e-14, atol=0)
    no_bias = mg.nn.Linear(3, 2, bias=False, seed=0)
    assert [p.shape for p in no_bias.parameters()] == [(2, 3)]
    assert list(no_bias.state_dict()) == ["weight"]


def test_custom_and_nested_modules_keep_assignment_order() -> None:
    class Net(mg.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = mg.nn.Linear(4, 3, seed=1)
            self.head = mg.nn.Sequential(mg.nn.Tanh(), mg.nn.Linear(3, 2, seed=2))

        def forward(self, x: Any) -> Any:
            return self.head(self.encoder(x))

    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["encoder.weight", "encoder.bias", "head.1.weight", "head.1.bias"]
    assert [p.shape for p in net.parameters()] == [(3, 4), (3,), (2, 3), (2,)]
    assert net(np.ones((5, 4))).shape == (5, 2)


def test_scalar_parameters_are_one_value_per_weight_in_layer_order() -> None:
    model = mg.nn.MLP([2, 3, 1], seed=0, scalar=True)
    names = [name for name, _ in model.named_parameters()]
    assert names[:7] == [
        "0.weight.0.0",
        "0.weight.0.1",
        "0.weight.1.0",
        "0.weight.1.1",
        "0.weight.2.0",
        "0.weight.2.1",
        "0.bias.0",
    ]
    assert len(names) == 2 * 3 + 3 + 3 * 1 + 1
    assert all(type(p.data) is float for p in model.parameters())
    assert [a.shape for a in model.state_dict().values()] == [(3, 2), (3,), (1, 3), (1,)]


# -- initialisation --------------------------------------------------------------------------------


@pytest.mark.parametrize("scalar", [False, True])
def test_same_seed_same_weights_different_seed_different(scalar: bool) -> None:
    a = mg.nn.MLP([3, 4, 2], seed=7, scalar=scalar).state_dict()
    b = mg.nn.MLP([3, 4, 2], seed=7, scalar=scalar).state_dict()
    c = mg.nn.MLP([3, 4, 2], seed=8, scalar=scalar).state_dict()
    assert_same_state(a, b)
    assert not np.array_equal(a["0.weight"], c["0.weight"])
    assert not np.array_equal(a["2.weight"], c["2.weight"])


def test_rng_argument_draws_from_the_given_generator() -> None:
    by_seed = mg.nn.MLP([3, 4, 2], seed=11).state_dict()
    by_rng = mg.nn.MLP([3, 4, 2], rng=np.random.default_rng(11)).state_dict()
    assert_same_state(by_seed, by_rng)
    shared = np.random.default_rng(11)
    first = mg.nn.MLP([3, 4, 2], rng=shared).state_dict()
    second = mg.nn.MLP([3, 4, 2], rng=shared).state_dict()  # the generator has moved on
    assert_same_state(first, by_seed)
    assert not np.array_equal(first["0.weight"], second["0.weight"])
    layer = mg.nn.Linear(3, 4, rng=np.random.default_rng(3))
    assert np.array_equal(layer.weight.data, mg.nn.Linear(3, 4, seed=3).weight.data)


def test_seed_and_rng_together_is_an_error() -> None:
    with pytest.raises(ValueError, match="seed"):
        mg.nn.MLP([2, 2], seed=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="seed"):
        mg.nn.Linear(2, 2, seed=0, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("activation", "fan_in", "fan_out", "expected_std"),
    [
        ("relu", 800, 600, np.sqrt(2 / 800)),  # Kaiming (He) normal
        ("tanh", 800, 600, np.sqrt(2 / 1400)),  # Xavier (Glorot) normal
        ("sigmoid", 300, 900, np.sqrt(2 / 1200)),
    ],
)
def test_initialisation_scale_follows_the_activation(
    activation: str, fan_in: int, fan_out: int, expected_std: float
) -> None:
    model = mg.nn.MLP([fan_in, fan_out], activation=activation, seed=0)
    w = model[0].weight.data
    assert w.shape == (fan_out, fan_in)
    # 480,000 / 270,000 draws: the empirical std is within ~0.2% of the truth.
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.01 * expected_std
    assert np.array_equal(model[0].bias.data, np.zeros(fan_out))


def test_initialisation_overrides() -> None:
    w = mg.nn.Linear(1000, 500, seed=0).weight.data  # Linear alone: Kaiming
    assert abs(w.std() / np.sqrt(2 / 1000) - 1) < 0.02
    w = mg.nn.MLP([1000, 500], activation="relu", init="xavier", seed=0)[0].weight.data
    assert abs(w.std() / np.sqrt(2 / 1500) - 1) < 0.02
    w = mg.nn.MLP([1000, 500], activation="tanh", init=0.01, seed=0)[0].weight.data
    assert abs(w.std() / 0.01 - 1) < 0.02
    with pytest.raises(ValueError, match="init"):
        mg.nn.Linear(3, 2, init="orthogonal")
    with pytest.raises(ValueError, match="init"):
        mg.nn.Linear(3, 2, init=-1.0)


def test_float32_models_stay_float32() -> None:
    model = mg.nn.MLP([3, 4, 1], seed=0, dtype=np.float32)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert model(np.ones((2, 3), dtype=np.float32)).data.dtype == np.float32


# -- scalar mode against tensor mode ---------------------------------------------------------------


def test_scalar_and_tensor_models_hold_the_same_weights() -> None:
    for activation in ACTIVATIONS:
        tensor = mg.nn.MLP([4, 3, 3, 2], activation=activation, seed=5)
        scalar = mg.nn.MLP([4, 3, 3, 2], activation=activation, seed=5, scalar=True)
        assert_same_state(tensor.state_dict(), scalar.state_dict())


def test_scalar_model_takes_one_sample_or_a_batch() -> None:
    tensor = mg.nn.MLP([3, 4, 2], activation="tanh", seed=2)
    scalar = mg.nn.MLP([3, 4, 2], activation="tanh", seed=2, scalar=True)
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    one = scalar([0.5, -1.0, 2.0])
    assert isinstance(one, list) and len(one) == 2
    assert all(isinstance(v, mg.Value) for v in one)
    batch = scalar(x)
    assert len(batch) == 2 and all(len(row) == 2 for row in batch)
    expected = tensor(x).data
    assert close([v.data for v in one], expected[0], rtol=1e-12)
    assert close([[v.data for v in row] for row in batch], expected, rtol=1e-12)


@st.composite
def scalar_tensor_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Small dense nets (1 to 3 layers, widths 1 to 3, batch 1 to 3): naive's path counts stay in
    the hundreds."""
    loss = draw(st.sampled_from(LOSSES))
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3)))]
    sizes.append(draw(st.integers(2 if loss == "cross_entropy" else 1, 3)))
    batch = draw(st.integers(1, 3))
    return {
        "sizes": sizes,
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "output_activation": draw(st.sampled_from([None, *ACTIVATIONS])),
        "loss": loss,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "x": draw(arrays_of((batch, sizes[0]))),
    }


@given(case=scalar_tensor_cases())
def test_scalar_mode_agrees_with_tensor_mode_under_every_strategy(case: dict[str, Any]) -> None:
    sizes, x, seed = case["sizes"], case["x"], case["seed"]
    kwargs = {"activation": case["activation"], "output_activation": case["output_activation"]}
    tensor = mg.nn.MLP(sizes, seed=seed, **kwargs)
    scalar = mg.nn.MLP(sizes, seed=seed, scalar=True, **kwargs)
    assert_same_state(tensor.state_dict(), scalar.state_dict())
    rng = np.random.default_rng(seed)
    state = tensor.state_dict()  # biases start at zero: give them values worth checking
    state.update({k: rng.normal(size=v.shape) for k, v in state.items() if k.endswith("bias")})
    tensor.load_state_dict(state)
    scalar.load_state_dict(state)
    if "relu" in (case["activation"], case["output_activation"]):
        # A pre-activation within rounding of relu's kink could fall on either side of it,
        # depending on the order of the sums; such draws prove nothing, so skip them.
        h = x
        for layer in tensor.layers:
            h = layer(h)
            if isinstance(layer, mg.nn.Linear):
                z = np.abs(h.data)
                assume(not np.any((z > 0) & (z < 1e-9)))
    target = targets_for(case["loss"], x.shape[0], sizes[-1], rng)

    reference = loss_fn(case["loss"], tensor(x), target)
    reference.backward(strategy="topological")
    expected = layer_grads(tensor)
    scale = max(float(np.max(np.abs(g))) for g in expected)

    for name in BUILTIN_STRATEGIES:
        scalar.zero_grad()
        loss = loss_fn(case["loss"], scalar(x), target)
        assert type(loss.data) is float
        assert close(loss.data, reference.data, rtol=1e-10), (name, loss.data, reference.data)
        loss.backward(strategy=name)
        for got, want in zip(layer_grads(scalar), expected, strict=True):
            assert close(got, want, rtol=1e-10, scale=scale), (name, got, want)

    # and the tensor model itself agrees with itself under every strategy
    for name in BUILTIN_STRATEGIES:
        tensor.zero_grad()
        loss_fn(case["loss"], tensor(x), target).backward(strategy=name)
        for got, want in zip(layer_grads(tensor), expected, strict=True):
            assert close(got, want, rtol=1e-10, scale=scale), (name, got, want)


# -- against torch ---------------------------------------------------------------------------------


def to_torch(model: mg.nn.Sequential) -> Any:
    """A float64 torch.nn.Sequential holding a copy of the model's weights."""
    torch = pytest.importorskip("torch")
    modules: list[Any] = []
    for layer in model.layers:
        if isinstance(layer, mg.nn.Linear):
            lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.state_dict()["weight"]))
                lin.bias.copy_(torch.from_numpy(layer.state_dict()["bias"]))
            modules.append(lin)
        else:
            act = {"ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh, "Sigmoid": torch.nn.Sigmoid}
            modules.append(act[type(layer).__name__]())
    return torch.nn.Sequential(*modules)


def torch_loss(name: str, out: Any, target: NDArray[Any]) -> Any:
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    if name == "mse":
        return fn.mse_loss(out, torch.from_numpy(target))
    if name == "bce":
        return fn.binary_cross_entropy_with_logits(out, torch.from_numpy(target))
    return fn.cross_entropy(out, torch.from_numpy(target))


def test_linear_copies_one_to_one_into_torch() -> None:
    torch = pytest.importorskip("torch")
    layer = mg.nn.Linear(5, 3, seed=4)
    layer.bias.data = np.random.default_rng(0).normal(size=3)  # make the bias visible
    theirs = to_torch(mg.nn.Sequential(layer))[0]
    assert tuple(theirs.weight.shape) == layer.weight.shape
    x = np.random.default_rng(1).normal(size=(6, 5))
    out = layer(x)
    out_t = theirs(torch.from_numpy(x))
    assert close(out.data, out_t.detach().numpy(), rtol=1e-13)
    seed = np.random.default_rng(2).normal(size=(6, 3))
    out.backward(seed)
    out_t.backward(torch.from_numpy(seed))
    assert close(layer.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    assert close(layer.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("scalar", [False, True])
def test_mlp_matches_torch_sequential(loss: str, activation: str, scalar: bool) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    sizes = [4, 5, 3, 3]
    model = mg.nn.MLP(sizes, activation=activation, seed=9, scalar=scalar)
    theirs = to_torch(mg.nn.MLP(sizes, activation=activation, seed=9))
    x = rng.normal(size=(7, 4))
    target = targets_for(loss, 7, 3, rng)

    out = model(x)
    out_t = theirs(torch.from_numpy(x))
    out_data = np.array([[v.data for v in row] for row in out]) if scalar else out.data
    assert close(out_data, out_t.detach().numpy(), rtol=1e-12)

    ours = loss_fn(loss, out, target)
    reference = torch_loss(loss, out_t, target)
    assert close(ours.data, reference.item(), rtol=1e-12)
    ours.backward()
    reference.backward()
    torch_grads = [p.grad.numpy() for p in theirs.parameters()]
    scale = max(float(np.max(np.abs(g))) for g in torch_grads)
    for got, want in zip(layer_grads(model), torch_grads, strict=True):
        assert close(got, want, rtol=1e-11, scale=scale)


# -- losses ----------------------------------------------------------------------------------------

HUGE = np.array(
    [
        [1e4, -1e4, 0.0],
        [-1e4, 1e4, 1e4 - 1.0],
        [1e4, 1e4, 1e4],
        [-1e4, -1e4 + 3.0, -1e4 - 50.0],
    ]
)
HUGE_LABELS = np.array([0, 2, 1, 2])


def cross_entropy_reference() -> tuple[float, NDArray[np.float64]]:
    """Loss and gradient at HUGE in numpy, each row shifted by its maximum first."""
    rows = []
    grads = []
    for x, y in zip(HUGE, HUGE_LABELS, strict=True):
        shifted = x - x.max()  # exact for these numbers
        log_total = np.log(np.sum(np.exp(shifted)))
        rows.append(log_total - shifted[y])
        p = np.exp(shifted - log_total)
        p[y] -= 1
        grads.append(p / len(HUGE))
    return float(np.mean(rows)), np.array(grads)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    with strict_floats():
        expected_loss, expected_grad = cross_entropy_reference()
    # the same by hand, row by row: -log softmax at the label
    by_hand = [
        0.0,  # log(1 + e^-10000 + e^-20000)
        1.0 + np.log1p(np.exp(-1.0)),  # label 1 below the top, the third e^-20000 below
        np.log(3.0),  # three equal logits
        53.0 + np.log1p(np.exp(-3.0) + np.exp(-53.0)),
    ]
    assert close(expected_loss, np.mean(by_hand), rtol=1e-14)
    if np.finfo(np.longdouble).max > 1e4400:  # float128: e^10000 fits, no shift needed
        wide = HUGE.astype(np.longdouble)
        lse = np.log(np.sum(np.exp(wide), axis=1))
        wide_loss = np.mean(lse - wide[np.arange(4), HUGE_LABELS])
        assert close(expected_loss, float(wide_loss), rtol=1e-14)
    for scalar in (False, True):
        with strict_floats():
            if scalar:
                logits = [[mg.Value(float(v)) for v in row] for row in HUGE]
                loss = F.cross_entropy(logits, HUGE_LABELS)
                loss.backward()
                grad = np.array([[v.grad for v in row] for row in logits])
            else:
                z = mg.Value(HUGE.copy())
                loss = F.cross_entropy(z, HUGE_LABELS)
                loss.backward()
                grad = z.grad
        assert np.isfinite(loss.data)
        assert close(loss.data, expected_loss, rtol=1e-14)
        assert close(grad, expected_grad, rtol=1e-14, scale=1.0)


def test_bce_with_logits_is_stable_for_huge_logits() -> None:
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 1e4, -750.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.5, 0.25, 0.0])
    # softplus(x) - x*y by hand: softplus(1e4) = 1e4, softplus(-1e4) = softplus(-750) = 0
    by_hand = np.array([0.0, 1e4, 1e4, 0.0, np.log(2.0), 0.75e4, 0.0])
    grad_by_hand = (np.array([1.0, 0.0, 1.0, 0.0, 0.5, 1.0, 0.0]) - y) / len(x)
    if np.finfo(np.longdouble).max > 1e4400:
        wide = x.astype(np.longdouble)
        assert close(by_hand, (np.log1p(np.exp(wide)) - wide * y).astype(np.float64), rtol=1e-15)
    for scalar in (False, True):
        with strict_floats():
            if scalar:
                logits = [mg.Value(float(v)) for v in x]
                loss = F.binary_cross_entropy_with_logits(logits, y)
                loss.backward()
                grad = np.array([v.grad for v in logits])
            else:
                z = mg.Value(x.copy())
                loss = F.binary_cross_entropy_with_logits(z, y)
                loss.backward()
                grad = z.grad
        assert close(loss.data, by_hand.mean(), rtol=1e-14)
        assert close(grad, grad_by_hand, rtol=1e-15, scale=1.0)


def test_softmax_and_log_softmax_are_stable() -> None:
    with strict_floats():
        z = mg.Value(HUGE.copy())
        probs = F.softmax(z, axis=1).data
        logp = F.log_softmax(z, axis=1).data
    assert np.all(np.isfinite(logp))
    assert np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.allclose(probs[2], 1 / 3, rtol=1e-15)
    assert logp[0, 1] == pytest.approx(-2e4, rel=1e-15)


def test_losses_at_huge_logits_match_torch() -> None:
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    z = mg.Value(HUGE.copy())
    with strict_floats():
        loss = F.cross_entropy(z, HUGE_LABELS)
        loss.backward()
    z_t = torch.tensor(HUGE, requires_grad=True)
    loss_t = fn.cross_entropy(z_t, torch.from_numpy(HUGE_LABELS))
    loss_t.backward()
    assert close(loss.data, loss_t.item(), rtol=1e-14)
    assert close(z.grad, z_t.grad.numpy(), rtol=1e-14, scale=1.0)

    x = np.array([[1e4, -1e4], [-1e4, 0.0], [30.0, -30.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.5], [0.2, 0.9]])
    v = mg.Value(x.copy())
    with strict_floats():
        loss = F.binary_cross_entropy_with_logits(v, y)
        loss.backward()
    x_t = torch.tensor(x, requires_grad=True)
    loss_t = fn.binary_cross_entropy_with_logits(x_t, torch.from_numpy(y))
    loss_t.backward()
    assert close(loss.data, loss_t.item(), rtol=1e-14)
    assert close(v.grad, x_t.grad.numpy(), rtol=1e-14, scale=1.0)


def test_loss_argument_errors() -> None:
    z = mg.Value(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels"):
        F.cross_entropy(z, [0, 3])
    with pytest.raises(ValueError):
        F.cross_entropy(z, [0, 1, 2])
    with pytest.raises(ValueError, match="shape"):
        F.mse_loss(z, np.zeros((3, 2)))  # six numbers, but not the predictions' layout
    with pytest.raises(ValueError, match="shape"):
        F.binary_cross_entropy_with_logits(z, np.zeros(6))


def test_targets_of_shape_n_fit_predictions_of_shape_n_by_1() -> None:
    pred = mg.Value(np.array([[0.5], [-1.0], [2.0]]))
    y = np.array([1.0, 0.0, 1.0])
    assert F.mse_loss(pred, y).data == F.mse_loss(pred, y.reshape(3, 1)).data
    assert F.mse_loss(pred, y).data == pytest.approx(np.mean((pred.data[:, 0] - y) ** 2))
    bce = F.binary_cross_entropy_with_logits(pred, y).data
    assert bce == F.binary_cross_entropy_with_logits(pred, y.reshape(3, 1)).data
    z = mg.Value(np.zeros((2, 3)))
    row = np.array([1.0, 2.0, 3.0])  # one target row for every sample: broadcast
    assert F.mse_loss(z, row).data == pytest.approx(14 / 3)


# -- gradients and state ---------------------------------------------------------------------------


@pytest.mark.parametrize("scalar", [False, True])
def test_zero_grad_clears_every_parameter(scalar: bool) -> None:
    model = mg.nn.MLP([3, 4, 2], activation="tanh", seed=0, scalar=scalar)
    x = np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]])
    F.mse_loss(model(x), np.ones((2, 2))).backward()
    assert all(p.has_grad for p in model.parameters())
    first = layer_grads(model)
    assert any(np.any(g != 0) for g in first)
    F.mse_loss(model(x), np.ones((2, 2))).backward()  # gradients accumulate
    for twice, once in zip(layer_grads(model), first, strict=True):
        assert close(twice, 2 * once, rtol=1e-14)
    model.zero_grad()
    assert not any(p.has_grad for p in model.parameters())
    assert all(np.all(g == 0) for g in layer_grads(model))
    F.mse_loss(model(x), np.ones((2, 2))).backward()
    for again, once in zip(layer_grads(model), first, strict=True):
        assert close(again, once, rtol=1e-14)


@pytest.mark.parametrize("scalar", [False, True])
def test_state_dict_round_trip(scalar: bool) -> None:
    source = mg.nn.MLP([3, 4, 2], seed=1, scalar=scalar)
    target = mg.nn.MLP([3, 4, 2], seed=2, scalar=scalar)
    state = source.state_dict()
    target.load_state_dict(state)
    assert_same_state(target.state_dict(), state)
    x = np.array([[0.3, -0.2, 1.0]])
    out_s, out_t = source(x), target(x)
    if scalar:
        assert [v.data for v in out_s[0]] == [v.data for v in out_t[0]]
    else:
        assert np.array_equal(out_s.data, out_t.data)
    # copies both ways: neither the returned dict nor the loaded one aliases the parameters
    state["0.weight"][...] = 123.0
    assert not np.any(target.state_dict()["0.weight"] == 123.0)
    assert not np.any(source.state_dict()["0.weight"] == 123.0)


def test_state_dict_moves_between_scalar_and_tensor_models() -> None:
    tensor = mg.nn.MLP([2, 3, 1], seed=4)
    scalar = mg.nn.MLP([2, 3, 1], seed=5, scalar=True)
    scalar.load_state_dict(tensor.state_dict())
    assert_same_state(scalar.state_dict(), tensor.state_dict())
    assert all(type(p.data) is float for p in scalar.parameters())


def _bad_states(state: dict[str, NDArray[Any]]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(what is wrong, the broken state dict, a key the error must name)."""
    missing = dict(state)
    del missing["2.bias"]
    yield "missing", missing, "2.bias"
    extra = {**state, "3.weight": np.zeros((2, 2))}
    yield "extra", extra, "3.weight"
    shape = {**state, "2.bias": np.zeros(3)}  # the LAST entry: earlier ones must stay unloaded
    yield "shape", shape, "2.bias"
    transposed = {**state, "0.weight": state["0.weight"].T.copy()}
    yield "transposed", transposed, "0.weight"
    text = {**state, "2.bias": np.array(["a", "b"])}
    yield "dtype", text, "2.bias"


@pytest.mark.parametrize("scalar", [False, True])
def test_load_state_dict_rejects_mismatches_and_changes_nothing(scalar: bool) -> None:
    model = mg.nn.MLP([3, 4, 2], seed=1, scalar=scalar)
    before = model.state_dict()
    donor = {k: v + 1.0 for k, v in mg.nn.MLP([3, 4, 2], seed=2).state_dict().items()}
    for what, state, key in _bad_states(donor):
        with pytest.raises((KeyError, ValueError), match=re.escape(key)) as info:
            model.load_state_dict(state)
        if what in ("missing", "extra"):
            assert info.type is KeyError, what
        else:
            assert info.type is ValueError, what
        assert_same_state(model.state_dict(), before)


# -- checkpoints -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scalar", [False, True])
def test_save_load_round_trip_is_exact(tmp_path: Path, scalar: bool) -> None:
    source = mg.nn.MLP([3, 5, 2], seed=1, scalar=scalar)
    for p in source.parameters():  # awkward values: every bit must survive
        p.data = p.data * np.pi
    path = tmp_path / "model.npz"
    mg.nn.save(source, path)
    assert path.exists()
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]  # no temporary left behind
    target = mg.nn.MLP([3, 5, 2], seed=2, scalar=scalar)
    mg.nn.load(target, path)
    assert_same_state(target.state_dict(), source.state_dict())
    other = mg.nn.MLP([3, 5, 2], seed=3, scalar=scalar)
    other.load(str(path))  # the method form, with a str path
    assert_same_state(other.state_dict(), source.state_dict())
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(source.state_dict())


def test_save_load_keeps_float32(tmp_path: Path) -> None:
    source = mg.nn.MLP([3, 4, 2], seed=1, dtype=np.float32)
    source.save(tmp_path / "f32.npz")
    target = mg.nn.MLP([3, 4, 2], seed=2, dtype=np.float32)
    target.load(tmp_path / "f32.npz")
    assert_same_state(target.state_dict(), source.state_dict())
    assert all(p.data.dtype == np.float32 for p in target.parameters())


def test_save_and_load_take_the_same_name_without_a_suffix(tmp_path: Path) -> None:
    source = mg.nn.MLP([3, 4, 2], seed=1)
    mg.nn.save(source, tmp_path / "m")
    assert [f.name for f in tmp_path.iterdir()] == ["m.npz"]
    target = mg.nn.MLP([3, 4, 2], seed=2)
    mg.nn.load(target, tmp_path / "m")
    assert_same_state(target.state_dict(), source.state_dict())
    with pytest.raises(FileNotFoundError):
        mg.nn.load(target, tmp_path / "other")


def test_saves_from_several_threads_to_one_path_never_collide(tmp_path: Path) -> None:
    """Four threads save their own model to one path, 25 times each, switching threads every
    microsecond: no save fails, no temporary file is left, and the file is one whole checkpoint
    (whichever save finished last)."""
    path = tmp_path / "model.npz"
    models = [mg.nn.MLP([3, 4, 2], seed=seed) for seed in range(4)]
    barrier = threading.Barrier(len(models), timeout=30)
    errors: list[BaseException] = []

    def saver(model: mg.nn.MLP) -> None:
        try:
            barrier.wait()
            for _ in range(25):
                model.save(path)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=saver, args=(model,)) for model in models]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]
    loaded = mg.nn.MLP([3, 4, 2], seed=9)
    loaded.load(path)
    states = [model.state_dict() for model in models]
    assert any(
        all(np.array_equal(loaded.state_dict()[k], state[k]) for k in state) for state in states
    )


@pytest.mark.parametrize(
    "failure", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=repr
)
def test_a_save_that_fails_half_way_leaves_no_temporary_and_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path = tmp_path / "model.npz"
    mg.nn.MLP([3, 4, 2], seed=1).save(path)
    saved = path.read_bytes()

    def half_then_fail(file: Any, **arrays: Any) -> None:
        with open(file, "wb") if isinstance(file, str) else contextlib.nullcontext(file) as out:
            out.write(saved[: len(saved) // 2])  # half a checkpoint, then the disk fills up
        raise failure

    monkeypatch.setattr(np, "savez", half_then_fail)
    with pytest.raises(type(failure)):
        mg.nn.MLP([3, 4, 2], seed=2).save(path)
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]
    assert path.read_bytes() == saved


def test_a_save_onto_a_folder_fails_and_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "model.npz").mkdir()
    with pytest.raises(OSError):
        mg.nn.MLP([3, 4, 2], seed=1).save(tmp_path / "model.npz")
    assert [f.name for f in tmp_path.iterdir()] == ["model.npz"]
    assert (tmp_path / "model.npz").is_dir()


def test_a_checkpoint_has_the_permissions_of_an_ordinary_new_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"")
    path = tmp_path / "model.npz"
    mg.nn.MLP([3, 4, 2], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


FIRED: list[str] = []


def _tripwire_fired(message: str) -> None:
    FIRED.append(message)


class Tripwire:
    """Unpickling it appends to FIRED: a loader that unpickles would trip it."""

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (_tripwire_fired, ("unpickled!",))


def _write_bad_files(tmp_path: Path, good: Path) -> Iterator[tuple[str, Path]]:
    raw = good.read_bytes()
    for name, size in [("empty", 0), ("ten_bytes", 10), ("half", len(raw) // 2), ("short", -30)]:
        path = tmp_path / f"truncated_{name}.npz"
        path.write_bytes(raw[:size])
        yield f"truncated to {name}", path
    with zipfile.ZipFile(good) as archive:
        member = archive.getinfo("0.weight.npy").header_offset
    with np.load(good) as archive:
        weights = archive["0.weight"].tobytes()
    places = [
        ("zip magic", 0),
        ("npy header", raw.index(b"{'descr'", member) + 2),
        ("array data", raw.index(weights) + 16),
        ("central directory crc", raw.rindex(b"PK\x01\x02") + 16),
    ]
    for name, offset in places:
        data = bytearray(raw)
        for i in range(offset, offset + 8):
            data[i] ^= 0x5A
        path = tmp_path / f"corrupted_{name.replace(' ', '_')}.npz"
        path.write_bytes(bytes(data))
        yield f"corrupted {name}", path
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.zeros(3), b=np.ones((2, 2)))
    yield "foreign npz", path
    path = tmp_path / "array.npy"
    np.save(path, np.zeros((4, 3)))
    yield "npy file", path
    path = tmp_path / "text.npz"
    path.write_text("not a checkpoint\n")
    yield "text", path
    objects = np.empty(2, dtype=object)
    objects[:] = [Tripwire(), Tripwire()]
    path = tmp_path / "pickled.npz"
    with np.load(good, allow_pickle=False) as archive:
        state = {key: archive[key] for key in archive.files}
    np.savez(path, **{**state, "2.bias": objects})
    yield "pickled object array in an npz", path
    path = tmp_path / "pickled.npy"
    np.save(path, objects, allow_pickle=True)
    yield "pickled object array in an npy", path
    path = tmp_path / "pickled.pkl"
    path.write_bytes(pickle.dumps({key: Tripwire() for key in state}))
    yield "plain pickle", path


def test_loading_a_bad_file_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    donor = mg.nn.MLP([3, 4, 2], seed=2)
    good = tmp_path / "good.npz"
    donor.save(good)
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    FIRED.clear()
    pickle.loads(pickle.dumps(Tripwire()))  # the wire works
    assert FIRED == ["unpickled!"]
    FIRED.clear()
    for what, path in _write_bad_files(tmp_path, good):
        with pytest.raises((ValueError, KeyError)) as info:
            model.load(path)
        message = str(info.value)
        if info.type is KeyError:  # a readable archive of the wrong parameters: keys named
            assert "0.weight" in message, (what, message)
        else:
            assert info.type is mg.CheckpointError, (what, message)
            assert path.name in message and "not a minigrad checkpoint" in message, (what, message)
            assert "allow_pickle" not in message, (what, message)  # numpy's hint
        assert_same_state(model.state_dict(), before)
    assert FIRED == []
    model.load(good)  # the model is still usable
    assert_same_state(model.state_dict(), donor.state_dict())


def _not_a_checkpoint(tmp_path: Path, good: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.npz"
    if kind == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(300))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    elif kind == "object array":
        objects = np.empty(2, dtype=object)
        objects[:] = [Tripwire(), Tripwire()]
        with np.load(good, allow_pickle=False) as archive:
            state = {key: archive[key] for key in archive.files}
        np.savez(path, **{**state, "0.bias": objects})  # the FIRST array read holds objects
    elif kind == "zip of other files":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("README.txt", "hello")
            archive.writestr("0.weight", "not an array")
    elif kind == "single npy":
        with path.open("wb") as file:  # a file object: np.save adds no .npy suffix
            np.save(file, np.zeros((4, 3)))
    return path


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("random bytes", "it is not an .npz (zip) archive"),
        ("empty", "the file is empty"),
        ("truncated", "the archive is truncated or damaged"),
        (
            "object array",
            "'0.bias' is an array of Python objects (pickled data), which minigrad never",
        ),
        ("zip of other files", "it holds 'README.txt', which is not a .npy array"),
        ("single npy", "it holds a single .npy array, not an .npz archive"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_named_and_refused(
    tmp_path: Path, kind: str, reason: str
) -> None:
    donor = mg.nn.MLP([3, 4, 2], seed=2)
    good = tmp_path / "good.npz"
    donor.save(good)
    path = _not_a_checkpoint(tmp_path, good, kind)
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    FIRED.clear()
    for load in (lambda: model.load(path), lambda: mg.nn.load(model, str(path))):
        with pytest.raises(mg.CheckpointError) as info:
            load()
        message = str(info.value)
        assert message.startswith(f"{str(path)!r} is not a minigrad checkpoint or is corrupted: ")
        assert reason in message
        assert "allow_pickle" not in message and "pickle.load" not in message
        assert "\n" not in message and len(message) < 400
        assert isinstance(info.value, ValueError) and isinstance(info.value, mg.MinigradError)
        assert info.value.path == str(path)
        assert_same_state(model.state_dict(), before)
    assert FIRED == []  # nothing was unpickled


def test_no_single_byte_corruption_loads_wrong_values(tmp_path: Path) -> None:
    """Damage each byte of a checkpoint in turn, three ways: every load either fails with a
    CheckpointError (a corrupt file, never a state-dict mismatch) and leaves the model as it
    was, or loads exactly the saved values (bytes nobody reads, such as a time stamp). Nothing
    else escapes."""
    donor = mg.nn.MLP([3, 4, 2], seed=2)
    path = tmp_path / "damaged.npz"
    donor.save(path)
    raw = path.read_bytes()
    saved = donor.state_dict()
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    failures = 0
    with path.open("r+b") as file:
        for i in range(len(raw)):
            for mask in (0x01, 0x80, 0xFF):
                file.seek(i)
                file.write(bytes([raw[i] ^ mask]))
                file.flush()
                try:
                    model.load(path)
                except mg.CheckpointError:
                    failures += 1
                    assert_same_state(model.state_dict(), before)
                else:
                    assert_same_state(model.state_dict(), saved)
                    model.load_state_dict(before)
            file.seek(i)
            file.write(raw[i : i + 1])
    assert failures > len(raw)  # most damage is caught (about three in four flips)


def test_a_checkpoint_of_another_model_is_a_mismatch_not_a_corrupt_file(tmp_path: Path) -> None:
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    wider, deeper = tmp_path / "wider.npz", tmp_path / "deeper.npz"
    mg.nn.MLP([3, 400, 2], seed=2).save(wider)  # larger than the model's parameters: not read
    mg.nn.MLP([3, 4, 4, 2], seed=2).save(deeper)
    with pytest.raises(ValueError) as caught:
        model.load(wider)
    assert caught.type is ValueError
    assert str(caught.value) == (
        "state dict entry '0.weight' has shape (400, 3), the model expects (4, 3)"
    )
    with pytest.raises(KeyError, match=re.escape("missing [], unexpected ['4.weight', '4.bias']")):
        model.load(deeper)
    assert_same_state(model.state_dict(), before)


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """An .npy header (magic, version 1.0, the padded dictionary) for an array of `shape`."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _rewrite_member(good: Path, path: Path, key: str, content: bytes, method: int) -> None:
    """A copy of checkpoint `good` whose member `key` holds `content`, with valid CRCs."""
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as archive:
        for info in source.infolist():
            data = content if info.filename == f"{key}.npy" else source.read(info)
            archive.writestr(info.filename, data, compress_type=method)


@contextmanager
def peak_allocation() -> Iterator[list[int]]:
    """The peak of memory allocated inside the block (tracemalloc sees numpy's and zlib's)."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("shape", "descr"),
    [((1 << 20, 1 << 20), "<f8"), ((4096, 4096), "<f8"), ((4, 3), "<f8"), ((96,), "|u1")],
    ids=["8 TiB", "128 MiB", "the model's shape", "the model's size in bytes"],
)
def test_a_member_whose_header_claims_another_size_is_refused_before_allocating(
    tmp_path: Path, shape: tuple[int, ...], descr: str
) -> None:
    """The header of '0.weight' is replaced; its data (the real 4x3 float64 weights) stay. A
    header announcing more data than the member holds is a damaged file, refused before
    anything of the announced size is allocated; one announcing exactly the data it holds is
    read (and then fits the model or not)."""
    good, path = tmp_path / "good.npz", tmp_path / "crafted.npz"
    donor = mg.nn.MLP([3, 4, 2], seed=2)
    donor.save(good)
    weights = donor.state_dict()["0.weight"].tobytes()
    _rewrite_member(good, path, "0.weight", _npy_header(shape, descr) + weights, zipfile.ZIP_STORED)
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    claimed = math.prod(shape) * np.dtype(descr).itemsize
    with peak_allocation() as peak:
        if claimed == len(weights) and shape == (4, 3):
            model.load(path)  # a well-formed member: loads
        else:
            with pytest.raises((mg.CheckpointError, ValueError)) as caught:
                model.load(path)
    assert peak[0] < 1 << 20  # nothing near the claimed size was ever allocated
    if claimed == len(weights) and shape == (4, 3):
        assert_same_state(model.state_dict(), donor.state_dict())
        return
    message = str(caught.value)
    assert_same_state(model.state_dict(), before)
    if claimed == len(weights):  # consistent, but not a (4, 3) float array: a mismatch
        assert caught.type is ValueError and "'0.weight' has shape (96,)" in message
    else:
        assert caught.type is mg.CheckpointError, message
        assert "array '0.weight' is damaged (its header describes" in message
        assert f"{claimed:,} bytes of data" in message and "but it holds 96" in message


def _zeros_member(archive: zipfile.ZipFile, name: str, header: bytes, zeros: int) -> None:
    """A deflated member: `header`, then `zeros` zero bytes, written in pieces."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        member.write(header)
        piece = bytes(1 << 20)
        for start in range(0, zeros, len(piece)):
            member.write(piece[: zeros - start])


@pytest.mark.parametrize("honest", [True, False], ids=["header says 64 MiB", "header says 96 B"])
def test_a_compressed_member_that_inflates_far_beyond_the_model_is_refused_unread(
    tmp_path: Path, honest: bool
) -> None:
    """A deflated '0.weight' that inflates to 64 MiB (from well under one): refused without
    inflating it, whether its header says so (a mismatch: too large for the parameter) or
    claims the model's (4, 3) (a damaged file: the member holds far more than announced)."""
    good, path = tmp_path / "good.npz", tmp_path / "bomb.npz"
    mg.nn.MLP([3, 4, 2], seed=2).save(good)
    zeros = 64 << 20
    header = _npy_header((zeros // 8,) if honest else (4, 3))
    with (
        zipfile.ZipFile(good) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            if info.filename == "0.weight.npy":
                _zeros_member(archive, info.filename, header, zeros)
            else:
                archive.writestr(info.filename, source.read(info))
    assert path.stat().st_size < 2 << 20
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    with peak_allocation() as peak, pytest.raises(ValueError) as caught:
        model.load(path)
    assert peak[0] < 1 << 20  # the 64 MiB were never inflated
    message = str(caught.value)
    if honest:
        assert caught.type is ValueError
        assert message == (
            f"state dict entry '0.weight' has shape ({zeros // 8},), the model expects (4, 3)"
        )
    else:
        assert caught.type is mg.CheckpointError
        assert f"describes 96 bytes of data ((4, 3), float64), but it holds {zeros:,}" in message
    assert_same_state(model.state_dict(), before)


def _directory_entry(raw: bytes, member: str) -> int:
    """Where `member`'s entry in the zip's central directory starts."""
    entry = raw.index(b"PK\x01\x02")
    while raw[entry + 46 : entry + 46 + len(member)] != member.encode():
        entry = raw.index(b"PK\x01\x02", entry + 4)
    return entry


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=str)
def test_a_zip_entry_that_claims_more_data_than_the_file_can_hold_is_damaged(
    tmp_path: Path, method: int
) -> None:
    """The sizes of '0.weight' in the zip directory patched to 2 GiB, and its .npy header to
    match them: stored, its data would end far past the end of the file; deflated, they would
    have to inflate more than deflate can. Refused before reading or allocating anything."""
    good, path = tmp_path / "good.npz", tmp_path / "patched.npz"
    donor = mg.nn.MLP([3, 4, 2], seed=2)
    donor.save(good)
    weights = donor.state_dict()["0.weight"].tobytes()
    new_header = _npy_header((1 << 31,), "|u1")
    assert len(new_header) == len(_npy_header((4, 3)))
    _rewrite_member(good, path, "0.weight", new_header + weights, method)
    raw = bytearray(path.read_bytes())
    entry = _directory_entry(raw, "0.weight.npy")
    claimed = len(new_header) + (1 << 31)
    if method == zipfile.ZIP_STORED:  # compressed and uncompressed size
        struct.pack_into("<II", raw, entry + 20, claimed, claimed)
    else:
        struct.pack_into("<I", raw, entry + 24, claimed)  # uncompressed size only
    path.write_bytes(bytes(raw))
    model = mg.nn.MLP([3, 4, 2], seed=1)
    before = model.state_dict()
    with peak_allocation() as peak, pytest.raises(mg.CheckpointError) as caught:
        model.load(path)
    assert peak[0] < 1 << 20
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("0.weight.npy")
    if method == zipfile.ZIP_STORED:
        reason = (
            f"array '0.weight' is damaged (its data would end {info.header_offset + claimed:,} "
            f"bytes into a file of {len(raw):,})"
        )
    else:
        reason = (
            f"array '0.weight' is damaged (it claims to inflate {info.compress_size:,} bytes "
            f"into {claimed:,}, more than deflate can)"
        )
    assert caught.value.reason == reason
    assert_same_state(model.state_dict(), before)


def test_loading_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    model = mg.nn.MLP([2, 2], seed=0)
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "nowhere.npz")


# -- containers and arguments ----------------------------------------------------------------------


def test_sequential_indexing_and_length() -> None:
    first, second = mg.nn.Linear(2, 3, seed=0), mg.nn.Linear(3, 1, seed=1)
    act = mg.nn.ReLU()
    seq = mg.nn.Sequential(first, act, second)
    assert len(seq) == 3
    assert seq[0] is first and seq[1] is act and seq[2] is second
    assert seq[-1] is second
    assert seq.parameters() == [first.weight, first.bias, second.weight, second.bias]
    with pytest.raises(IndexError):
        _ = seq[3]
    x = np.array([[1.0, -2.0]])
    expected = second(first(x).relu()).data
    assert np.array_equal(seq(x).data, expected)
    assert len(mg.nn.Sequential()) == 0
    assert len(mg.nn.MLP([2, 3, 3, 1], output_activation="sigmoid")) == 6
    with pytest.raises(TypeError):
        mg.nn.Sequential(first, "relu")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        (mg.nn.MLP([2, 3, 1]), "MLP([2, 3, 1], activation='relu')"),
        (
            mg.nn.MLP([2, 3, 1], "tanh", output_activation="sigmoid"),
            "MLP([2, 3, 1], activation='tanh', output_activation='sigmoid')",
        ),
        (
            mg.nn.MLP([4, 1], output_activation="relu", scalar=True),
            "MLP([4, 1], activation='relu', output_activation='relu', scalar=True)",
        ),
        (mg.nn.Linear(3, 2, scalar=True), "Linear(3, 2, scalar=True)"),
        (
            mg.nn.Sequential(mg.nn.Linear(2, 2), mg.nn.Tanh()),
            "Sequential(0=Linear(2, 2), 1=Tanh())",
        ),
    ],
    ids=["mlp", "mlp-output-activation", "mlp-scalar-output-activation", "linear", "sequential"],
)
def test_repr_shows_the_constructor_arguments(model: mg.nn.Module, shown: str) -> None:
    assert repr(model) == shown
    if isinstance(model, mg.nn.MLP):  # the repr rebuilds the same architecture
        rebuilt = eval(shown, {"MLP": mg.nn.MLP})  # our own repr, in a test
        assert [repr(layer) for layer in rebuilt.layers] == [repr(m) for m in model.layers]
        assert rebuilt.output_activation == model.output_activation


@pytest.mark.parametrize(
    "sizes",
    [[], [3], [3, 0, 1], [0, 2], [2, -1]],
)
def test_mlp_rejects_bad_sizes(sizes: list[int]) -> None:
    with pytest.raises(ValueError, match="sizes"):
        mg.nn.MLP(sizes)


def test_bad_activations_and_layers_are_rejected() -> None:
    with pytest.raises(ValueError, match="gelu"):
        mg.nn.MLP([2, 2], activation="gelu")
    with pytest.raises(ValueError, match="softmax"):
        mg.nn.MLP([2, 2], output_activation="softmax")
    with pytest.raises(ValueError, match="gelu"):
        mg.nn.activation_module("gelu")
    with pytest.raises(ValueError):
        mg.nn.Linear(0, 3)
    with pytest.raises(ValueError):
        mg.nn.Linear(3, 0)
    layer = mg.nn.Linear(3, 2, seed=0, scalar=True)
    with pytest.raises(ValueError, match="3 inputs"):
        layer([1.0, 2.0])
