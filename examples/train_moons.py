"""Train a tensor MLP on the two-moons problem with `minigrad.train.fit` and check its accuracy.

    python examples/train_moons.py                    # train, print accuracy, exit 1 if < 97%,
                                                      # save moons_boundary.png (with matplotlib)
    python examples/train_moons.py --plot moons.png   # save the decision boundary there instead
    python examples/train_moons.py --no-plot          # no picture

The accuracy that counts is on a held-out test set drawn with another seed.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from numpy.typing import NDArray

import minigrad as mg
from minigrad.data import make_moons
from minigrad.train import accuracy, fit, predict

TARGET = 0.97
DEFAULT_PLOT = "moons_boundary.png"


def save_boundary(
    model: mg.nn.Module, X: NDArray[np.float64], y: NDArray[np.int64], path: str
) -> bool:
    """Plot the model's decision regions and the points; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    out = predict(model, grid)
    region = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(np.int64)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.contourf(xs, ys, region.reshape(xs.shape), levels=[-0.5, 0.5, 1.5], alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=12, edgecolors="k", linewidths=0.3)
    ax.set_title("minigrad MLP on two moons: decision boundary")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400, help="training points (default 400)")
    parser.add_argument("--noise", type=float, default=0.1, help="moons noise (default 0.1)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs (default 100)")
    parser.add_argument("--hidden", type=int, default=16, help="units per hidden layer")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    parser.add_argument("--strategy", default=None, help="backward strategy (default: default)")
    parser.add_argument("--seed", type=int, default=0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--plot",
        metavar="FILE",
        default=DEFAULT_PLOT,
        help=f"where to save the decision-boundary PNG (default {DEFAULT_PLOT}, needs matplotlib)",
    )
    where.add_argument(
        "--no-plot", dest="plot", action="store_const", const=None, help="save no picture"
    )
    args = parser.parse_args(argv)

    X, y = make_moons(args.samples, noise=args.noise, seed=args.seed)
    X_test, y_test = make_moons(1000, noise=args.noise, seed=args.seed + 1)
    model = mg.nn.MLP((2, args.hidden, args.hidden, 2), "relu", seed=args.seed)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    strategy = args.strategy or mg.get_default_strategy()
    print(f"two moons: {len(X)} training points, noise {args.noise}; {model!r}")
    print(f"Adam lr {args.lr}, batch 32, {args.epochs} epochs, backward strategy {strategy!r}")

    started = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=32,
        strategy=strategy,
        validation=(X_test, y_test),
        seed=args.seed,
    )
    seconds = time.perf_counter() - started
    for epoch in sorted({0, len(history.loss) // 4, len(history.loss) // 2, len(history.loss) - 1}):
        print(
            f"  epoch {epoch + 1:>4}: loss {history.loss[epoch]:.4f}  "
            f"train acc {history.accuracy[epoch]:.3f}  test acc {history.val_accuracy[epoch]:.3f}"
        )
    train_acc = accuracy(model, X, y)
    test_acc = accuracy(model, X_test, y_test)
    print(f"trained in {seconds:.2f} s")
    print(f"train accuracy: {train_acc:.4f}")
    print(f"test accuracy: {test_acc:.4f} (target >= {TARGET:.2f}, 1,000 held-out points)")

    if args.plot:
        if save_boundary(model, X, y, args.plot):
            print(f"decision boundary saved to {args.plot}")
        else:
            print(
                "matplotlib is not installed, so no decision-boundary plot: pip install matplotlib"
            )

    if test_acc < TARGET:
        print(f"FAILED: test accuracy {test_acc:.4f} is below {TARGET:.2f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
