"""Graph-free training: the call stack as cache vs a list of caches vs the Value graph.

The blog's experiment, measured: full-batch gradient descent (binary cross-entropy on one logit)
of a small ReLU net on the 1,372-sample banknote-like task (`minigrad.data.make_banknote_like`,
standardised), with every engine of `minigrad.layerwise`:

- callstack (update after the backward, and inline during the unwinding): one recursive function
  per step, each frame holding its layer's A_prev, W, b, Z;
- cachelist: a forward loop filling a list of caches, a backward loop, then the update;
- graph: the Value graph, backward by the `topological`, `tape` and `memoized` strategies (each
  step's forward runs under its strategy, so that `tape` records the graph it sweeps).

For each engine: the median time per step, the peak memory one step allocates (tracemalloc, in a
separate untimed run), both as ratios to cachelist; and, after the same number of steps from the
same weights, the largest parameter difference to cachelist (they must be equal to ~1e-12).

Run: `.venv/bin/python -m benchmarks.bench_layerwise [--quick] [--repeat N]`
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad as mg
from benchmarks._common import (
    fmt_bytes,
    make_parser,
    median_time,
    peak_memory,
    print_header,
    print_table,
    repeat_from,
)
from minigrad import layerwise
from minigrad.data import make_banknote_like, standardize

Array = NDArray[Any]
SIZES = (4, 8, 8, 1)
LR = 0.1
LOSS = "bce"
SEED = 0
REFERENCE = "cachelist"


@dataclass(frozen=True)
class Engine:
    """One way to train: its row label and its `layerwise.train` settings."""

    label: str
    engine: str
    update: str = "after"  # callstack only
    strategy: str | None = None  # graph only

    def train(self, model: mg.nn.MLP, X: Array, y: Array, steps: int) -> list[float]:
        """`steps` full-batch steps by `layerwise.train`; the cost before each step."""
        return layerwise.train(
            model,
            X,
            y,
            engine=self.engine,
            steps=steps,
            lr=LR,
            loss=LOSS,
            update=self.update,
            strategy=self.strategy,
        )

    def step(self, model: mg.nn.MLP, X: Array, Y: Array) -> Callable[[], float]:
        """One full-batch step of this engine on `model` (its arrays are updated in place)."""
        if self.engine == "graph":
            strategy = self.strategy
            return lambda: layerwise.step_graph(model, X, Y, LR, LOSS, strategy)
        layers = layerwise.dense_layers(model)
        if self.engine == "callstack":
            update = self.update
            return lambda: layerwise.step_callstack(layers, X, Y, LR, LOSS, update)
        return lambda: layerwise.step_cachelist(layers, X, Y, LR, LOSS)


ENGINES = (
    Engine("callstack (update after)", "callstack", update="after"),
    Engine("callstack (update inline)", "callstack", update="inline"),
    Engine(REFERENCE, "cachelist"),
    Engine("graph (topological)", "graph", strategy="topological"),
    Engine("graph (tape)", "graph", strategy="tape"),
    Engine("graph (memoized)", "graph", strategy="memoized"),
)


def new_model() -> mg.nn.MLP:
    return mg.nn.MLP(SIZES, "relu", seed=SEED)


def accuracy(model: mg.nn.MLP, X: Array, y: Array) -> float:
    with mg.no_grad():
        logits = np.asarray(model(X).data).reshape(-1)
    return float(np.mean((logits > 0) == (y == 1)))


def train_all(X: Array, y: Array, steps: int) -> dict[str, tuple[list[Array], float, float]]:
    """`steps` steps of every engine from the same weights: parameters, last cost, accuracy."""
    results: dict[str, tuple[list[Array], float, float]] = {}
    for engine in ENGINES:
        model = new_model()
        costs = engine.train(model, X, y, steps)
        parameters = [np.array(p.data, copy=True) for p in model.parameters()]
        results[engine.label] = (parameters, costs[-1], accuracy(model, X, y))
    return results


def max_diff(a: Sequence[Array], b: Sequence[Array]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


def time_steps(X: Array, Y: Array, repeat: int, min_sample: float) -> dict[str, float]:
    """Median seconds per step; the engines take turns, one sample each per round."""
    steps = {engine.label: engine.step(new_model(), X, Y) for engine in ENGINES}
    samples: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(repeat):
        for label, step in steps.items():
            samples[label].append(median_time(step, 1, warmup=2, min_sample=min_sample))
    return {label: statistics.median(values) for label, values in samples.items()}


def step_memory(X: Array, Y: Array) -> dict[str, int]:
    """Peak bytes one step allocates (after a warmup step), under tracemalloc."""
    peaks: dict[str, int] = {}
    for engine in ENGINES:
        step = engine.step(new_model(), X, Y)
        step()
        _, peaks[engine.label] = peak_memory(step)
    return peaks


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("callstack vs cachelist vs graph on the 1,372-sample banknote-like task.")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="steps of the parameter-equality run (default 100, or 20 with --quick)",
    )
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    steps = args.steps if args.steps is not None else (20 if args.quick else 100)
    if steps < 1:
        raise SystemExit("--steps must be at least 1")
    min_sample = 0.02 if args.quick else 0.2

    X_raw, y = make_banknote_like()
    (X,) = standardize(X_raw)
    Y = y.reshape(-1, 1).astype(np.float64)
    print_header(
        "Graph-free training: callstack vs cachelist vs graph",
        args,
        [
            ("minigrad", mg.__version__),
            ("task", f"make_banknote_like(), standardised: {X.shape[0]:,} x {X.shape[1]}"),
            ("model", f"MLP {'-'.join(map(str, SIZES))}, ReLU, one logit, {LOSS}, seed {SEED}"),
            ("steps", f"full batch, plain gradient descent, lr {LR}"),
        ],
    )

    results = train_all(X, y, steps)
    reference = results[REFERENCE][0]
    print(f"Same parameters: {steps} steps each from the same weights, compared with {REFERENCE}")
    print_table(
        ["engine", "final cost", "accuracy", f"max |param - {REFERENCE}|"],
        [
            [
                label,
                f"{cost:.12f}",
                f"{acc:.2%}",
                "(reference)" if label == REFERENCE else f"{max_diff(params, reference):.2e}",
            ]
            for label, (params, cost, acc) in results.items()
        ],
    )

    times = time_steps(X, Y, repeat, min_sample)
    peaks = step_memory(X, Y)
    print(
        f"Per step: median time over {repeat} rounds (engines take turns; a sample loops "
        f">= {min_sample:g} s of steps), peak memory allocated during one step (tracemalloc)"
    )
    print_table(
        ["engine", "ms per step", f"time / {REFERENCE}", "peak memory", f"memory / {REFERENCE}"],
        [
            [
                engine.label,
                f"{times[engine.label] * 1e3:.3f}",
                f"{times[engine.label] / times[REFERENCE]:.2f}x",
                fmt_bytes(peaks[engine.label]),
                f"{peaks[engine.label] / peaks[REFERENCE]:.2f}x",
            ]
            for engine in ENGINES
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
