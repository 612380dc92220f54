"""Train a small CNN on 8x8 digit images, and an MLP on the same split, and print both accuracies.

    python examples/digits_cnn.py                   # scikit-learn's 8x8 digits (when installed)
    python examples/digits_cnn.py --data generated  # a generated image task (no scikit-learn)
    python examples/digits_cnn.py --epochs 3        # shorter

The CNN is Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Dropout(0.2) ->
Linear(256, 10), trained with AdamW and a cosine learning-rate schedule; the MLP (64-32-10, about
as many parameters) gets the same optimizer, schedule, epochs and batches. Without
scikit-learn the images are generated: ten kinds of stroke patterns (bars, corners, crosses, ...)
drawn at a random place in the 8x8 frame with noise, a task where the position varies as it does
in handwriting.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

import minigrad as mg
from minigrad import nn
from minigrad.data import batches, load_digits
from minigrad.nn import functional as F  # noqa: N812 - the usual name


def generated_images(n: int, seed: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """`n` noisy 8x8 images of ten stroke patterns (5x5 stencils) at random offsets, in 0..16."""
    s = np.zeros((10, 5, 5))
    s[0, 2, :] = 1  # horizontal bar
    s[1, :, 2] = 1  # vertical bar
    s[2] = np.eye(5)  # diagonal
    s[3] = np.fliplr(np.eye(5))  # anti-diagonal
    s[4, 2, :], s[4, :, 2] = 1, 1  # plus
    s[5] = np.eye(5) + np.fliplr(np.eye(5)) > 0  # cross
    s[6, 0, :], s[6, :, 0] = 1, 1  # corner
    s[7, [0, -1], :], s[7, :, [0, -1]] = 1, 1  # square
    s[8, 0, :], s[8, 4, :] = 1, 1  # two bars
    s[9, :, 0], s[9, 4, :] = 1, 1  # L
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    X = np.zeros((n, 8, 8))
    for i, label in enumerate(y):
        r, c = rng.integers(0, 4, 2)
        X[i, r : r + 5, c : c + 5] = s[label] * rng.uniform(8, 16)
    X += rng.uniform(0, 4, X.shape)
    return np.clip(X, 0, 16).reshape(n, 64), y


def load(kind: str, seed: int) -> tuple[str, NDArray[np.float64], NDArray[np.int64]]:
    """(description, images (n, 64) in 0..16, labels)."""
    if kind == "auto":
        kind = "digits" if importlib.util.find_spec("sklearn") is not None else "generated"
    if kind == "digits":
        X, y = load_digits()
        return "scikit-learn's 8x8 digits (1797 images)", X, y
    X, y = generated_images(1800, seed)
    return "generated 8x8 stroke images (1800; scikit-learn not used)", X, y


def cnn(seed: int) -> nn.Module:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2, rng=rng),
        nn.Linear(16 * 4 * 4, 10, rng=rng),
    )


def train(
    model: nn.Module,
    X: NDArray[np.float64],
    y: NDArray[np.int64],
    epochs: int,
    lr: float,
    seed: int,
) -> float:
    """Train with AdamW, a cosine schedule and mini-batches of 32; return the seconds taken."""
    optimizer = mg.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = mg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    order = np.random.default_rng(seed)
    model.train()
    started = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in batches(X, y, 32, rng=order):
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        schedule.step()
    return time.perf_counter() - started


def accuracy(model: nn.Module, X: NDArray[Any], y: NDArray[np.int64]) -> float:
    model.eval()
    with mg.no_grad():
        return float((model(X).data.argmax(axis=1) == y).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("auto", "digits", "generated"), default="auto")
    parser.add_argument("--epochs", type=int, default=15, help="epochs for both (default 15)")
    parser.add_argument("--lr", type=float, default=0.01, help="AdamW learning rate")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    description, X, y = load(args.data, args.seed)
    X = X / 16.0
    split = np.random.default_rng(args.seed).permutation(len(X))
    n_test = len(X) // 5
    test, fit_rows = split[:n_test], split[n_test:]
    images = X.reshape(-1, 1, 8, 8)  # (N, C, H, W): PyTorch's layout
    print(f"data: {description}; {len(fit_rows)} training, {n_test} test images")

    conv = cnn(args.seed)
    mlp = nn.MLP([64, 32, 10], seed=args.seed)
    rows = []
    for name, model, inputs in (("CNN", conv, images), ("MLP", mlp, X)):
        seconds = train(model, inputs[fit_rows], y[fit_rows], args.epochs, args.lr, args.seed)
        parameters = sum(p.data.size for p in model.parameters())
        rows.append((name, parameters, seconds, accuracy(model, inputs[test], y[test])))
    print(f"{'model':<5}  {'parameters':>10}  {'train s':>7}  test accuracy")
    for name, parameters, seconds, acc in rows:
        print(f"{name:<5}  {parameters:>10}  {seconds:>7.2f}  {acc:.4f}")
    cnn_acc, mlp_acc = rows[0][3], rows[1][3]
    print(f"CNN test accuracy: {cnn_acc:.4f}")
    print(f"MLP test accuracy: {mlp_acc:.4f}")
    print(f"the CNN is {'ahead of' if cnn_acc > mlp_acc else 'not ahead of'} the MLP")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
