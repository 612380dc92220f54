"""Helpers shared by the benchmarks: timing, peak memory, the machine header, plain-text tables.

Conventions every benchmark follows:

- `main(argv=None)` parses its arguments with `make_parser()`: `--quick` shrinks every size so the
  whole script runs in a few seconds (a smoke test, numbers not meant to be quoted), `--repeat N`
  sets how many timed samples each median is taken over.
- Timings are medians of `time.perf_counter` samples after warmup runs; the garbage collector is
  emptied (untimed) before each sample so one sample's garbage is not charged to the next.
  A spread quoted beside a median is (max - min) / median of the same samples (`fmt_spread`).
- Peak memory is measured in a separate run under `tracemalloc` (which slows Python down a lot,
  so it is never on while timing).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

FULL_REPEAT = 5
QUICK_REPEAT = 2


def run_child_json(command: Sequence[str], what: str, env: dict[str, str] | None = None) -> Any:
    """Run a benchmark's measuring child (`python -m benchmarks.<script> --child ...`) from the
    repository root, with `env` over this process's environment; its last line of output is its
    result, as JSON. A child that fails stops the run, naming `what` it was measuring."""
    done = subprocess.run(
        list(command),
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every benchmark shares: `--quick` and `--repeat`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repeats: a smoke test that runs in a few seconds",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=f"timed samples per median (default {FULL_REPEAT}, or {QUICK_REPEAT} with --quick)",
    )
    return parser


def repeat_from(args: argparse.Namespace) -> int:
    """The number of timed samples: `--repeat`, or the default for the mode."""
    if args.repeat is not None:
        if args.repeat < 1:
            raise SystemExit("--repeat must be at least 1")
        return int(args.repeat)
    return QUICK_REPEAT if args.quick else FULL_REPEAT


def median_time(
    fn: Callable[..., Any],
    repeat: int = FULL_REPEAT,
    *,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    min_sample: float = 0.0,
    gc_enabled: bool = True,
) -> float:
    """Median seconds of one call of `fn`: the median of `time_samples` (same arguments)."""
    return statistics.median(
        time_samples(
            fn, repeat, warmup=warmup, setup=setup, min_sample=min_sample, gc_enabled=gc_enabled
        )
    )


def time_samples(
    fn: Callable[..., Any],
    repeat: int = FULL_REPEAT,
    *,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    min_sample: float = 0.0,
    gc_enabled: bool = True,
) -> list[float]:
    """Seconds of one call of `fn`, in each of `repeat` timed samples after `warmup` calls.

    Args:
        fn: the code to time. Called as `fn()`, or `fn(setup())` when `setup` is given.
        repeat: number of timed samples.
        warmup: untimed calls before the samples (imports, caches, first allocations).
        setup: untimed preparation before each call (e.g. building a fresh graph); its result
            is passed to `fn`.
        min_sample: without `setup`, loop `fn` inside one sample until a sample lasts at least
            this long, and report the time per call (for calls too short to time one by one).
        gc_enabled: leave the garbage collector on while timing (Python's default), or turn it
            off as `timeit` does. Either way it is emptied, untimed, before each sample.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")

    def once() -> float:
        arg = setup() if setup is not None else None
        gc.collect()
        started = time.perf_counter()
        if setup is not None:
            fn(arg)
        else:
            fn()
        return time.perf_counter() - started

    was_enabled = gc.isenabled()
    try:
        if not gc_enabled:
            gc.disable()
        first = math.inf
        for _ in range(warmup):
            first = min(first, once())
        number = 1
        if setup is None and min_sample > 0.0:
            if first == math.inf:
                first = once()
            number = max(1, math.ceil(min_sample / max(first, 1e-9)))
        samples: list[float] = []
        for _ in range(repeat):
            if number == 1:
                samples.append(once())
                continue
            gc.collect()
            started = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - started) / number)
        return samples
    finally:
        if was_enabled:
            gc.enable()


def peak_memory(fn: Callable[[], T]) -> tuple[T, int]:
    """Run `fn()` once under tracemalloc; return its result and the peak bytes it allocated.

    The peak counts only memory allocated during the call (above what was already allocated),
    so it measures what the call itself needs, not what was built before it.
    """
    gc.collect()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return result, max(0, peak - base)


def machine_header(title: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """A few lines naming the benchmark and the machine it ran on."""
    lines = [
        f"== {title} ==",
        f"platform : {platform.platform()} ({platform.machine()})",
        f"python   : {platform.python_implementation()} {sys.version.split()[0]}",
        f"numpy    : {np.__version__}",
        f"cpus     : {os.cpu_count()}{_load()}",
    ]
    lines += [f"{key:<9}: {value}" for key, value in extra]
    return "\n".join(lines)


def _load() -> str:
    """', load average a / b / c' where the OS reports one (other work skews the timings)."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return ""
    return f" (load average {one:.2f} / {five:.2f} / {fifteen:.2f} over 1 / 5 / 15 min)"


def print_header(
    title: str, args: argparse.Namespace, extra: Sequence[tuple[str, str]] = ()
) -> None:
    """Print the machine header and the mode (full or quick, samples per median)."""
    mode = "quick (smoke test: sizes shrunk)" if args.quick else "full"
    print(machine_header(title, [*extra, ("mode", f"{mode}, median of {repeat_from(args)}")]))
    print()


def fmt_seconds(seconds: float) -> str:
    """Seconds with a unit that keeps 3 significant digits: '12.3 us', '4.56 ms', '1.23 s'."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_spread(samples: Sequence[float]) -> str:
    """How far a set of samples spreads: (max - min) / median, as a percentage ('4%').

    Quoted next to a median so that a reader can tell a real difference from the noise of a
    shared machine.
    """
    middle = statistics.median(samples)
    if middle <= 0.0:
        return "-"
    return f"{(max(samples) - min(samples)) / middle:.0%}"


def fmt_range(values: Sequence[float], suffix: str = "") -> str:
    """The smallest and largest of `values`, as 'low-high' with two decimals ('1.28-1.36x')."""
    return f"{min(values):.2f}-{max(values):.2f}{suffix}"


def fmt_bytes(n: int) -> str:
    """Bytes in KiB or MiB."""
    if n < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.1f} MiB"


def fmt_int(n: int) -> str:
    """An integer with thousands separators."""
    return f"{n:,}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns: numbers right-aligned, text left-aligned.

    A cell that is a str is printed as is; a number is right-aligned with `str()`. A column is
    right-aligned when every cell in it looks like a number or a measurement ('' and '-' are
    placeholders and do not count).
    """
    cells = [[str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, table has {len(headers)} columns")
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    right = [
        all(_looks_numeric(row[i]) for row in cells if row[i] not in ("", "-"))
        for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print `format_table(headers, rows)` followed by a blank line."""
    print(format_table(headers, rows))
    print()


def _looks_numeric(cell: str) -> bool:
    head = cell.strip().split(" ")[0].replace(",", "").rstrip("x%")
    try:
        float(head)
    except ValueError:
        return False
    return True
