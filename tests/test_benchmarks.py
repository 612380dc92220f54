"""The benchmarks measure what they say: `tape` rows sweep a real record (not a hand-over to
`topological`), the small training step runs on one thread, and the verdicts read their targets.

The scripts themselves run in `minigrad bench --quick` (tests/test_cli.py); these tests check the
parts whose failure would not show there: a wrong number still prints.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from minigrad.backward import recording, tape

ROOT = Path(__file__).resolve().parents[1]
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def import_benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py, imported without leaving its BLAS pinning in this process's
    environment (later tests' subprocesses would inherit it)."""
    sys.path.insert(0, str(ROOT))
    saved = {v: os.environ.get(v) for v in BLAS_VARIABLES}
    try:
        return importlib.import_module(f"benchmarks.{name}")
    finally:
        sys.path.remove(str(ROOT))
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


@pytest.fixture
def no_recording() -> Iterator[None]:
    """Recording off, as in a user's process: only `use_strategy("tape")` turns it on (the
    conftest records every test's graphs, which would hide a build outside the block)."""
    undo = recording.follow(False)
    yield
    undo()


@pytest.fixture
def tape_must_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tape's hand-over to `topological` an error, so a silent fallback fails the test."""

    def refuse(*args: Any) -> None:
        raise AssertionError("tape handed the graph over to topological")

    monkeypatch.setattr(tape, "_handed_over", refuse)


@pytest.mark.usefixtures("no_recording", "tape_must_sweep")
@pytest.mark.parametrize("data, reduce", [(0.5, False), (np.full((16,), 0.5), True)])
def test_chain_tape_rows_sweep_the_record(data: Any, reduce: bool) -> None:
    bench_chain = import_benchmark("bench_chain")
    x, out, _ = bench_chain.build(50, data, "tape", reduce)
    out.backward(strategy="tape")
    assert bench_chain.relative_error(x.grad, 50) < 1e-12


@pytest.mark.usefixtures("no_recording", "tape_must_sweep")
def test_a_chain_built_outside_the_block_is_caught() -> None:
    bench_chain = import_benchmark("bench_chain")
    _, out, _ = bench_chain.build(50, 0.5, "topological")
    with pytest.raises(AssertionError, match="handed the graph over"):
        out.backward(strategy="tape")


@pytest.mark.usefixtures("no_recording", "tape_must_sweep")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_step_tape_engine_sweeps_the_record(dtype: Any) -> None:
    step = import_benchmark("bench_training_step")
    engines = step.build(step.Case("tiny", 4, (3, 5, 2), 1.35, threads=1), dtype)
    losses = {name: engines.steps[name]() for name in ("numpy", "topological", "tape")}
    assert losses["tape"] == pytest.approx(losses["numpy"], rel=1e-5)
    assert losses["tape"] == losses["topological"]


@pytest.mark.usefixtures("no_recording", "tape_must_sweep")
def test_cnn_tape_step_sweeps_the_record() -> None:
    cnn = import_benchmark("bench_cnn")
    X, y = cnn.data(4, np.float64)
    losses = [cnn.minigrad_step(cnn.minigrad_cnn(np.float64), X, y, s)() for s in cnn.STRATEGIES]
    assert losses[0] == losses[1]


@pytest.mark.usefixtures("no_recording", "tape_must_sweep")
def test_layerwise_tape_engine_sweeps_the_record() -> None:
    import minigrad as mg
    from minigrad import layerwise

    bench_layerwise = import_benchmark("bench_layerwise")
    assert "tape" in {engine.strategy for engine in bench_layerwise.ENGINES}
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 4)), (rng.random((8, 1)) > 0.5).astype(float)
    after = {}
    for strategy in ("topological", "tape"):  # step_graph builds the forward under `strategy`
        model = mg.nn.MLP([4, 6, 1], "relu", seed=3)
        layerwise.step_graph(model, X, Y, 0.1, "bce", strategy)
        after[strategy] = [p.data.copy() for p in model.parameters()]
    for a, b in zip(after["topological"], after["tape"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_small_training_step_runs_on_one_thread_for_every_engine() -> None:
    step = import_benchmark("bench_training_step")
    small = next(c for c in step.FULL_CASES if c.name == "small")
    assert step.threads_env(small) == dict.fromkeys(BLAS_VARIABLES, "1")
    large = next(c for c in step.FULL_CASES if c.name == "large")
    assert step.threads_env(large) == {}  # the process's own: 2, or what the user set


def test_training_step_verdicts_use_the_median_of_paired_ratios() -> None:
    step = import_benchmark("bench_training_step")
    large = next(c for c in step.FULL_CASES if c.name == "large")
    result = {
        "samples": {"numpy": [1.0, 2.0, 1.0], "topological": [1.0, 2.2, 1.2], "tape": [2, 4, 2]},
        "peaks": {"numpy": 100, "topological": 150, "tape": 170},
    }
    times = step.time_verdicts(large, "float64", result)
    assert times[0].startswith("large float64, minigrad topological: 1.10x numpy's time")
    assert "rounds 1.00-1.20x" in times[0] and times[0].endswith("target <= 1.05x): MISSED")
    assert times[1].endswith("MISSED")
    memory = step.memory_verdicts(large, "float64", result)
    assert memory[0].endswith("peak memory 1.50x numpy's (target <= 1.6x): met")
    assert memory[1].endswith("peak memory 1.70x numpy's (target <= 1.6x): MISSED")
    small = next(c for c in step.FULL_CASES if c.name == "small")
    assert step.memory_verdicts(small, "float64", result) == []


def test_chain_verdict_judges_time_and_reports_memory_beside_today() -> None:
    bench_chain = import_benchmark("bench_chain")
    assert bench_chain.chain_verdict("tape", 0.2, 0.4) == (
        "tape: 0.20x PyTorch's time (<= 0.26x): met; memory 0.40x PyTorch's "
        "(more than today's 0.35x)"
    )
    assert "MISSED" in bench_chain.chain_verdict("topological", 0.3, 0.3)
