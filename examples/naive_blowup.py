"""Naive recursion without a memo: right gradients, exponentially many calls.

    python examples/naive_blowup.py
    python examples/naive_blowup.py --max-width 3 --max-depth 6 --max-calls 50000

Part 1 is the notebook's 2-2-2-2-1 sigmoid network in scalar mode (one Value per weight): its
loss and full gradient table under every backward strategy, checked against hand-written
backpropagation, and the notebook's own count of 111 calls for a dL/dz recursion without a memo.
Part 2 shows how `naive`'s vjp_calls grow with depth and width, next to the exact prediction
`minigrad.backward.naive.predict_calls` (the number of output-to-node paths) and the linear
strategies' calls.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

import minigrad as mg
from minigrad.backward.naive import predict_calls
from minigrad.nn import MLP

Array = NDArray[np.float64]

# The notebook's network: weights (out, in), biases, input and target.
WEIGHTS = [
    (np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([0.0, 0.1])),
    (np.array([[-0.5, 0.2], [0.3, 0.7]]), np.array([0.2, -0.3])),
    (np.array([[0.6, -0.1], [-0.4, 0.2]]), np.array([-0.2, 0.05])),
    (np.array([[0.8, -0.6]]), np.array([0.15])),
]
X = [0.7, -1.2]
Y = 0.9


def notebook_net() -> MLP:
    """The 2-2-2-2-1 sigmoid net in scalar mode, holding the notebook's weights."""
    model = MLP((2, 2, 2, 2, 1), "sigmoid", output_activation="sigmoid", scalar=True)
    state = {}
    for (W, b), layer in zip(WEIGHTS, ("0", "2", "4", "6"), strict=True):
        state[f"{layer}.weight"], state[f"{layer}.bias"] = W, b
    model.load_state_dict(state)
    return model


def half_squared_error(model: MLP, x: list[float], y: float) -> mg.Value:
    """L = 0.5 (y - yhat)^2 for one sample."""
    (yhat,) = model(x)
    out: mg.Value = 0.5 * (y - yhat) ** 2
    return out


def sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-z))
    return out


def by_hand() -> tuple[float, list[tuple[Array, Array]], int, int]:
    """Backpropagation written out, plus the notebook's memo-free dL/dz recursion and its count.

    Returns the loss, (dW, db) per layer, and how many times the memo-free recursion and a
    memoized one evaluate dL/dz when every parameter asks for its own.
    """
    activations = [np.array(X)]
    for W, b in WEIGHTS:
        activations.append(sigmoid(W @ activations[-1] + b))
    yhat = activations[-1][0]
    loss = 0.5 * (Y - yhat) ** 2
    last = len(WEIGHTS) - 1
    calls = 0

    def delta(layer: int, j: int) -> float:
        """dL/dz_j of `layer`, recomputed from the output every time (no memo)."""
        nonlocal calls
        calls += 1
        a = activations[layer + 1][j]
        if layer == last:
            return float((yhat - Y) * a * (1 - a))
        W_next = WEIGHTS[layer + 1][0]
        upstream = sum(delta(layer + 1, k) * W_next[k, j] for k in range(W_next.shape[0]))
        return float(upstream * a * (1 - a))

    grads = []
    for layer, (W, _) in enumerate(WEIGHTS):
        dW, db = np.zeros_like(W), np.zeros(W.shape[0])
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                dW[j, i] = delta(layer, j) * activations[layer][i]
            db[j] = delta(layer, j)
        grads.append((dW, db))
    memoized_calls = sum(W.shape[0] for W, _ in WEIGHTS)  # one per neuron
    return float(loss), grads, calls, memoized_calls


def part_one() -> None:
    print("== the notebook's 2-2-2-2-1 sigmoid net, scalar mode ==")
    print(f"x = {X}, y = {Y}, L = 0.5 (y - yhat)^2")
    loss_by_hand, grads_by_hand, notebook_calls, memo_calls = by_hand()
    model = notebook_net()
    names = [
        f"{kind}{layer + 1}[{index}]"
        for layer, (W, b) in enumerate(WEIGHTS)
        for kind, array in (("W", W), ("b", b))
        for index in (
            [f"{j},{i}" for j in range(W.shape[0]) for i in range(W.shape[1])]
            if kind == "W"
            else [str(j) for j in range(len(b))]
        )
    ]
    expected = np.concatenate([np.concatenate([dW.ravel(), db]) for dW, db in grads_by_hand])
    columns: dict[str, Array] = {}
    stats_rows = []
    loss_value = float("nan")
    for strategy in mg.available_strategies():
        model.zero_grad()
        loss = half_squared_error(model, X, Y)
        stats = loss.backward(strategy=strategy)
        loss_value = loss.item()
        columns[strategy] = np.array([p.grad for p in model.parameters()])
        stats_rows.append((strategy, stats.vjp_calls, stats.nodes, stats.max_depth))
    print(f"loss = {loss_value:.12f} (by hand: {loss_by_hand:.12f})")
    print()
    strategies = list(columns)
    print(
        f"{'parameter':<10}{'value':>8}"
        + "".join(f"{s:>15}" for s in strategies)
        + f"{'by hand':>15}"
    )
    values = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in WEIGHTS])
    for row, name in enumerate(names):
        cells = "".join(f"{columns[s][row]:>15.10f}" for s in strategies)
        print(f"{name:<10}{values[row]:>8.2f}{cells}{expected[row]:>15.10f}")
    spread = max(float(np.max(np.abs(columns[s] - expected))) for s in strategies)
    print(f"max |strategy - by hand| over all {len(names)} parameters: {spread:.1e}")
    print()
    print(f"{'strategy':<14}{'vjp_calls':>10}{'nodes':>7}{'max_depth':>10}")
    for strategy, calls, nodes, depth in stats_rows:
        print(f"{strategy:<14}{calls:>10}{nodes:>7}{depth:>10}")
    print(f"predict_calls (output-to-node paths over op nodes): {predict_calls(loss)}")
    print(
        f"the notebook's count: a memo-free dL/dz recursion asked once per parameter runs "
        f"{notebook_calls} times ({memo_calls} with a memo: one per neuron).\n"
        "minigrad's naive counts differently (backward-rule calls on the scalar graph's "
        "multiply, add and sigmoid nodes), but grows the same way."
    )


def dense_net_loss(width: int, depth: int) -> mg.Value:
    """A scalar sigmoid net: `width` inputs, depth - 1 hidden layers of `width`, one output."""
    sizes = (width,) + (width,) * (depth - 1) + (1,)
    model = MLP(sizes, "sigmoid", output_activation="sigmoid", scalar=True, seed=0)
    x = list(np.random.default_rng(1).normal(size=width))
    return half_squared_error(model, x, Y)


def timed(run: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def part_two(max_width: int, max_depth: int, max_calls: int) -> None:
    print("== how naive grows: width x depth, scalar sigmoid nets, one sample ==")
    print(
        f"{'width':>5}{'depth':>6}{'nodes':>7}{'predicted':>12}{'naive':>12}{'memoized':>10}"
        f"{'topological':>12}{'naive/topo':>11}{'naive s':>9}"
    )
    for width in range(1, max_width + 1):
        for depth in range(1, max_depth + 1):
            loss = dense_net_loss(width, depth)
            predicted = predict_calls(loss)
            linear = {}
            for strategy in ("memoized", "topological"):
                linear[strategy] = loss.backward(strategy=strategy)
            nodes = linear["topological"].nodes
            topo_calls = linear["topological"].vjp_calls
            if predicted <= max_calls:
                stats, seconds = timed(partial(loss.backward, strategy="naive"))
                naive_calls = f"{stats.vjp_calls:,}"
                assert stats.vjp_calls == predicted
                ratio = f"{stats.vjp_calls / topo_calls:.1f}x"
                naive_s = f"{seconds:.3f}"
            else:
                naive_calls, ratio, naive_s = "skipped", f"{predicted / topo_calls:.0f}x*", "-"
            print(
                f"{width:>5}{depth:>6}{nodes:>7}{predicted:>12,}{naive_calls:>12}"
                f"{linear['memoized'].vjp_calls:>10}{topo_calls:>12}{ratio:>11}{naive_s:>9}"
            )
    print(
        "depth = Linear layers; predicted = naive.predict_calls, exact wherever naive ran; "
        f"skipped: above --max-calls {max_calls:,} (* = predicted ratio); width 2, depth 4 is "
        "the notebook's net.\n"
        "naive's calls multiply by about the width per layer (paths), the others grow like the "
        "number of nodes."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-width", type=int, default=5, help="widest net (default 5)")
    parser.add_argument("--max-depth", type=int, default=8, help="deepest net (default 8)")
    parser.add_argument(
        "--max-calls", type=int, default=200_000, help="run naive only up to this many calls"
    )
    args = parser.parse_args(argv)
    part_one()
    print()
    part_two(args.max_width, args.max_depth, args.max_calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
