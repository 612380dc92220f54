"""The 2-2-2-2-1 sigmoid network of the naive-recursion notebook: a fixed reference table.

a_0 = x, a_l = sigmoid(W_l a_{l-1} + b_l), loss = 0.5 (y - a_4)^2. Four numbers are quoted from
the notebook; every other entry of the table (all weights and biases) is derived here by a
hand-written numpy backprop that shares no code with minigrad, and minigrad must reproduce the
whole table in scalar mode (one Value per weight) and tensor mode, under every strategy.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")

WEIGHTS = [
    np.array([[0.3, -0.2], [0.1, 0.4]]),
    np.array([[-0.5, 0.2], [0.3, 0.7]]),
    np.array([[0.6, -0.1], [-0.4, 0.2]]),
    np.array([[0.8, -0.6]]),
]
BIASES = [
    np.array([0.0, 0.1]),
    np.array([0.2, -0.3]),
    np.array([-0.2, 0.05]),
    np.array([0.15]),
]
X = np.array([0.7, -1.2])
Y = 0.9

# Quoted from the notebook.
LOSS = 0.055878068519147776
DL_DB4 = -0.0821318445040607
DL_DW3_00 = -0.008124538649331792
DL_DW1_00 = 0.0003582243755061708

TOL = 1e-12


def numpy_backprop() -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Loss and gradients by the textbook recurrences, in plain numpy.

    delta_L = (a_L - y) * a_L (1 - a_L);  delta_l = (W_{l+1}^T delta_{l+1}) * a_l (1 - a_l);
    dL/dW_l = outer(delta_l, a_{l-1});  dL/db_l = delta_l.
    """
    activations = [X]
    for W, b in zip(WEIGHTS, BIASES, strict=True):
        z = W @ activations[-1] + b
        activations.append(1.0 / (1.0 + np.exp(-z)))
    y_hat = activations[-1][0]
    loss = 0.5 * (Y - y_hat) ** 2
    a = activations[-1]
    delta = (a - Y) * a * (1.0 - a)
    grads_w: list[np.ndarray] = [np.empty(0)] * 4
    grads_b: list[np.ndarray] = [np.empty(0)] * 4
    for layer in range(3, -1, -1):
        grads_w[layer] = np.outer(delta, activations[layer])
        grads_b[layer] = delta
        if layer:
            a = activations[layer]
            delta = (WEIGHTS[layer].T @ delta) * a * (1.0 - a)
    return float(loss), grads_w, grads_b


def test_numpy_backprop_reproduces_the_quoted_numbers() -> None:
    loss, grads_w, grads_b = numpy_backprop()
    assert loss == pytest.approx(LOSS, rel=TOL, abs=TOL)
    assert grads_b[3][0] == pytest.approx(DL_DB4, rel=TOL, abs=TOL)
    assert grads_w[2][0, 0] == pytest.approx(DL_DW3_00, rel=TOL, abs=TOL)
    assert grads_w[0][0, 0] == pytest.approx(DL_DW1_00, rel=TOL, abs=TOL)


def numpy_central_differences(layer: int, i: int, j: int | None) -> float:
    """d loss / d (one weight or bias) by central differences, numpy only."""

    def loss_with(delta: float) -> float:
        weights = [w.copy() for w in WEIGHTS]
        biases = [b.copy() for b in BIASES]
        if j is None:
            biases[layer][i] += delta
        else:
            weights[layer][i, j] += delta
        a = X
        for W, b in zip(weights, biases, strict=True):
            a = 1.0 / (1.0 + np.exp(-(W @ a + b)))
        return float(0.5 * (Y - a[0]) ** 2)

    eps = 1e-6
    return (loss_with(eps) - loss_with(-eps)) / (2 * eps)


def test_numpy_backprop_agrees_with_central_differences() -> None:
    # The derived table is itself checked, entry by entry, against a second method.
    _, grads_w, grads_b = numpy_backprop()
    for layer in range(4):
        for (i, j), g in np.ndenumerate(grads_w[layer]):
            assert g == pytest.approx(numpy_central_differences(layer, i, j), abs=1e-9)
        for (i,), g in np.ndenumerate(grads_b[layer]):
            assert g == pytest.approx(numpy_central_differences(layer, i, None), abs=1e-9)


def scalar_network() -> tuple[mg.Value, list[list[list[mg.Value]]], list[list[mg.Value]]]:
    """The network with one Value per weight and per bias (scalar mode)."""
    weights = [
        [
            [mg.Value(float(w), label=f"W{n + 1}[{i}][{j}]") for j, w in enumerate(row)]
            for i, row in enumerate(W)
        ]
        for n, W in enumerate(WEIGHTS)
    ]
    biases = [
        [mg.Value(float(v), label=f"b{n + 1}[{i}]") for i, v in enumerate(b)]
        for n, b in enumerate(BIASES)
    ]
    a: list[mg.Value | float] = [float(v) for v in X]
    for W, b in zip(weights, biases, strict=True):
        layer_out: list[mg.Value | float] = []
        for row, bias in zip(W, b, strict=True):
            z = bias
            for w, x in zip(row, a, strict=True):
                z = z + w * x
            layer_out.append(z.sigmoid())
        a = layer_out
    y_hat = a[0]
    assert isinstance(y_hat, mg.Value)
    loss = 0.5 * (Y - y_hat) ** 2
    return loss, weights, biases


def tensor_network() -> tuple[mg.Value, list[mg.Value], list[mg.Value]]:
    """The network with one Value per weight matrix and per bias vector (tensor mode)."""
    weights = [mg.Value(W.copy(), label=f"W{n + 1}") for n, W in enumerate(WEIGHTS)]
    biases = [mg.Value(b.copy(), label=f"b{n + 1}") for n, b in enumerate(BIASES)]
    a: mg.Value = mg.Value(X.copy(), requires_grad=False)
    for W, b in zip(weights, biases, strict=True):
        a = (W @ a + b).sigmoid()
    loss = (0.5 * (Y - a) ** 2).sum()
    return loss, weights, biases


def assert_table(loss: float, grads_w: list[np.ndarray], grads_b: list[np.ndarray]) -> None:
    _, expected_w, expected_b = numpy_backprop()
    assert loss == pytest.approx(LOSS, rel=TOL, abs=TOL)
    assert grads_b[3][0] == pytest.approx(DL_DB4, rel=TOL, abs=TOL)
    assert grads_w[2][0, 0] == pytest.approx(DL_DW3_00, rel=TOL, abs=TOL)
    assert grads_w[0][0, 0] == pytest.approx(DL_DW1_00, rel=TOL, abs=TOL)
    for layer in range(4):
        assert grads_w[layer].shape == expected_w[layer].shape
        assert grads_b[layer].shape == expected_b[layer].shape
        np.testing.assert_allclose(grads_w[layer], expected_w[layer], rtol=TOL, atol=TOL)
        np.testing.assert_allclose(grads_b[layer], expected_b[layer], rtol=TOL, atol=TOL)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_scalar_mode_reproduces_the_table(strategy: str) -> None:
    loss, weights, biases = scalar_network()
    assert type(loss.data) is float
    stats = loss.backward(strategy=strategy)
    assert stats.strategy == strategy
    for W in weights:
        for row in W:
            assert all(type(w.grad) is float for w in row)
    grads_w = [np.array([[w.grad for w in row] for row in W]) for W in weights]
    grads_b = [np.array([b.grad for b in layer]) for layer in biases]
    assert_table(loss.data, grads_w, grads_b)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tensor_mode_reproduces_the_table(strategy: str) -> None:
    loss, weights, biases = tensor_network()
    stats = loss.backward(strategy=strategy)
    assert stats.strategy == strategy
    assert_table(loss.item(), [W.grad for W in weights], [b.grad for b in biases])
