"""Tensor MLP training step: minigrad (`topological`, `tape`) against hand-written numpy and torch.

One step is forward, mean-squared-error loss, backward and a plain SGD update, for a ReLU MLP
with a linear output, in float64 and float32, at two sizes:

- small: batch 32, sizes 64-64-64-10 (Python overhead dominates)
- large: batch 256, sizes 784-512-512-10 (matrix products dominate)

The engines:

- numpy: a hand-written forward/backward/update, the fair reference: no wasted work (no
  gradient for the input, dW computed directly in its (out, in) layout, updates in place).
- minigrad, once per strategy (`topological`, `tape`): `MLP` + `functional.mse_loss` +
  `backward()` + `optim.SGD`, the forward and backward inside `with mg.use_strategy(...)`, as a
  user of that strategy writes them (`tape` records the forward only while it is the default).
- torch (when installed): `nn.Sequential` of Linear/ReLU + `mse_loss` + `optim.SGD`.

All start from the same weights (minigrad's, copied) and the same data; the script first checks
that one step gives the same loss and the same updated weights, then times steps. The engines
take turns, one sample each per round; a ratio is the median of the rounds' ratios, quoted with
their range, and a time with its spread ((max - min) / median).

Threads: every engine gets the same number. The small case runs on one thread (numpy's BLAS,
minigrad's, which is numpy's, and torch's), the condition of its target; the large case on 2, or
what OPENBLAS_NUM_THREADS says. numpy's BLAS (OpenBLAS) reads its thread count when numpy is
first imported, so the count is set in the environment (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS /
MKL_NUM_THREADS) of the process that times the case, before numpy is imported, and torch gets
`torch.set_num_threads` of the same; the table says what each case ran with.

Minor page faults per step are counted too (Unix): a first touch of memory fresh from the OS
costs about a microsecond per 4 KiB page. glibc's malloc gives freed memory back to the OS once
the free space at the top of the heap exceeds its trim threshold (a few MB, adjusted at run
time), so an engine whose step keeps more memory alive, and frees it all at once when the graph
goes, can pay milliseconds of faults per step on top of its arithmetic. At the large size that,
not the arithmetic, is what separates minigrad (which keeps every node's gradient, as `.grad`
promises, until the step ends) from the hand-written numpy; how much depends on the process's
allocation history (importing and running torch in the same process shifts glibc's thresholds).
So that no case inherits another's allocation history, each case and dtype is timed in a fresh
process of its own, twice: once with glibc's defaults (what a training script sees) and once
with trimming turned off (`MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456`),
which times the arithmetic alone. The targets are judged on the first.

Peak memory: the peak that one step allocates, after a warm-up step, under tracemalloc (which
sees numpy's arrays: numpy reports its allocations to it), for numpy and minigrad; torch's C++
allocations are invisible to it, so torch is left out.

Targets (issue 14): minigrad <= 1.35x the hand-written numpy time at the small size (one thread
for every engine), <= 1.05x at the large size, in both dtypes; the peak memory of one large step
no worse than today's 1.6x hand-written numpy's.

Run: `.venv/bin/python -m benchmarks.bench_training_step [--quick] [--repeat N]`
(`--quick`: shrunk sizes, cases timed in this process where its thread count allows, no untrimmed
pass and no verdicts.)
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _blas

THREADS = 2
_blas.pin(THREADS)  # before numpy (and its BLAS) is loaded

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

import minigrad as mg  # noqa: E402
from benchmarks._common import (  # noqa: E402
    fmt_bytes,
    fmt_range,
    fmt_spread,
    make_parser,
    median_time,
    peak_memory,
    print_header,
    print_table,
    repeat_from,
    run_child_json,
)
from minigrad.nn import functional  # noqa: E402


def _optional_module(name: str) -> Any:
    """The module, or None when it cannot be imported."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


torch: Any = _optional_module("torch")  # None: the torch rows are skipped
resource: Any = _optional_module("resource")  # None (not Unix): no page-fault counts

Array = NDArray[Any]
Step = Callable[[], float]
LR = 0.01
SEED = 0


@dataclass(frozen=True)
class Case:
    """One problem size, the threads every engine gets for it, and its targets."""

    name: str
    batch: int
    sizes: tuple[int, ...]
    target: float  # minigrad's time / the hand-written numpy's, at most
    threads: int | None  # BLAS and torch threads; None: this process's (2, or the environment's)
    memory_target: float | None = None  # minigrad's peak memory / numpy's, at most


FULL_CASES = (
    Case("small", 32, (64, 64, 64, 10), 1.35, threads=1),
    Case("large", 256, (784, 512, 512, 10), 1.05, threads=None, memory_target=1.6),
)
QUICK_CASES = (
    Case("small", 32, (64, 64, 64, 10), 1.35, threads=1),
    Case("large (shrunk)", 32, (98, 64, 64, 10), 1.05, threads=None, memory_target=1.6),
)
DTYPES: tuple[type[np.floating[Any]], ...] = (np.float64, np.float32)
STRATEGIES = ("topological", "tape")
ENGINES = ("numpy", *STRATEGIES, "torch")
"""The engines' keys: minigrad's are its strategies."""
TRACED = ("numpy", *STRATEGIES)
"""The engines whose allocations tracemalloc sees (torch's C++ allocations it does not)."""
UNTRIMMED = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}


def label(engine: str) -> str:
    """'numpy', 'torch', or 'minigrad <strategy>'."""
    return f"minigrad {engine}" if engine in STRATEGIES else engine


# -- the engines ------------------------------------------------------------------------------


class NumpyMLP:
    """A ReLU MLP trained by hand: forward, MSE, backward, SGD, no wasted work."""

    def __init__(self, weights: Sequence[tuple[Array, Array]]) -> None:
        self.params = [(W.copy(), b.copy()) for W, b in weights]

    def step(self, X: Array, Y: Array, lr: float) -> float:
        last = len(self.params) - 1
        inputs: list[Array] = []
        Z = X
        A = X
        for i, (W, b) in enumerate(self.params):  # forward: keep each layer's input
            inputs.append(A)
            Z = A @ W.T
            Z += b
            A = np.maximum(Z, 0) if i < last else Z
        diff = A - Y
        loss = float(np.mean(diff * diff))
        dZ = diff * (2.0 / diff.size)  # d loss / d output
        for i in range(last, -1, -1):  # backward, updating each layer once its dW is known
            W, b = self.params[i]
            A_prev = inputs[i]
            dW = dZ.T @ A_prev
            db = dZ.sum(axis=0)
            if i > 0:  # no gradient for the input X
                dA = dZ @ W  # W before its update
                dZ = dA * (A_prev > 0)  # relu'(Z) from relu(Z) > 0
            W -= lr * dW
            b -= lr * db
        return loss

    def weights(self) -> list[Array]:
        return [p for layer in self.params for p in layer]


def minigrad_step(
    model: mg.nn.MLP, optimizer: mg.optim.SGD, X: Array, Y: Array, strategy: str
) -> Step:
    """One step, its forward and backward under `strategy` as the default."""

    def step() -> float:
        optimizer.zero_grad()
        with mg.use_strategy(strategy):  # as a user would: tape records while the default
            loss = functional.mse_loss(model(X), Y)
            loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_engine(
    weights: Sequence[tuple[Array, Array]], X: Array, Y: Array, lr: float
) -> tuple[Step, Callable[[], list[Array]]]:
    """A torch copy of the model (same weights): its step and a way to read its weights."""
    assert torch is not None
    layers: list[Any] = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.from_numpy(W).dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
    mse = torch.nn.functional.mse_loss

    def step() -> float:
        optimizer.zero_grad()
        loss = mse(model(tX), tY)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    def read() -> list[Array]:
        return [p.detach().numpy().copy() for p in model.parameters()]

    return step, read


@dataclass
class Engines:
    """The steps of the engines for one case and dtype, and how to read their weights back."""

    steps: dict[str, Step]
    readers: dict[str, Callable[[], list[Array]]]


def weights_of(model: mg.nn.MLP) -> list[Array]:
    """A copy of a minigrad model's parameters, in order."""
    return [np.array(p.data) for p in model.parameters()]


def build(case: Case, dtype: type[np.floating[Any]]) -> Engines:
    """Every engine from the same seeded minigrad weights and the same data."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((case.batch, case.sizes[0])).astype(dtype)
    Y = rng.standard_normal((case.batch, case.sizes[-1])).astype(dtype)
    models = {s: mg.nn.MLP(case.sizes, seed=SEED, dtype=dtype) for s in STRATEGIES}
    first = models[STRATEGIES[0]]
    weights = [
        (layer.weight.data.copy(), layer.bias.data.copy()) for layer in first.linear_layers()
    ]
    reference = NumpyMLP(weights)
    steps: dict[str, Step] = {"numpy": lambda: reference.step(X, Y, LR)}
    readers: dict[str, Callable[[], list[Array]]] = {"numpy": reference.weights}
    for strategy, model in models.items():
        optimizer = mg.optim.SGD(model.parameters(), lr=LR)
        steps[strategy] = minigrad_step(model, optimizer, X, Y, strategy)
        readers[strategy] = functools.partial(weights_of, model)
    if torch is not None:
        steps["torch"], readers["torch"] = torch_engine(weights, X, Y, LR)
    return Engines(steps, readers)


# -- correctness ------------------------------------------------------------------------------


def max_diff(a: Sequence[Array], b: Sequence[Array]) -> float:
    return max(float(np.max(np.abs(x.astype(np.float64) - y))) for x, y in zip(a, b, strict=True))


def check(case: Case, dtype: type[np.floating[Any]]) -> list[list[str]]:
    """One step each from the same weights: loss and updated weights against numpy's.

    One row per engine, the numpy reference first.
    """
    engines = build(case, dtype)
    losses = {name: step() for name, step in engines.steps.items()}
    weights = {name: read() for name, read in engines.readers.items()}
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    dtype_name = np.dtype(dtype).name
    rows = [[case.name, dtype_name, "numpy", f"{losses['numpy']:.10g}", "", "", "(reference)"]]
    for name in ENGINES[1:]:
        if name not in losses:
            continue
        loss_diff = abs(losses[name] - losses["numpy"])
        weight_diff = max_diff(weights[name], weights["numpy"])
        worst = max(loss_diff / max(1.0, abs(losses["numpy"])), weight_diff)
        ok = f"ok (<= {tolerance:g})" if worst <= tolerance else f"MISMATCH (> {tolerance:g})"
        rows.append(
            [
                case.name,
                dtype_name,
                label(name),
                f"{losses[name]:.10g}",
                f"{loss_diff:.2e}",
                f"{weight_diff:.2e}",
                ok,
            ]
        )
    return rows


# -- measuring one case -----------------------------------------------------------------------


def time_case(
    case: Case, dtype: type[np.floating[Any]], repeat: int, min_sample: float, warmup: float
) -> dict[str, list[float]]:
    """Seconds per step of each engine, one sample per round.

    The engines take turns: each round times one sample of every engine (a sample loops steps
    for at least `min_sample` seconds), so a change in machine load between rounds hits all
    engines alike instead of whichever happened to be running, and the rounds' ratios pair
    samples taken under the same load.
    """
    engines = build(case, dtype)
    for step in engines.steps.values():  # warm up: first allocations, torch's lazy setup
        started = time.perf_counter()
        for done in itertools.count(1):  # 3 steps and `warmup` s at least: a new process is cold
            step()
            if done >= 3 and time.perf_counter() - started >= warmup:
                break
    samples: dict[str, list[float]] = {name: [] for name in engines.steps}
    for _ in range(repeat):
        for name, step in engines.steps.items():
            samples[name].append(median_time(step, 1, warmup=1, min_sample=min_sample))
    return samples


def faults_case(case: Case, dtype: type[np.floating[Any]], steps: int) -> dict[str, float]:
    """Minor page faults per step of each engine (first touches of memory fresh from the OS)."""
    engines = build(case, dtype)
    faults: dict[str, float] = {}
    for name, step in engines.steps.items():
        for _ in range(3):
            step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(steps):
            step()
        faults[name] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps
    return faults


def peaks_case(case: Case, dtype: type[np.floating[Any]]) -> dict[str, int]:
    """Peak bytes one step allocates (tracemalloc), after a warm-up step, per traced engine."""
    engines = build(case, dtype)
    peaks: dict[str, int] = {}
    for name in TRACED:
        step = engines.steps[name]
        step()  # warm up: minigrad's first step makes the parameters' .grad
        _, peaks[name] = peak_memory(step)
    return peaks


def measure(case: Case, dtype: type[np.floating[Any]], args: Any) -> dict[str, Any]:
    """Time samples, page faults and peak memory of one case and dtype, in this process."""
    min_sample, warmup = (0.02, 0.02) if args.quick else (0.25, 0.2)
    samples = time_case(case, dtype, repeat_from(args), min_sample, warmup)
    faults = faults_case(case, dtype, 5 if args.quick else 20) if resource is not None else {}
    return {
        "samples": samples,
        "faults": faults,
        "peaks": peaks_case(case, dtype),
        "threads": {"blas": _blas.threads(), "torch": torch.get_num_threads() if torch else None},
    }


def threads_env(case: Case) -> dict[str, str]:
    """The environment that gives a case's process its BLAS threads (none of its own: as is)."""
    if case.threads is None:
        return {}
    return dict.fromkeys(_blas.VARIABLES, str(case.threads))


def threads_of(case: Case) -> int:
    return _blas.threads() if case.threads is None else case.threads


def measure_in_fresh_process(
    args: Any, case: Case, dtype: str, env: dict[str, str]
) -> dict[str, Any]:
    """Measure one case and dtype in a new interpreter running this script with `--child`."""
    command = [sys.executable, "-m", "benchmarks.bench_training_step", "--child", case.name, dtype]
    if args.quick:
        command.append("--quick")
    if args.repeat is not None:
        command += ["--repeat", str(args.repeat)]
    result: dict[str, Any] = run_child_json(
        command, f"timing {case.name} {dtype}", {**threads_env(case), **env}
    )
    return result


def measure_case(args: Any, case: Case, dtype: type[np.floating[Any]]) -> dict[str, Any]:
    """A case measured in a fresh process (always, in a full run), or in this one (a quick run,
    when this process already has the case's threads: no interpreter start-up)."""
    if args.quick and threads_of(case) == _blas.threads():
        return measure(case, dtype, args)
    return measure_in_fresh_process(args, case, np.dtype(dtype).name, {})


def child(args: Any) -> int:
    """`--child CASE DTYPE`: measure that case alone and print one JSON line."""
    cases = QUICK_CASES if args.quick else FULL_CASES
    case = next(c for c in cases if c.name == args.child[0])
    dtype = next(d for d in DTYPES if np.dtype(d).name == args.child[1])
    print(json.dumps(measure(case, dtype, args)))
    return 0


# -- tables and verdicts ----------------------------------------------------------------------


def threads_cell(threads: dict[str, int | None]) -> str:
    """The BLAS threads a case ran with, and torch's where they differ (they should not)."""
    blas, theirs = threads["blas"], threads["torch"]
    return str(blas) if theirs in (None, blas) else f"{blas} (torch {theirs})"


def paired_ratios(samples: dict[str, list[float]], engine: str, reference: str) -> list[float]:
    """engine / reference, round by round (the two samples of a round ran under the same load)."""
    return [a / b for a, b in zip(samples[engine], samples[reference], strict=True)]


def timing_rows(case: Case, dtype: str, result: dict[str, Any]) -> list[list[str]]:
    """One row per engine: median ms per step, its spread, and the ratios to numpy and torch."""
    samples = result["samples"]
    threads = threads_cell(result["threads"])
    rows: list[list[str]] = []
    for engine in ENGINES:
        if engine not in samples:
            continue
        to_numpy = paired_ratios(samples, engine, "numpy")
        to_torch = paired_ratios(samples, engine, "torch") if "torch" in samples else []
        rows.append(
            [
                case.name,
                dtype,
                str(threads),
                label(engine),
                f"{statistics.median(samples[engine]) * 1e3:.3f}",
                fmt_spread(samples[engine]),
                f"{statistics.median(to_numpy):.2f}x",
                "-" if engine == "numpy" else fmt_range(to_numpy, "x"),
                f"{statistics.median(to_torch):.2f}x" if to_torch else "-",
            ]
        )
    return rows


def fault_rows(
    case: Case, dtype: str, result: dict[str, Any], untrimmed: dict[str, Any] | None
) -> list[list[str]]:
    """One row per engine: page faults per step, and its ratio to numpy with trimming off."""
    rows: list[list[str]] = []
    for engine in ENGINES:
        if engine not in result["faults"]:
            continue
        quiet = "-"
        if untrimmed is not None:
            quiet = (
                f"{statistics.median(paired_ratios(untrimmed['samples'], engine, 'numpy')):.2f}x"
            )
        rows.append([case.name, dtype, label(engine), f"{result['faults'][engine]:,.0f}", quiet])
    return rows


def memory_rows(case: Case, dtype: str, result: dict[str, Any]) -> list[list[str]]:
    """One row per traced engine: the peak of one step, and its ratio to numpy's."""
    peaks = result["peaks"]
    return [
        [
            case.name,
            dtype,
            label(engine),
            fmt_bytes(peaks[engine]),
            f"{peaks[engine] / peaks['numpy']:.2f}x",
        ]
        for engine in TRACED
    ]


def time_verdicts(case: Case, dtype: str, result: dict[str, Any]) -> list[str]:
    """minigrad / numpy against the case's target, per strategy."""
    lines = []
    for strategy in STRATEGIES:
        ratios = paired_ratios(result["samples"], strategy, "numpy")
        ratio = statistics.median(ratios)
        met = "met" if ratio <= case.target else "MISSED"
        lines.append(
            f"{case.name} {dtype}, {label(strategy)}: {ratio:.2f}x numpy's time (rounds "
            f"{fmt_range(ratios, 'x')}; target <= {case.target}x): {met}"
        )
    return lines


def memory_verdicts(case: Case, dtype: str, result: dict[str, Any]) -> list[str]:
    """minigrad's peak / numpy's against the case's memory target, per strategy (if it has one)."""
    if case.memory_target is None:
        return []
    peaks = result["peaks"]
    lines = []
    for strategy in STRATEGIES:
        ratio = peaks[strategy] / peaks["numpy"]
        met = "met" if ratio <= case.memory_target else "MISSED"
        lines.append(
            f"{case.name} {dtype}, {label(strategy)}: peak memory {ratio:.2f}x numpy's "
            f"(target <= {case.memory_target}x): {met}"
        )
    return lines


# -- main -------------------------------------------------------------------------------------


def malloc_settings() -> str:
    """glibc malloc settings from the environment (they decide when memory goes back to the OS)."""
    tuned = [
        f"{var}={value}" for var, value in sorted(os.environ.items()) if var.startswith("MALLOC_")
    ]
    if os.environ.get("GLIBC_TUNABLES"):
        tuned.append(f"GLIBC_TUNABLES={os.environ['GLIBC_TUNABLES']}")
    return ", ".join(tuned) or "defaults (freed memory is trimmed back to the OS)"


def print_intro(args: Any, cases: Sequence[Case]) -> None:
    """The header: machine, versions, threads per case, malloc, cases."""
    if torch is not None:
        torch_info = f"{torch.__version__}, {torch.get_num_threads()} threads in this process"
    else:
        torch_info = "not installed: its rows are skipped"
    per_case = "; ".join(f"{c.name}: {threads_of(c)}" for c in cases)
    print_header(
        "Tensor MLP training step: forward, MSE, backward, SGD",
        args,
        [
            ("minigrad", f"{mg.__version__}, strategies {', '.join(STRATEGIES)}"),
            ("torch", torch_info),
            ("BLAS", f"this process: {_blas.describe()}"),
            ("threads", f"{per_case} (numpy's BLAS, minigrad's and torch's alike)"),
            ("malloc", malloc_settings()),
            ("cases", "; ".join(f"{c.name}: batch {c.batch}, {_sizes(c)}" for c in cases)),
        ],
    )
    if torch is None:
        print("torch is not installed (pip install torch): the torch rows are skipped.")
        print()


Results = dict[tuple[Case, str], dict[str, Any]]
"""What was measured, per case and dtype name."""


def print_targets(args: Any, cases: Sequence[Case], results: Results) -> None:
    """Issue 14's targets, and (in a full run) each strategy's verdicts on them."""
    small, large = cases[0], cases[-1]
    print(
        f"Targets (issue 14): minigrad <= {small.target}x the hand-written numpy time at the "
        f"small size (one thread for\nevery engine), <= {large.target}x at the large size, "
        f"float64 and float32; peak memory of one large step\n<= {large.memory_target}x "
        "hand-written numpy's (today's)"
    )
    if args.quick:
        print("  not checked in quick mode: the sizes are shrunk, so the ratios mean nothing")
        return
    verdicts = [line for (c, d), r in results.items() for line in time_verdicts(c, d, r)]
    verdicts += [line for (c, d), r in results.items() for line in memory_verdicts(c, d, r)]
    for line in verdicts:
        print(f"  {line}")
    if any(line.endswith("MISSED") and "time" in line for line in verdicts):
        print(
            "  (where a time is missed with many page faults, compare the untrimmed ratio: the "
            "gap is memory\n   handed back to the OS at the end of a step and faulted in again "
            "at the next)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("Tensor MLP training step: minigrad vs hand-written numpy vs torch.")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(_blas.threads())  # the same as numpy's BLAS
    # The objects the imports made (torch's are many) never become garbage: keep them out of
    # every collection, so the collections before each sample take milliseconds, not 0.15 s.
    gc.collect()
    gc.freeze()
    if args.child:
        return child(args)
    repeat = repeat_from(args)
    cases = QUICK_CASES if args.quick else FULL_CASES
    min_sample = 0.02 if args.quick else 0.25
    print_intro(args, cases)

    print("Correctness: one step from the same weights; differences to the numpy reference")
    print_table(
        ["case", "dtype", "engine", "loss", "|dloss|", "max |dW|", "check"],
        [row for case in cases for dtype in DTYPES for row in check(case, dtype)],
    )

    results: Results = {}
    untrimmed: Results = {}
    for case in cases:
        for dtype in DTYPES:
            key = (case, np.dtype(dtype).name)
            results[key] = measure_case(args, case, dtype)
            if not args.quick:  # the arithmetic alone: malloc's trimming off
                untrimmed[key] = measure_in_fresh_process(args, case, key[1], UNTRIMMED)

    where = (
        "each case in a fresh process"
        if not args.quick
        else "in this process, or a fresh one where the threads differ (quick mode)"
    )
    print(
        f"Median ms per step over {repeat} rounds, {where}; engines take turns, a sample loops "
        f">= {min_sample:g} s of steps.\nSpread: (max - min) / median. Ratios: the median of "
        "the rounds' ratios, and their range"
    )
    print_table(
        [
            "case",
            "dtype",
            "threads",
            "engine",
            "ms/step",
            "spread",
            "/ numpy",
            "/ numpy range",
            "/ torch",
        ],
        [row for (case, dtype), r in results.items() for row in timing_rows(case, dtype, r)],
    )
    if resource is not None:
        print(
            "Minor page faults per step (memory fresh from the OS, touched for the first time),\n"
            "and the ratio to numpy again with malloc's trimming off (the arithmetic alone)"
        )
        print_table(
            ["case", "dtype", "engine", "faults/step", "/ numpy untrimmed"],
            [
                row
                for (case, dtype), r in results.items()
                for row in fault_rows(case, dtype, r, untrimmed.get((case, dtype)))
            ],
        )
    print(
        "Peak memory of one step (tracemalloc, after a warm-up step; torch's C++ allocations "
        "are not traced)"
    )
    print_table(
        ["case", "dtype", "engine", "peak", "/ numpy"],
        [row for (case, dtype), r in results.items() for row in memory_rows(case, dtype, r)],
    )
    print_targets(args, cases, results)
    return 0


def _sizes(case: Case) -> str:
    return "-".join(map(str, case.sizes))


if __name__ == "__main__":
    raise SystemExit(main())
