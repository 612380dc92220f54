"""The figures behind the command line's `--plot` options; matplotlib is imported only to draw."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.nn.module import Module
from minigrad.train import predict


def have_matplotlib(command: str) -> bool:
    """True if matplotlib imports; else say what --plot needs, on stderr."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            f"minigrad {command}: --plot needs matplotlib, which is not installed: "
            "pip install matplotlib (or pip install -e '.[plot]')",
            file=sys.stderr,
        )
        return False
    return True


def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_blowup(path: str, depths: list[int], curves: dict[int, dict[str, list[float]]]) -> int:
    """Naive's predicted and measured calls and the linear strategies' calls, log scale.

    Args:
        path: The image file to write.
        depths: The x values.
        curves: Width -> {"predicted", "naive", "linear"} -> one count per depth (NaN: not run).

    Returns:
        The exit status: 0, or 1 if the file could not be written (said on stderr).
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    handles: list[Any] = []
    for number, (width, series) in enumerate(curves.items()):
        color = f"C{number % 10}"
        (line,) = ax.semilogy(depths, series["predicted"], "o-", color=color)
        ax.semilogy(depths, series["naive"], "x", color=color, markersize=10)
        ax.semilogy(depths, series["linear"], "s--", color=color, markersize=4)
        line.set_label(f"width {width}")
        handles.append(line)
    handles += [
        Line2D([], [], color="gray", marker="o", label="naive: predicted (path count)"),
        Line2D([], [], color="gray", marker="x", markersize=10, linestyle="none",
               label="naive: measured"),
        Line2D([], [], color="gray", marker="s", markersize=4, linestyle="--",
               label="memoized / cycle_checked / topological"),
    ]  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("backward-rule calls")
    widths = ", ".join(map(str, curves))
    ax.set_title(f"Dense scalar nets of width{'s' if len(curves) > 1 else ''} {widths}")
    ax.legend(handles=handles, fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as error:
        print(f"minigrad blowup: {path} not written: {error}", file=sys.stderr)
        return 1
    finally:
        plt.close(fig)
    print(f"wrote {path}")
    return 0


def plot_training(
    folder: Path, model: Module, X: np.ndarray[Any, Any], y: np.ndarray[Any, Any],
    losses: list[float], name: str,
) -> int:  # fmt: skip
    """Write `loss.png` (the loss per epoch) and, for 2-D inputs, `boundary.png` into `folder`.

    Args:
        folder: Where the images go; created if missing.
        model: The trained model, for the decision boundary.
        X: The training inputs.
        y: Their labels.
        losses: The loss per epoch.
        name: The data set's name, for the titles.

    Returns:
        The exit status, 0.
    """
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(losses)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(f"{name}: training loss")
    _save(plt, fig, folder / "loss.png")
    if X.shape[1] == 2:
        pad = 0.5
        xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 200)
        ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 200)
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        zone = predict(model, grid).argmax(axis=1).reshape(gx.shape)
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.contourf(gx, gy, zone, alpha=0.3, cmap="coolwarm")
        ax.scatter(X[:, 0], X[:, 1], c=y, s=8, cmap="coolwarm")
        ax.set_title(f"{name}: decision boundary")
        _save(plt, fig, folder / "boundary.png")
    return 0


def _save(plt: Any, fig: Any, path: Path) -> None:
    """Lay out, write and close `fig`; say where it went."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
