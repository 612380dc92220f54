"""`topological` and `tape` on long chains (10^4, 10^5 and 10^6 nodes, then a tensor-mode chain),
and the longest chain against PyTorch.

The chain is `y = y * 1.0001`, repeated n times from one scalar leaf: n op nodes, one path, a
graph as deep as it is long. Recursive walks would need n stack frames; the two iterative walks
need none, so their cost should grow linearly with n:

- `topological` searches the graph for an order, then walks it;
- `tape` sweeps the forward's record of op nodes backwards, with no search. The record is only
  written while `tape` is the default strategy, so its chains are built inside
  `with mg.use_strategy("tape"):`, as a user of `tape` builds them, and their build time
  includes writing the record.

The first table gives, per chain and strategy, the median seconds of `backward()` (the driver's
commit of `.grad` included) with its spread, and the time per node relative to the smallest and
to the previous chain of the same strategy: 1.00 everywhere would be perfectly linear.

Against PyTorch: the longest scalar chain again (10^6 ops), each engine in a fresh process of its
own, so that no engine inherits another's memory. Each process builds the chain, walks it once,
then times more walks: PyTorch's with `backward(retain_graph=True)`, so that the same graph can
be walked again, as minigrad's is. Memory is the growth of the process's peak resident set
(VmHWM on Linux) from after the imports to after the first walk: the one measure that sees
PyTorch's C++ allocations and Python's alike.

Target (issue 14): the 10^6 chain's backward no slower than today's, 0.26x PyTorch's time (at
0.35x its memory).

Run: `.venv/bin/python -m benchmarks.bench_chain [--quick] [--repeat N]`
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import minigrad as mg
from benchmarks._common import (
    fmt_bytes,
    fmt_int,
    fmt_seconds,
    fmt_spread,
    make_parser,
    print_header,
    print_table,
    repeat_from,
    run_child_json,
    time_samples,
)

try:
    import resource
except ImportError:  # not Unix: no peak resident set, no comparison with PyTorch
    resource = None  # type: ignore[assignment]

FACTOR = 1.0001
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 30_000)
FULL_TENSOR = 100_000
QUICK_TENSOR = 10_000
TENSOR_SHAPE = (16,)
STRATEGIES = ("topological", "tape")
TORCH = "torch"
TODAY_TIME = 0.26
"""Issue 14: today, the 10^6 chain's backward takes 0.26x PyTorch's time ..."""
TODAY_MEMORY = 0.35
"""... at 0.35x PyTorch's memory."""


# -- building and walking a chain -------------------------------------------------------------


def chain(n: int, data: Any) -> tuple[Any, Any]:
    """x -> x * 1.0001 -> ... (n multiplications); returns (leaf, output)."""
    x = mg.Value(data, label="x")
    y = x
    for _ in range(n):
        y = y * FACTOR
    return x, y


def build(n: int, data: Any, strategy: str, reduce: bool = False) -> tuple[Any, Any, float]:
    """The chain built as a user of `strategy` builds it: inside `use_strategy(strategy)`, so
    that `tape`'s record is written (the other strategies keep none). `reduce` sums a tensor
    chain's output inside the block too: an op left off the record would send `tape` back to
    `topological`. Returns (leaf, output, build seconds)."""
    started = time.perf_counter()
    with mg.use_strategy(strategy):
        x, y = chain(n, data)
        out = y.sum() if reduce else y
    return x, out, time.perf_counter() - started


def relative_error(grad: Any, n: int) -> float:
    """The leaf's gradient against the exact d(x * 1.0001^n)/dx = 1.0001^n."""
    exact = FACTOR**n
    return float(np.max(np.abs(np.asarray(grad) - exact)) / exact)


@dataclass(frozen=True)
class ChainRun:
    """One chain walked by one strategy: what was built, timed and checked."""

    mode: str
    n: int
    strategy: str
    build: float
    samples: list[float]
    stats: Any
    error: float

    @property
    def per_node(self) -> float:
        return statistics.median(self.samples) / int(self.stats.nodes)


def measure(
    mode: str, n: int, data: Any, strategy: str, repeat: int, reduce: bool = False
) -> ChainRun:
    """Build a chain of n ops, check its gradient, and time backward() on it."""
    x, out, built = build(n, data, strategy, reduce)
    stats = out.backward(strategy=strategy)
    error = relative_error(x.grad, n)
    samples = time_samples(lambda: out.backward(strategy=strategy), repeat)
    return ChainRun(mode, n, strategy, built, samples, stats, error)


# -- the chain table --------------------------------------------------------------------------


def chain_runs(sizes: Sequence[int], tensor_n: int, repeat: int) -> list[ChainRun]:
    """Every chain under every strategy, the strategies side by side for each chain."""
    runs = [measure("scalar", n, 0.5, s, repeat) for n in sizes for s in STRATEGIES]
    tensor = np.full(TENSOR_SHAPE, 0.5)
    runs += [
        measure(f"tensor {TENSOR_SHAPE}", tensor_n, tensor, s, repeat, reduce=True)
        for s in STRATEGIES
    ]
    return runs


def chain_rows(runs: Sequence[ChainRun]) -> list[list[str]]:
    """One row per run; linearity is judged within each strategy's scalar chains."""
    first: dict[str, float] = {}
    previous: dict[str, float] = {}
    rows: list[list[str]] = []
    for run in runs:
        vs_first = vs_prev = "-"
        if run.mode == "scalar":
            first.setdefault(run.strategy, run.per_node)
            vs_first = f"{run.per_node / first[run.strategy]:.2f}"
            if run.strategy in previous:
                vs_prev = f"{run.per_node / previous[run.strategy]:.2f}"
            previous[run.strategy] = run.per_node
        rows.append(
            [
                run.mode,
                fmt_int(run.n),
                run.strategy,
                fmt_seconds(run.build),
                fmt_seconds(statistics.median(run.samples)),
                fmt_spread(run.samples),
                fmt_seconds(run.stats.seconds),
                f"{run.per_node * 1e6:.2f}",
                vs_first,
                vs_prev,
                str(run.stats.max_depth),
                f"{run.error:.1e}",
            ]
        )
    return rows


def print_chain_table(runs: Sequence[ChainRun], repeat: int) -> None:
    print(
        f"Median seconds of backward() over {repeat} samples, with their spread ((max - min) / "
        "median);\n'walk' is the walk alone (stats.seconds, one run)"
    )
    print_table(
        [
            "mode",
            "chain ops",
            "strategy",
            "build",
            "backward",
            "spread",
            "walk",
            "us/node",
            "vs smallest",
            "vs previous",
            "max_depth",
            "grad rel err",
        ],
        chain_rows(runs),
    )
    print(
        "'vs smallest' / 'vs previous': time per node divided by that of the same strategy's "
        "smallest / previous\nscalar chain (1.00 = exactly linear). 'build' includes writing "
        f"tape's record. 'grad rel err': the leaf's\ngradient against the exact {FACTOR}^n."
    )
    print()


# -- against PyTorch, each engine in a fresh process ------------------------------------------


def peak_rss() -> int:
    """This process's peak resident set so far, in bytes.

    On Linux, VmHWM of /proc/self/status: `ru_maxrss` would not do there, as it carries the
    parent's peak over into a child (through the fork and the exec), hiding a smaller child's
    growth. Elsewhere, `ru_maxrss` (which macOS reports in bytes).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # "VmHWM:  123456 kB"
    except OSError:
        pass
    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak if sys.platform == "darwin" else peak * 1024


def minigrad_chain(strategy: str, n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """A minigrad chain built for `strategy`: (walk it, read the leaf's gradient)."""
    x, out, _ = build(n, 0.5, strategy)
    return (lambda: out.backward(strategy=strategy)), (lambda: x.grad)


def torch_chain(n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The same chain in PyTorch (a float64 scalar): (walk it, read the leaf's gradient)."""
    torch: Any = importlib.import_module("torch")
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * FACTOR

    def backward() -> None:
        y.backward(retain_graph=True)  # keep the graph for the next sample

    return backward, (lambda: float(x.grad))


def child(engine: str, n: int, repeat: int) -> dict[str, Any]:
    """`--child ENGINE N`: in this fresh process, the peak memory of building the chain and
    walking it once, then the walk's time samples."""
    make = torch_chain if engine == TORCH else lambda n: minigrad_chain(engine, n)
    backward, _ = make(100)  # warm up (lazy imports, first allocations) before the baseline
    backward()
    del backward
    gc.collect()
    baseline = peak_rss()
    backward, grad = make(n)
    backward()
    memory = peak_rss() - baseline
    error = relative_error(grad(), n)  # now: later walks add to the gradient, in both engines
    samples = time_samples(backward, repeat, warmup=0)  # the walk above warmed it up
    return {"samples": samples, "memory": memory, "error": error}


def run_child(engine: str, n: int, repeat: int) -> dict[str, Any]:
    """Run `child` in a new interpreter; its last line of output is the result, as JSON."""
    command = [sys.executable, "-m", "benchmarks.bench_chain"]
    command += ["--child", engine, str(n), "--repeat", str(repeat)]
    result: dict[str, Any] = run_child_json(command, f"the {engine} chain of {n:,}")
    return result


def why_no_comparison() -> str | None:
    """Why the comparison with PyTorch cannot run here, or None when it can."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed (pip install torch): the comparison is skipped."
    if resource is None:
        return "no resource module (not Unix): no peak memory, the comparison is skipped."
    return None


def compare_with_torch(n: int, repeat: int, judge: bool) -> None:
    """The n-op chain under each strategy and in PyTorch, each in a fresh process."""
    results = {engine: run_child(engine, n, repeat) for engine in (*STRATEGIES, TORCH)}
    theirs = results[TORCH]
    their_time = statistics.median(theirs["samples"])
    rows: list[list[str]] = []
    ratios: dict[str, tuple[float, float]] = {}
    for engine, result in results.items():
        seconds = statistics.median(result["samples"])
        time_ratio = seconds / their_time
        memory_ratio = result["memory"] / theirs["memory"]
        ratios[engine] = (time_ratio, memory_ratio)
        rows.append(
            [
                "PyTorch" if engine == TORCH else "minigrad",
                "-" if engine == TORCH else engine,
                fmt_seconds(seconds),
                fmt_spread(result["samples"]),
                f"{time_ratio:.2f}x",
                fmt_bytes(result["memory"]),
                f"{memory_ratio:.2f}x",
                f"{result['error']:.1e}",
            ]
        )
    print(
        f"Against PyTorch: the chain of {n:,} scalar ops, each engine in a fresh process; median "
        f"backward over {repeat}\nsamples, and the growth of the peak resident set from after "
        "the imports to after the first walk"
    )
    print_table(
        [
            "engine",
            "strategy",
            "backward",
            "spread",
            "time / PyTorch",
            "peak memory",
            "memory / PyTorch",
            "grad rel err",
        ],
        rows,
    )
    print(
        f"Target (issue 14): the 10^6 chain's backward no slower than today's, <= {TODAY_TIME}x "
        f"PyTorch's time (at {TODAY_MEMORY}x its memory)"
    )
    if not judge:
        print(f"  not checked in quick mode: the chain is shrunk to {n:,} ops")
        return
    for strategy in STRATEGIES:
        print(f"  {chain_verdict(strategy, *ratios[strategy])}")


def chain_verdict(strategy: str, time_ratio: float, memory_ratio: float) -> str:
    """One strategy's time against today's, and its memory beside today's."""
    met = "met" if time_ratio <= TODAY_TIME else "MISSED"
    memory = "no more" if memory_ratio <= TODAY_MEMORY else "more"
    return (
        f"{strategy}: {time_ratio:.2f}x PyTorch's time (<= {TODAY_TIME}x): {met}; memory "
        f"{memory_ratio:.2f}x PyTorch's ({memory} than today's {TODAY_MEMORY}x)"
    )


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("topological and tape backward on chains of 10^4..10^6 nodes.")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    if args.child:
        engine, n = args.child[0], int(args.child[1])
        print(json.dumps(child(engine, n, repeat)))
        return 0
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    tensor_n = QUICK_TENSOR if args.quick else FULL_TENSOR
    print_header(
        "minigrad topological and tape backward on long chains",
        args,
        [
            ("minigrad", mg.__version__),
            ("chain", f"y = y * {FACTOR}, n times; strategies {', '.join(STRATEGIES)}"),
        ],
    )
    print_chain_table(chain_runs(sizes, tensor_n, repeat), repeat)
    reason = why_no_comparison()
    if reason is not None:
        print(reason)
        return 0
    compare_with_torch(max(sizes), repeat, judge=not args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
