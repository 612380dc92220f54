"""Memory over a long training loop: does a 10,000-step run hold steady?

A small tensor MLP (2-32-32-2, tanh, batch 64, cross-entropy, Adam) trains for 10,000 steps under
`tracemalloc`, once per backward strategy. The loop is an ordinary one: `loss` stays bound to the
last step's graph until the next step. Every 1,000 steps the script records

- the number of live `Value` objects, counted first, among everything the garbage collector
  tracks, so graphs that only a reference cycle keeps alive (garbage not yet collected) count;
- the memory in use (`tracemalloc.get_traced_memory()[0]`) right after a `gc.collect()`. The
  collection matters: besides cyclic garbage it empties CPython's free lists (freed tuples and
  floats kept for reuse, up to 2,000 of each size), which tracemalloc counts as in use; without
  it, the free lists filling up over the first few thousand steps look like a slow leak;
- the highest memory reached since the previous sample.

Two passes: with the cycle collector on (Python's default) and off. With it off, memory is freed
between samples by reference counting alone: a step whose graph sits in a reference cycle (the
recursive strategies' closures made one, before the fix) leaves one graph per step behind, which
shows in the Values column (about 20 more per step) and in the peak (about one graph per step).

Verdict: "steady" when the memory in use at the last sample exceeds that at the first sample
(step 1,000) by less than THRESHOLD and every sample finds only the Values a clean loop keeps
alive (the parameters and the last graph); "CYCLES" when a sample finds more (graphs that waited
for the cycle collector); "GROWING" when memory grew.

A last table lists what stays alive between steps, measured: the parameters, their gradients
(kept until `zero_grad()`), the optimizer's state (Adam: two moment arrays per parameter) and the
last step's graph, held by the `loss` variable (its activations and, because backward gives every
op node a `.grad`, one gradient per node as well).

Run: `.venv/bin/python -m benchmarks.bench_memory [--quick]` (`--quick`: 100 steps sampled
every 25, too few to judge a slow leak, so it gives no verdict; `--steps N --every K` for other
lengths; `--repeat` is accepted and ignored).
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad as mg
from benchmarks._common import (
    fmt_bytes,
    fmt_int,
    machine_header,
    make_parser,
    print_table,
)
from minigrad.nn import functional as F  # noqa: N812 - the usual name

SIZES = (2, 32, 32, 2)
BATCH = 64
FULL_STEPS, FULL_EVERY = 10_000, 1_000
QUICK_STEPS, QUICK_EVERY = 100, 25
THRESHOLD = 32 * 1024
"""Bytes of growth from the first sample to the last still called steady. One step's graph is
about 190 KiB (activations and their gradients), so a leak of one graph per step would be about
1.7 GiB over the run; interpreter and numpy caches settling account for a few KiB."""


@dataclass(frozen=True)
class Sample:
    step: int
    current: int
    peak: int
    values: int


@dataclass
class Problem:
    model: mg.nn.MLP
    optimizer: mg.optim.Adam
    X: np.ndarray
    y: np.ndarray


def make_problem() -> Problem:
    model = mg.nn.MLP(SIZES, activation="tanh", seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SIZES[0]))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return Problem(model, mg.optim.Adam(model.parameters(), lr=0.01), X, y)


def step(problem: Problem, strategy: str) -> mg.Value:
    problem.optimizer.zero_grad()
    with mg.use_strategy(strategy):  # as a user would: tape records while it is the default
        loss = F.cross_entropy(problem.model(problem.X), problem.y)
    loss.backward(strategy=strategy)
    problem.optimizer.step()
    return loss


def live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is mg.Value)


@dataclass(frozen=True)
class Run:
    """One training run: its samples, the final loss, and the Values a clean loop keeps alive
    (the parameters and the graph the `loss` variable still holds), counted after the run."""

    samples: list[Sample]
    loss: float
    alive: int

    def verdict(self) -> tuple[int, str]:
        """(growth in bytes, "steady" | "GROWING" | "CYCLES").

        CYCLES: some sample found more live Values than a clean loop keeps, i.e. graphs that
        reference counting did not free and that waited for (or, collector off, leaked until)
        a cycle collection.
        """
        growth = self.samples[-1].current - self.samples[0].current
        if growth >= THRESHOLD:
            return growth, "GROWING"
        if any(s.values != self.alive for s in self.samples):
            return growth, "CYCLES"
        return growth, "steady"


def run(strategy: str, steps: int, every: int, collector: bool) -> Run:
    """Train for `steps` steps under tracemalloc, with a Sample every `every` steps."""
    problem = make_problem()
    for _ in range(10):  # warm up: first-call allocations, optimizer state
        step(problem, strategy)
    gc.collect()
    was_enabled = gc.isenabled()
    samples: list[Sample] = []
    loss: Any = None
    try:
        if not collector:
            gc.disable()
        tracemalloc.start()
        for i in range(1, steps + 1):
            loss = step(problem, strategy)
            if i % every == 0:
                values = live_values()  # before collecting: uncollected cyclic garbage counts
                peak = tracemalloc.get_traced_memory()[1]
                gc.collect()  # also empties the free lists, which tracemalloc counts as in use
                samples.append(Sample(i, tracemalloc.get_traced_memory()[0], peak, values))
                tracemalloc.reset_peak()
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()
    gc.collect()
    return Run(samples, float(loss.item()), live_values())


def retained() -> list[list[str]]:
    """What stays alive between steps, in bytes, after one ordinary step."""
    problem = make_problem()
    for _ in range(3):
        loss = step(problem, "topological")
    params = problem.model.parameters()
    state = [v for s in problem.optimizer.state for v in s.values() if isinstance(v, np.ndarray)]
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        loss = step(problem, "topological")
        with_graph = tracemalloc.get_traced_memory()[0]
        nodes = live_values() - len(params)
        del loss
        without_graph = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        gc.enable()
    n = fmt_int(len(params))
    return [
        ["parameters", n, fmt_bytes(sum_bytes([p.numpy() for p in params]))],
        ["their .grad (until zero_grad)", n, fmt_bytes(sum_bytes([p.grad for p in params]))],
        ["Adam state (m, v per parameter)", fmt_int(len(state)), fmt_bytes(sum_bytes(state))],
        ["last graph (the loss variable)", f"{nodes} nodes", fmt_bytes(with_graph - without_graph)],
    ]


def sum_bytes(arrays: Sequence[Any]) -> int:
    return sum(int(np.asarray(a).nbytes) for a in arrays)


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("Memory in use over a long training loop, under tracemalloc.")
    parser.add_argument("--steps", type=int, default=None, help="training steps per run")
    parser.add_argument("--every", type=int, default=None, help="steps between samples")
    args = parser.parse_args(argv)
    steps = args.steps or (QUICK_STEPS if args.quick else FULL_STEPS)
    every = args.every or (QUICK_EVERY if args.quick else FULL_EVERY)
    if steps < 2 * every or every < 1:
        raise SystemExit("--steps must be at least twice --every, and --every at least 1")
    strategies = list(mg.available_strategies())
    mode = "quick (smoke test: sizes shrunk)" if args.quick else "full"
    header = machine_header(
        "minigrad memory over a long training loop",
        [
            ("minigrad", mg.__version__),
            ("model", f"MLP {'-'.join(map(str, SIZES))} tanh, batch {BATCH}, Adam"),
            ("loop", f"{steps:,} steps, memory sampled every {every:,} (tracemalloc)"),
            ("mode", f"{mode}, one run per strategy and collector setting (no medians)"),
        ],
    )
    print(header)
    print()
    words: set[str] = set()
    for collector in (True, False):
        started = time.perf_counter()
        runs = {strategy: run(strategy, steps, every, collector) for strategy in strategies}
        seconds = time.perf_counter() - started
        rows: list[list[str]] = []
        for k, first in enumerate(runs[strategies[0]].samples):
            row = [fmt_int(first.step)]
            for strategy in strategies:
                sample = runs[strategy].samples[k]
                row += [fmt_bytes(sample.current), fmt_int(sample.values)]
            rows.append(row)
        verdict_row = ["growth"]
        peak_row = ["max peak"]
        for strategy in strategies:
            growth, word = runs[strategy].verdict()
            words.add(word)
            verdict_row += [f"{growth / 1024:+.1f} KiB", word]
            peak_row += [fmt_bytes(max(s.peak for s in runs[strategy].samples)), ""]
        rows += [verdict_row, peak_row]
        title = "on (Python's default)" if collector else "off (reference counting alone)"
        print(f"cycle collector {title}: memory in use and live Values ({seconds:.0f} s)")
        headers = ["step"]
        for strategy in strategies:
            headers += [strategy, "Values"]
        print_table(headers, rows)
        alive = ", ".join(f"{s} {runs[s].alive}" for s in strategies)
        losses = ", ".join(f"{s} {runs[s].loss:.4f}" for s in strategies)
        print(f"Values a clean loop keeps alive: {alive}\nfinal losses: {losses}\n")

    print("retained between steps (topological; gc off while measuring)")
    print_table(["what", "count", "bytes"], retained())
    if args.quick:
        print(f"verdict: not judged in quick mode ({steps:,} steps are too few for a slow leak)")
        return 0
    overall = "steady" if words == {"steady"} else "/".join(sorted(words - {"steady"}))
    print(
        f"verdict: {overall} (steady: growth from the first sample to the last below "
        f"{fmt_bytes(THRESHOLD)}, and no more live Values than a clean loop keeps, in every run)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
