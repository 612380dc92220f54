"""One training step of the digits CNN: minigrad (`topological`, `tape`) against PyTorch, and the
convolution's share.

The model is `examples/digits_cnn.py`'s: Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) ->
Flatten -> Linear(256, 10), on 8x8 single-channel images (dropout left out: its masks would differ
between the engines). One step is forward, cross-entropy, backward and an SGD-with-momentum update,
at the example's batch of 32 and at 256, in float64 and float32. minigrad runs once per strategy
(`topological`, `tape`), the forward and backward inside `with mg.use_strategy(...)`, as a user of
that strategy writes them (`tape` records the forward only while it is the default).

Both engines start from the same weights (minigrad's, copied into torch through a state_dict) and
the same data; the script first checks that one step gives the same loss and the same updated
weights, then times steps, the engines' samples alternating (medians, with their spread
(max - min) / median; the ratio is the median of the paired samples' ratios). numpy's BLAS is
pinned to 2 threads (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS, set before numpy
is imported unless already set; the header prints what was in effect) and PyTorch gets as many
(`torch.set_num_threads`), so `OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_cnn` compares
both engines on one thread.

The convolution's share: the same step again, per strategy, with the `conv2d` op's forward and
its backward rule (which runs the input- and weight-gradient convolutions) wrapped in timers; the
share is their time over the step's, both measured in that run.

Goal (issue 13): minigrad's step no slower than PyTorch's at this size (ratio <= 1.0).

Run: `.venv/bin/python -m benchmarks.bench_cnn [--quick] [--repeat N]`
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _blas

THREADS = 2
_blas.pin(THREADS)  # before numpy (and its BLAS) is loaded

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from benchmarks._common import (  # noqa: E402
    fmt_seconds,
    fmt_spread,
    make_parser,
    median_time,
    print_header,
    print_table,
    repeat_from,
)
from minigrad import nn, ops  # noqa: E402
from minigrad.nn import functional  # noqa: E402

try:
    torch: Any = importlib.import_module("torch")
except ImportError:
    torch = None

LR, MOMENTUM, SEED = 0.05, 0.9, 0
GOAL = 1.0
FULL_BATCHES = (32, 256)
QUICK_BATCHES = (32,)
DTYPES: tuple[Any, ...] = (np.float64, np.float32)
STRATEGIES = ("topological", "tape")


def minigrad_cnn(dtype: Any) -> nn.Module:
    rng = np.random.default_rng(SEED)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 10, rng=rng, dtype=dtype),
    )


def torch_cnn(model: nn.Module, dtype: Any) -> Any:
    """PyTorch's twin of `model`, its weights loaded from minigrad's state_dict."""
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 10),
    ).to(torch.float64 if dtype == np.float64 else torch.float32)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return twin


def data(batch: int, dtype: Any) -> tuple[Any, Any]:
    rng = np.random.default_rng(SEED + 1)
    return rng.uniform(0, 1, (batch, 1, 8, 8)).astype(dtype), rng.integers(0, 10, batch)


def minigrad_step(model: nn.Module, X: Any, y: Any, strategy: str) -> Callable[[], float]:
    """One step, its forward and backward under `strategy` as the default."""
    optimizer = mg.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step() -> float:
        optimizer.zero_grad()
        with mg.use_strategy(strategy):  # as a user would: tape records while the default
            loss = functional.cross_entropy(model(X), y)
            loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(model: Any, X: Any, y: Any) -> Callable[[], float]:
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.functional.cross_entropy

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(tX), ty)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def check(batch: int, dtype: Any, strategy: str) -> list[Any]:
    """One step from the same weights: the loss and the updated weights, compared."""
    X, y = data(batch, dtype)
    model = minigrad_cnn(dtype)
    twin = torch_cnn(model, dtype)
    ours, theirs = minigrad_step(model, X, y, strategy)(), torch_step(twin, X, y)()
    updated = {k: v.detach().numpy() for k, v in twin.state_dict().items()}
    gap = max(float(np.max(np.abs(v - updated[k]))) for k, v in model.state_dict().items())
    limit = 1e-10 if dtype == np.float64 else 1e-4
    ok = abs(ours - theirs) <= limit and gap <= limit
    return [
        batch,
        np.dtype(dtype).name,
        strategy,
        f"{ours:.6f}",
        f"{abs(ours - theirs):.1e}",
        f"{gap:.1e}",
        "same" if ok else "DIFFERENT",
    ]


class ConvTimer:
    """Wraps the conv2d op's forward and backward rule in timers (ops are frozen dataclasses:
    the fields are swapped with object.__setattr__ and restored on exit)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.op = ops.CONV2D

    def _timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.seconds += time.perf_counter() - started

        return timed

    def __enter__(self) -> ConvTimer:
        self.saved = (self.op.forward, self.op.vjp)
        object.__setattr__(self.op, "forward", self._timed(self.op.forward))
        object.__setattr__(self.op, "vjp", self._timed(self.op.vjp))
        return self

    def __exit__(self, *exc: object) -> None:
        object.__setattr__(self.op, "forward", self.saved[0])
        object.__setattr__(self.op, "vjp", self.saved[1])


def conv_share(batch: int, dtype: Any, strategy: str, steps: int) -> float:
    """The conv2d op's share (forward and backward) of a minigrad step's time."""
    X, y = data(batch, dtype)
    step = minigrad_step(minigrad_cnn(dtype), X, y, strategy)
    step()
    with ConvTimer() as timer:
        gc.collect()
        started = time.perf_counter()
        for _ in range(steps):
            step()
        total = time.perf_counter() - started
    return timer.seconds / total


def time_size(batch: int, dtype: Any, repeat: int, min_sample: float) -> dict[str, list[float]]:
    """Seconds per step, one sample per round and engine, the engines taking turns (so that a
    change of load on the machine hits them all); minigrad's engines are its strategies."""
    X, y = data(batch, dtype)
    models = {strategy: minigrad_cnn(dtype) for strategy in STRATEGIES}  # same seed, same weights
    steps = {strategy: minigrad_step(models[strategy], X, y, strategy) for strategy in STRATEGIES}
    if torch is not None:
        steps["torch"] = torch_step(torch_cnn(models[STRATEGIES[0]], dtype), X, y)
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            samples[name].append(median_time(step, 1, min_sample=min_sample))
    return samples


def size_rows(
    batch: int, dtype: Any, samples: dict[str, list[float]], shares: dict[str, float]
) -> tuple[list[list[Any]], dict[str, float]]:
    """One row per strategy, and each strategy's ratio to torch (median of the paired ratios)."""
    rows: list[list[Any]] = []
    ratios: dict[str, float] = {}
    theirs = samples.get("torch")
    for strategy in STRATEGIES:
        ours = samples[strategy]
        torch_cells = ["-", "-"]
        if theirs is not None:
            ratios[strategy] = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
            torch_cells = [fmt_seconds(statistics.median(theirs)), f"{ratios[strategy]:.2f}x"]
        rows.append(
            [
                batch,
                np.dtype(dtype).name,
                strategy,
                fmt_seconds(statistics.median(ours)),
                fmt_spread(ours),
                *torch_cells,
                f"{shares[strategy]:.0%}",
            ]
        )
    return rows, ratios


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("Digits CNN training step: minigrad vs PyTorch, and the conv share.")
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    batches = QUICK_BATCHES if args.quick else FULL_BATCHES
    min_sample = 0.02 if args.quick else 0.25
    if torch is not None:
        torch.set_num_threads(_blas.threads())  # the same as numpy's
        torch_info = f"{torch.__version__}, {torch.get_num_threads()} threads"
    else:
        torch_info = "not installed: the comparison is skipped"
    print_header(
        "Digits CNN training step: forward, cross-entropy, backward, SGD with momentum",
        args,
        [
            ("minigrad", f"{mg.__version__}, strategies {', '.join(STRATEGIES)}"),
            ("torch", torch_info),
            ("BLAS", _blas.describe()),
            ("model", "Conv2d(1, 16, 3, padding=1) ReLU MaxPool2d(2) Flatten Linear(256, 10)"),
        ],
    )
    if torch is not None:
        print("Correctness: one step from the same weights (minigrad against PyTorch)")
        print_table(
            ["batch", "dtype", "strategy", "loss", "|dloss|", "max |dW|", "check"],
            [check(b, d, s) for b in batches for d in DTYPES for s in STRATEGIES],
        )

    rows: list[list[Any]] = []
    worst: dict[str, float] = {}
    for batch in batches:
        for dtype in DTYPES:
            samples = time_size(batch, dtype, repeat, min_sample)
            steps = 5 if args.quick else 50
            shares = {s: conv_share(batch, dtype, s, steps) for s in STRATEGIES}
            size, ratios = size_rows(batch, dtype, samples, shares)
            rows += size
            for strategy, ratio in ratios.items():
                worst[strategy] = max(worst.get(strategy, 0.0), ratio)
    print(
        "Median time per training step (lower is better), with its spread ((max - min) / median);"
    )
    print("the ratio is the median of the ratios of samples taken alternately, so that a change of")
    print("load on the machine hits every engine")
    print_table(
        [
            "batch",
            "dtype",
            "strategy",
            "minigrad",
            "spread",
            "torch",
            "minigrad / torch",
            "conv2d share",
        ],
        rows,
    )
    if args.quick:
        print("goal (minigrad / torch <= 1.0): not judged in quick mode")
    elif worst:
        print(f"goal (minigrad / torch <= {GOAL:.1f} at every size):")
        for strategy, ratio in worst.items():
            verdict = "reached" if ratio <= GOAL else "not reached"
            print(f"  {strategy}: {verdict}, worst {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
