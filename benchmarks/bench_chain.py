"""`topological` on long chains: 10^4, 10^5 and 10^6 nodes, then a tensor-mode chain.

The chain is `y = y * 1.0001`, repeated n times from one scalar leaf: n op nodes, one path, a
graph as deep as it is long. Recursive walks would need n stack frames; the iterative walk needs
none, so its cost should grow linearly with n. The table gives the median seconds of `backward()`
(the driver's commit of `.grad` included), nodes per second, and the time per node relative to
the smallest chain: 1.00 everywhere would be perfectly linear.

Run: `.venv/bin/python -m benchmarks.bench_chain [--quick] [--repeat N]`
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

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

FACTOR = 1.0001
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 30_000)
FULL_TENSOR = 100_000
QUICK_TENSOR = 10_000
TENSOR_SHAPE = (16,)
STRATEGY = "topological"


def chain(n: int, data: Any) -> tuple[Any, Any]:
    """x -> x * 1.0001 -> ... (n multiplications); returns (leaf, output)."""
    x = mg.Value(data, label="x")
    y = x
    for _ in range(n):
        y = y * FACTOR
    return x, y


def measure(
    n: int, data: Any, repeat: int, reduce: bool = False
) -> tuple[float, float, Any, float]:
    """Build a chain of n ops, check its gradient, and time backward().

    Returns (build seconds, median backward seconds, stats of one backward, relative error of
    the leaf's gradient against the exact 1.0001^n).
    """
    started = time.perf_counter()
    x, y = chain(n, data)
    out = y.sum() if reduce else y
    built = time.perf_counter() - started
    stats = out.backward(strategy=STRATEGY)
    exact = FACTOR**n
    error = float(np.max(np.abs(np.asarray(x.grad) - exact)) / exact)
    seconds = median_time(lambda: out.backward(strategy=STRATEGY), repeat)
    return built, seconds, stats, error


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("topological backward on chains of 10^4..10^6 nodes.")
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    tensor_n = QUICK_TENSOR if args.quick else FULL_TENSOR
    print_header(
        "minigrad topological backward on long chains",
        args,
        [
            ("minigrad", mg.__version__),
            ("chain", f"y = y * {FACTOR}, n times; strategy {STRATEGY!r}"),
        ],
    )

    rows: list[list[str]] = []
    first_per_node: float | None = None
    previous_per_node: float | None = None
    cases: list[tuple[str, int, Any, bool]] = [("scalar", n, 0.5, False) for n in sizes]
    cases.append(
        (f"tensor {TENSOR_SHAPE}", tensor_n, np.full(TENSOR_SHAPE, 0.5), True),
    )
    for mode, n, data, reduce in cases:
        built, seconds, stats, error = measure(n, data, repeat, reduce)
        per_node = seconds / stats.nodes
        if mode == "scalar":
            if first_per_node is None:
                first_per_node = per_node
            vs_first = f"{per_node / first_per_node:.2f}"
            vs_prev = "-" if previous_per_node is None else f"{per_node / previous_per_node:.2f}"
            previous_per_node = per_node
        else:
            vs_first = vs_prev = "-"
        rows.append(
            [
                mode,
                fmt_int(n),
                fmt_int(stats.nodes),
                fmt_seconds(built),
                fmt_seconds(seconds),
                fmt_seconds(stats.seconds),
                f"{stats.nodes / seconds:,.0f}",
                f"{per_node * 1e6:.2f}",
                vs_first,
                vs_prev,
                str(stats.max_depth),
                f"{error:.1e}",
            ]
        )
    print("Median seconds of backward(); 'walk' is the walk alone (stats.seconds, one run)")
    print_table(
        [
            "mode",
            "chain ops",
            "nodes",
            "build",
            "backward",
            "walk",
            "nodes/s",
            "us/node",
            "vs smallest",
            "vs previous",
            "max_depth",
            "grad rel err",
        ],
        rows,
    )
    print(
        "'vs smallest' / 'vs previous': time per node divided by that of the smallest / the "
        "previous scalar chain\n(1.00 = exactly linear). 'grad rel err': the leaf's gradient "
        f"against the exact {FACTOR}^n."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
