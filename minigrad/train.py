"""`fit`: a small training loop over minibatches with any backward strategy and a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.data import batches
from minigrad.grad_mode import no_grad
from minigrad.losses import LOSSES as LOSSES
from minigrad.losses import get_loss
from minigrad.nn.module import Module
from minigrad.optim import Optimizer
from minigrad.progress import progress as progress_bar
from minigrad.value import Value


@dataclass
class History:
    """Per-epoch training record: mean minibatch loss and accuracies (NaN when not measured)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


def predict(model: Module, X: NDArray[Any]) -> NDArray[np.float64]:
    """The model's outputs for X as an (N, outputs) array, without building a graph."""
    with no_grad():
        out = model(X)
    if isinstance(out, Value):
        return np.asarray(out.data, dtype=np.float64).reshape(len(X), -1)
    return np.array([[v.data for v in row] for row in out], dtype=np.float64)


def accuracy(model: Module, X: NDArray[Any], y: NDArray[Any]) -> float:
    """Fraction of samples classified right (argmax for several outputs, logit > 0 for one)."""
    out = predict(model, X)
    guess = (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
    return float(np.mean(guess == np.asarray(y).reshape(-1)))


def fit(
    model: Module,
    X: NDArray[Any],
    y: NDArray[Any],
    *,
    loss: str | Callable[[Any, Any], Value] = "cross_entropy",
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int | None = 32,
    strategy: str | None = None,
    validation: tuple[NDArray[Any], NDArray[Any]] | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
    classify: bool = True,
) -> History:
    """Train `model` on (X, y) and return the per-epoch history.

    Args:
        loss: "cross_entropy" (integer labels), "bce" (one logit, 0/1 labels), "mse", or a
            function `(prediction, target) -> Value`.
        optimizer: e.g. `optim.SGD(model.parameters(), lr=0.1)`.
        batch_size: minibatch size; None for full batch.
        strategy: the backward strategy (None: the default).
        validation: (X_val, y_val) to measure accuracy on after each epoch.
        seed: shuffling seed.
        progress: show a progress bar (None: only on a terminal).
        classify: record accuracies (turn off for regression).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    loss_fn = get_loss(loss) if isinstance(loss, str) else loss
    X = np.asarray(X)
    y = np.asarray(y)
    target = y.reshape(-1, 1).astype(np.float64) if loss == "bce" else y
    rng = np.random.default_rng(seed)
    history = History()
    bar = progress_bar(range(epochs), "training", unit="epoch", enabled=progress)
    try:
        for _ in bar:
            losses = []
            for xb, yb in batches(X, target, batch_size or len(X), shuffle=True, rng=rng):
                optimizer.zero_grad()
                value = loss_fn(model(xb), yb)
                value.backward(strategy=strategy)
                optimizer.step()
                losses.append(value.item())
            history.loss.append(float(np.mean(losses)))
            nan = float("nan")
            history.accuracy.append(accuracy(model, X, y) if classify else nan)
            if validation is not None and classify:
                history.val_accuracy.append(accuracy(model, *validation))
            bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}")
    finally:
        bar.close()
    return history
