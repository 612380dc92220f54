"""Scalar mode against micrograd: an MLP 2-16-16-1 on 100 points, forward + backward.

Both engines get the same weights and the same data, and build the same graph the same way
(micrograd's `Neuron`: `sum(w_i * x_i, b)`, ReLU on the hidden layers, a linear output; the loss is
the mean squared error). The script first checks that both give the same loss and gradients, then
times forward, backward and forward + backward, under every minigrad strategy.

Everything is timed twice: with the garbage collector on (Python's default, what a training loop
sees) and off (as `timeit` does: the cost of the arithmetic and bookkeeping alone). Both engines'
times change with the setting, micrograd's most: its backward closures make every node part of a
reference cycle, which the collector keeps traversing while the graph grows, and which, with the
collector off, is never freed (minigrad's graphs are freed by reference counting inside the
timed loop). The verdicts against the targets depend mostly on this setting; both are printed.

Targets (issue 14), for the default strategy (`mg.get_default_strategy()`: "topological" unless
MINIGRAD_STRATEGY says otherwise): minigrad's forward + backward time <= 0.1x micrograd's with the
collector on, <= 0.4x with it off.

Run: `.venv/bin/python -m benchmarks.bench_scalar_vs_micrograd [--quick] [--repeat N]`
(`--quick`: 4 points, the collector on only, no size sweep and no verdict: a smoke test).
"""

from __future__ import annotations

import gc
import itertools
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad as mg
from benchmarks._common import (
    fmt_int,
    fmt_seconds,
    make_parser,
    median_time,
    print_header,
    print_table,
    repeat_from,
)

try:
    from micrograd import nn as micro_nn
except ImportError:  # the micrograd column is skipped
    micro_nn = None

SIZES = (2, 16, 16, 1)
TARGET_RATIOS = {True: 0.1, False: 0.4}
"""Issue 14: minigrad / micrograd, forward + backward, at most; by collector setting (on, off)."""

Weights = list[list[tuple[list[float], float]]]
"""Per layer, per neuron: (input weights, bias)."""


class ScalarMLP:
    """micrograd's MLP, neuron by neuron, on minigrad's scalar Values (ReLU hidden, linear out)."""

    def __init__(self, weights: Weights) -> None:
        self.layers = [
            [([mg.Value(w) for w in ws], mg.Value(b)) for ws, b in layer] for layer in weights
        ]

    def __call__(self, x: Sequence[Any]) -> Any:
        last = len(self.layers) - 1
        out: list[Any] = list(x)
        for i, layer in enumerate(self.layers):
            acts = [sum((wi * xi for wi, xi in zip(ws, out, strict=True)), b) for ws, b in layer]
            out = [a.relu() for a in acts] if i < last else acts
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


@dataclass
class Engine:
    """One engine under test: how to run the forward pass and the backward pass."""

    name: str
    strategy: str
    forward: Callable[[], Any]
    backward: Callable[[Any], Any]
    parameters: list[Any]


def make_data(n: int, seed: int) -> tuple[list[tuple[float, float]], list[float]]:
    """n points in [-2, 2]^2 with a smooth target in [-1, 1]."""
    rng = random.Random(seed)
    xs = [(rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)) for _ in range(n)]
    ys = [0.8 * (x0 * x1 > 0) - 0.4 + 0.1 * x0 for x0, x1 in xs]
    return xs, ys


def make_weights(seed: int) -> tuple[Weights, Any]:
    """Weights drawn as micrograd draws them (uniform(-1, 1), bias 0); micrograd's model too."""
    random.seed(seed)
    if micro_nn is not None:
        model = micro_nn.MLP(SIZES[0], list(SIZES[1:]))
        weights = [
            [([w.data for w in n.w], float(n.b.data)) for n in layer.neurons]
            for layer in model.layers
        ]
        return weights, model
    rng = random.Random(seed)
    weights = [
        [([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in itertools.pairwise(SIZES)
    ]
    return weights, None


def mse(model: Callable[[Any], Any], xs: Sequence[Any], ys: Sequence[float]) -> Any:
    """Mean squared error, written the same way for both engines."""
    loss = sum((model(list(x)) - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return loss * (1.0 / len(xs))


def engines(weights: Weights, micro_model: Any, xs: Any, ys: Any) -> list[Engine]:
    """micrograd (when installed), then minigrad under each strategy, all with the same weights."""
    out: list[Engine] = []
    if micro_model is not None:
        out.append(
            Engine(
                "micrograd",
                "-",
                lambda: mse(micro_model, xs, ys),
                lambda loss: loss.backward(),
                micro_model.parameters(),
            )
        )
    model = ScalarMLP(weights)
    for strategy in mg.available_strategies():

        def forward(strategy: str = strategy) -> Any:
            with mg.use_strategy(strategy):  # as a user would: tape records while the default
                return mse(model, xs, ys)

        def backward(loss: Any, strategy: str = strategy) -> Any:
            return loss.backward(strategy=strategy)

        out.append(Engine("minigrad", strategy, forward, backward, model.parameters()))
    return out


def zero_grads(engine: Engine) -> None:
    for p in engine.parameters:
        p.grad = 0.0 if engine.name == "micrograd" else None


def check(engine_list: list[Engine]) -> tuple[list[list[str]], dict[str, str]]:
    """One forward + backward each: losses, gradient differences and walk statistics.

    Returns the table rows and, per strategy, why it refused (if it did).
    """
    reference: tuple[float, list[float]] | None = None
    rows: list[list[str]] = []
    refused: dict[str, str] = {}
    for engine in engine_list:
        zero_grads(engine)
        loss = engine.forward()
        try:
            stats = engine.backward(loss)
        except mg.PathExplosionError as error:
            refused[engine.strategy] = f"refused ({fmt_int(error.predicted_calls)} calls predicted)"
            rows.append([engine.name, engine.strategy, f"{loss.data:.17g}", "", "", "", "", ""])
            continue
        grads = [float(p.grad) for p in engine.parameters]
        if reference is None:
            reference = (float(loss.data), grads)
            loss_diff, grad_diff = "(reference)", "(reference)"
        else:
            loss_diff = f"{abs(float(loss.data) - reference[0]):.2e}"
            grad_diff = f"{max(abs(a - b) for a, b in zip(grads, reference[1], strict=True)):.2e}"
        if stats is None:  # micrograd returns nothing
            calls = nodes = depth = "-"
        else:
            calls, nodes, depth = (
                fmt_int(stats.vjp_calls),
                fmt_int(stats.nodes),
                str(stats.max_depth),
            )
        rows.append(
            [
                engine.name,
                engine.strategy,
                f"{loss.data:.17g}",
                loss_diff,
                grad_diff,
                calls,
                nodes,
                depth,
            ]
        )
    for engine in engine_list:
        zero_grads(engine)
    return rows, refused


def _forward_kind(engine: Engine) -> tuple[str, bool]:
    """Engines whose forward passes run the same code: minigrad's record a tape only for tape."""
    return engine.name, engine.strategy == "tape"


def time_engine(
    engine: Engine, repeat: int, gc_enabled: bool, forward: float | None = None
) -> tuple[float, float, float]:
    """Median seconds of forward, backward (on a fresh graph each time) and forward + backward.

    `forward`, when given, is a median already measured for the same forward code (minigrad's
    forward pass does not depend on the strategy), and is not measured again.
    """
    if forward is None:
        forward = median_time(engine.forward, repeat, gc_enabled=gc_enabled)
    backward = median_time(engine.backward, repeat, setup=engine.forward, gc_enabled=gc_enabled)
    total = median_time(lambda: engine.backward(engine.forward()), repeat, gc_enabled=gc_enabled)
    return forward, backward, total


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("Scalar mode against micrograd: MLP 2-16-16-1, forward + backward.")
    parser.add_argument("--points", type=int, default=None, help="data points (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    points = args.points or (4 if args.quick else 100)

    micro_version = "not installed: its column is skipped"
    if micro_nn is not None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            micro_version = version("micrograd")
        except PackageNotFoundError:
            micro_version = "installed (version unknown)"
    print_header(
        "minigrad scalar mode vs micrograd",
        args,
        [
            ("minigrad", mg.__version__),
            ("micrograd", micro_version),
            ("gc", f"thresholds {gc.get_threshold()}"),
            ("model", f"MLP {'-'.join(map(str, SIZES))}, ReLU hidden, linear output, MSE"),
            ("data", f"{points} points, seed {args.seed}"),
        ],
    )
    if micro_nn is None:
        print(
            "micrograd is not installed (pip install micrograd==0.1.0): comparing strategies only."
        )
        print()

    xs, ys = make_data(points, args.seed)
    weights, micro_model = make_weights(args.seed)
    engine_list = engines(weights, micro_model, xs, ys)
    default = mg.get_default_strategy()  # the strategy the targets are for

    print("Correctness: one forward + backward each, same weights, same data")
    check_rows, refused = check(engine_list)
    print_table(
        [
            "engine",
            "strategy",
            "loss",
            "|loss diff|",
            "max |grad diff|",
            "vjp_calls",
            "nodes",
            "max_depth",
        ],
        check_rows,
    )

    verdicts: list[str] = []
    for gc_enabled in (True,) if args.quick else (True, False):  # quick: the default gc only
        label = "gc on (Python default)" if gc_enabled else "gc off (timeit convention)"
        print(f"Median seconds, {label}")
        rows: list[list[str]] = []
        micro_total: float | None = None
        micro_backward: float | None = None
        # forward medians by (engine, records a tape): minigrad's forward depends on the strategy
        # only through tape's record, so the other strategies share one measurement
        forwards: dict[tuple[str, bool], float] = {}
        for engine in engine_list:
            if engine.strategy in refused:
                rows.append(
                    [engine.name, engine.strategy, refused[engine.strategy], "", "", "", ""]
                )
                continue
            forward, backward, total = time_engine(
                engine, repeat, gc_enabled, forwards.get(_forward_kind(engine))
            )
            forwards[_forward_kind(engine)] = forward
            if engine.name == "micrograd":
                micro_total, micro_backward = total, backward
            ratio = "-" if micro_total is None else f"{total / micro_total:.2f}"
            bratio = "-" if micro_backward is None else f"{backward / micro_backward:.2f}"
            rows.append(
                [
                    engine.name,
                    engine.strategy,
                    fmt_seconds(forward),
                    fmt_seconds(backward),
                    fmt_seconds(total),
                    ratio,
                    bratio,
                ]
            )
            if engine.strategy == default and micro_total is not None:
                verdicts.append(verdict(label, default, total / micro_total, gc_enabled))
        print_table(
            [
                "engine",
                "strategy",
                "forward",
                "backward",
                "total",
                "total ratio (/micrograd)",
                "backward ratio",
            ],
            rows,
        )

    if micro_model is not None and not args.points and not args.quick:
        print_size_sweep(args, repeat, default)

    if args.quick:
        print(
            "Targets not checked in quick mode: the graph is too small for the ratio to mean much"
        )
    elif verdicts:
        print(
            f"Targets (issue 14): forward + backward time of minigrad ({default}, the default "
            f"strategy) <= {TARGET_RATIOS[True]} x\nmicrograd's with the collector on, "
            f"<= {TARGET_RATIOS[False]} x with it off"
        )
        for line in verdicts:
            print(f"  {line}")
    else:
        print("Targets not checked: micrograd is not installed.")
    return 0


def verdict(label: str, strategy: str, ratio: float, gc_enabled: bool) -> str:
    """One line: the ratio against the target for this collector setting."""
    target = TARGET_RATIOS[gc_enabled]
    met = "met" if ratio <= target else "NOT met"
    return f"{label}: minigrad ({strategy}) / micrograd = {ratio:.2f} (target <= {target}): {met}"


def print_size_sweep(args: Any, repeat: int, strategy: str) -> None:
    """The same net on fewer and more points: how the ratio moves with the size of the graph."""
    sizes = (10, 30, 100)
    print(f"Forward + backward by number of points (graph size), {strategy}, median of {repeat}")
    rows: list[list[str]] = []
    for n in sizes:
        xs, ys = make_data(n, args.seed)
        weights, micro_model = make_weights(args.seed)
        built = engines(weights, micro_model, xs, ys)
        micro = built[0]  # micrograd comes first
        mini = next(e for e in built if e.strategy == strategy)
        row = [str(n), fmt_int(mini.backward(mini.forward()).nodes)]
        for gc_enabled in (True, False):
            totals = [
                median_time(lambda e=e: e.backward(e.forward()), repeat, gc_enabled=gc_enabled)
                for e in (micro, mini)
            ]
            row += [fmt_seconds(totals[0]), fmt_seconds(totals[1]), f"{totals[1] / totals[0]:.2f}"]
        rows.append(row)
    print_table(
        [
            "points",
            "nodes",
            "micrograd gc on",
            "minigrad gc on",
            "ratio",
            "micrograd gc off",
            "minigrad gc off",
            "ratio",
        ],
        rows,
    )


if __name__ == "__main__":
    raise SystemExit(main())
