"""`minigrad.train`: fit's history, strategy flag, losses, validation, progress bar and errors."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import BUILTIN_STRATEGIES

import minigrad as mg
from minigrad import data
from minigrad.train import LOSSES, accuracy, fit, predict


def moons(n: int = 120, seed: int = 0) -> tuple[Any, Any]:
    X, y = data.make_moons(n, noise=0.1, seed=seed)
    return X, y


def test_fit_learns_moons_and_records_one_entry_per_epoch() -> None:
    X, y = moons(200)
    model = mg.nn.MLP([2, 16, 16, 2], seed=0)
    history = fit(model, X, y, optimizer=mg.optim.Adam(model.parameters(), lr=0.05), epochs=25)
    assert len(history.loss) == len(history.accuracy) == 25
    assert history.val_accuracy == []
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] >= 0.95
    assert history.accuracy[-1] == accuracy(model, X, y)


@pytest.mark.parametrize("strategy", [s for s in BUILTIN_STRATEGIES if s != "topological"])
def test_the_strategy_flag_changes_the_walk_not_the_result(strategy: str) -> None:
    X, y = moons(40)
    results = []
    for name in ("topological", strategy):
        model = mg.nn.MLP([2, 4, 2], seed=3)
        optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = fit(model, X, y, optimizer=optimizer, epochs=3, batch_size=8, strategy=name)
        results.append((history.loss, [p.data.copy() for p in model.parameters()]))
    (loss_a, params_a), (loss_b, params_b) = results
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-12)
    for a, b in zip(params_a, params_b, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_the_strategy_flag_is_really_used() -> None:
    calls: list[str] = []

    def counting(root: Any, seed: Any) -> Any:
        calls.append("walk")
        return mg.backward.get_strategy("memoized")(root, seed)

    mg.register_strategy("counting_for_fit", counting)
    try:
        X, y = moons(32)
        model = mg.nn.MLP([2, 3, 2], seed=0)
        optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
        fit(model, X, y, optimizer=optimizer, epochs=2, batch_size=16, strategy="counting_for_fit")
    finally:
        mg.backward.unregister_strategy("counting_for_fit")
    assert len(calls) == 4  # 2 epochs x 2 minibatches


def test_full_batch_is_one_step_per_epoch_and_equals_plain_gradient_descent() -> None:
    X, y = moons(30)
    model = mg.nn.MLP([2, 3, 2], seed=5)
    twin = mg.nn.MLP([2, 3, 2], seed=5)
    fit(model, X, y, optimizer=mg.optim.SGD(model.parameters(), lr=0.3), epochs=4, batch_size=None)
    for _ in range(4):
        twin.zero_grad()
        loss = mg.nn.functional.cross_entropy(twin(X), y)
        loss.backward()
        for p in twin.parameters():
            p.data -= 0.3 * p.grad
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-15)


def test_bce_takes_0_1_labels_and_one_logit() -> None:
    X, y = moons(100)
    model = mg.nn.MLP([2, 12, 1], activation="tanh", seed=0)
    history = fit(
        model, X, y, loss="bce", optimizer=mg.optim.Adam(model.parameters(), lr=0.05), epochs=30
    )
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] >= 0.85
    assert predict(model, X).shape == (100, 1)


def test_mse_regression_without_accuracy() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.1).reshape(-1, 1)
    model = mg.nn.Linear(3, 1, seed=0)
    history = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=mg.optim.SGD(model.parameters(), lr=0.1),
        epochs=40,
        classify=False,
    )
    assert all(math.isnan(a) for a in history.accuracy)
    assert history.loss[-1] < 1e-3 < history.loss[0]
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=0.02)


def test_a_loss_function_can_be_passed() -> None:
    X, y = moons(20)
    seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def loss(prediction: mg.Value, target: Any) -> mg.Value:
        seen.append((prediction.shape, np.shape(target)))
        return mg.nn.functional.cross_entropy(prediction, target)

    model = mg.nn.MLP([2, 3, 2], seed=0)
    fit(model, X, y, loss=loss, optimizer=mg.optim.SGD(model.parameters(), lr=0.1), epochs=1)
    assert seen == [((20, 2), (20,))]  # the default batch of 32 holds all 20 rows


def test_validation_accuracy_is_recorded_each_epoch() -> None:
    X, y = moons(80)
    X_val, y_val = moons(40, seed=1)
    model = mg.nn.MLP([2, 8, 2], seed=0)
    history = fit(
        model,
        X,
        y,
        optimizer=mg.optim.Adam(model.parameters(), lr=0.05),
        epochs=3,
        validation=(X_val, y_val),
    )
    assert len(history.val_accuracy) == 3
    assert history.val_accuracy[-1] == accuracy(model, X_val, y_val)


def test_scalar_models_train_and_predict_like_tensor_models() -> None:
    X, y = moons(12)
    results = []
    for scalar in (False, True):
        model = mg.nn.MLP([2, 3, 2], seed=7, scalar=scalar)
        history = fit(
            model, X, y, optimizer=mg.optim.SGD(model.parameters(), lr=0.2), epochs=2, batch_size=6
        )
        results.append((history.loss, predict(model, X)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), epochs=st.integers(1, 3), batch=st.integers(1, 12))
def test_same_seed_same_history(seed: int, epochs: int, batch: int) -> None:
    X, y = moons(12)
    histories = []
    for _ in range(2):
        model = mg.nn.MLP([2, 3, 2], seed=1)
        optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
        histories.append(
            fit(model, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch, seed=seed).loss
        )
    assert histories[0] == histories[1]


def test_progress_bar_when_asked_and_silence_when_not(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    X, y = moons(16)
    model = mg.nn.MLP([2, 3, 2], seed=0)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    fit(model, X, y, optimizer=optimizer, epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, X, y, optimizer=optimizer, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "/2 " in err and "loss=" in err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "hinge"}, re.escape("unknown loss 'hinge'; choose from " + ", ".join(LOSSES))),
        ({"epochs": 0}, "epochs must be >= 1"),
    ],
)
def test_bad_arguments_are_named_before_any_step(kwargs: dict[str, Any], message: str) -> None:
    X, y = moons(10)
    model = mg.nn.MLP([2, 3, 2], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, optimizer=mg.optim.SGD(model.parameters(), lr=0.1), **kwargs)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))


def test_rows_of_x_and_y_must_match() -> None:
    X, y = moons(10)
    model = mg.nn.MLP([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"10.*9|9.*10"):
        fit(model, X, y[:9], optimizer=mg.optim.SGD(model.parameters(), lr=0.1))
