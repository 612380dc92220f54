"""One training step of the digits CNN: minigrad against PyTorch, and the convolution's share.

The model is `examples/digits_cnn.py`'s: Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) ->
Flatten -> Linear(256, 10), on 8x8 single-channel images (dropout left out: its masks would differ
between the engines). One step is forward, cross-entropy, backward and an SGD-with-momentum update,
at the example's batch of 32 and at 256, in float64 and float32.

Both engines start from the same weights (minigrad's, copied into torch through a state_dict) and
the same data; the script first checks that one step gives the same loss and the same updated
weights, then times steps, the two engines' samples alternating (medians; the ratio is the
median of the paired samples' ratios). numpy's BLAS is pinned to 2 threads (OPENBLAS_NUM_THREADS /
OMP_NUM_THREADS / MKL_NUM_THREADS, set before numpy is imported unless already set; the header
prints what was in effect) and PyTorch gets as many (`torch.set_num_threads`), so
`OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_cnn` compares both engines on one thread.

The convolution's share: the same step again with the `conv2d` op's forward and its backward
rule (which runs the input- and weight-gradient convolutions) wrapped in timers; the share is
their time over the step's, both measured in that run.

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


def minigrad_step(model: nn.Module, X: Any, y: Any) -> Callable[[], float]:
    optimizer = mg.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step() -> float:
        optimizer.zero_grad()
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


def check(batch: int, dtype: Any) -> list[Any]:
    """One step from the same weights: the loss and the updated weights, compared."""
    X, y = data(batch, dtype)
    model = minigrad_cnn(dtype)
    twin = torch_cnn(model, dtype)
    ours, theirs = minigrad_step(model, X, y)(), torch_step(twin, X, y)()
    updated = {k: v.detach().numpy() for k, v in twin.state_dict().items()}
    gap = max(float(np.max(np.abs(v - updated[k]))) for k, v in model.state_dict().items())
    limit = 1e-10 if dtype == np.float64 else 1e-4
    ok = abs(ours - theirs) <= limit and gap <= limit
    return [
        batch,
        np.dtype(dtype).name,
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


def conv_share(batch: int, dtype: Any, steps: int) -> float:
    """The conv2d op's share (forward and backward) of a minigrad step's time."""
    X, y = data(batch, dtype)
    step = minigrad_step(minigrad_cnn(dtype), X, y)
    step()
    with ConvTimer() as timer:
        gc.collect()
        started = time.perf_counter()
        for _ in range(steps):
            step()
        total = time.perf_counter() - started
    return timer.seconds / total


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
            ("minigrad", f"{mg.__version__}, strategy {mg.get_default_strategy()}"),
            ("torch", torch_info),
            ("BLAS", _blas.describe()),
            ("model", "Conv2d(1, 16, 3, padding=1) ReLU MaxPool2d(2) Flatten Linear(256, 10)"),
        ],
    )
    if torch is not None:
        print("Correctness: one step from the same weights (minigrad against PyTorch)")
        print_table(
            ["batch", "dtype", "loss", "|dloss|", "max |dW|", "check"],
            [check(b, d) for b in batches for d in DTYPES],
        )

    rows = []
    ratios = []
    for batch in batches:
        for dtype in DTYPES:
            X, y = data(batch, dtype)
            model = minigrad_cnn(dtype)
            ours_step = minigrad_step(model, X, y)
            theirs_step = torch_step(torch_cnn(model, dtype), X, y) if torch else None
            ours_samples, theirs_samples = [], []
            for _ in range(repeat):  # alternate the engines: a change of load hits both
                ours_samples.append(median_time(ours_step, 1, min_sample=min_sample))
                if theirs_step is not None:
                    theirs_samples.append(median_time(theirs_step, 1, min_sample=min_sample))
            ours = statistics.median(ours_samples)
            share = conv_share(batch, dtype, 5 if args.quick else 50)
            if theirs_samples:
                theirs = statistics.median(theirs_samples)
                ratio = statistics.median(
                    a / b for a, b in zip(ours_samples, theirs_samples, strict=True)
                )
                ratios.append(ratio)
                torch_cells = [fmt_seconds(theirs), f"{ratio:.2f}x"]
            else:
                torch_cells = ["-", "-"]
            rows.append(
                [batch, np.dtype(dtype).name, fmt_seconds(ours), *torch_cells, f"{share:.0%}"]
            )
    print("Median time per training step (lower is better); the ratio is the median of the ratios")
    print("of samples taken alternately, so that a change of load on the machine hits both engines")
    print_table(["batch", "dtype", "minigrad", "torch", "minigrad / torch", "conv2d share"], rows)
    if args.quick:
        print("goal (minigrad / torch <= 1.0): not judged in quick mode")
    elif ratios:
        worst = max(ratios)
        verdict = "reached" if worst <= GOAL else "not reached"
        print(f"goal (minigrad / torch <= {GOAL:.1f} at every size): {verdict}, worst {worst:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
