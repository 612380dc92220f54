"""Tensor MLP training step: minigrad against hand-written numpy and torch.

One step is forward, mean-squared-error loss, backward and a plain SGD update, for a ReLU MLP
with a linear output, in float64 and float32, at two sizes:

- small: batch 32, sizes 64-64-64-10 (Python overhead dominates)
- large: batch 256, sizes 784-512-512-10 (matrix products dominate)

The engines:

- numpy: a hand-written forward/backward/update, the fair reference: no wasted work (no
  gradient for the input, dW computed directly in its (out, in) layout, updates in place).
- minigrad: `MLP` + `functional.mse_loss` + `backward()` with the default strategy + `optim.SGD`.
- torch (when installed): `nn.Sequential` of Linear/ReLU + `mse_loss` + `optim.SGD`, with
  `torch.set_num_threads(2)`.

All three start from the same weights (minigrad's, copied) and the same data; the script first
checks that one step gives the same loss and the same updated weights, then times steps.

BLAS threads: torch uses 2 threads, and numpy's BLAS (OpenBLAS) is pinned to 2 threads too by
setting OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS (unless already set) before numpy
is imported. That only works when this script is what first imports numpy; the header prints what
was in effect.

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

Targets (issue 3): small size, minigrad <= 1.0x torch's time; large size, minigrad <= 1.1x the
hand-written numpy time.

Run: `.venv/bin/python -m benchmarks.bench_training_step [--quick] [--repeat N]`
"""

from __future__ import annotations

import argparse
import gc
import importlib
import itertools
import json
import os
import statistics
import subprocess
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
    make_parser,
    median_time,
    print_header,
    print_table,
    repeat_from,
)
from minigrad.nn import functional  # noqa: E402


def _optional_module(name: str) -> Any:
    """The module, or None when it cannot be imported."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


torch: Any = _optional_module("torch")  # None: the torch column is skipped
resource: Any = _optional_module("resource")  # None (not Unix): no page-fault counts

Array = NDArray[Any]
Step = Callable[[], float]
LR = 0.01
SEED = 0


@dataclass(frozen=True)
class Case:
    """One problem size and its target."""

    name: str
    batch: int
    sizes: tuple[int, ...]
    target_engine: str  # "torch" or "numpy"
    target_ratio: float


FULL_CASES = (
    Case("small", 32, (64, 64, 64, 10), "torch", 1.0),
    Case("large", 256, (784, 512, 512, 10), "numpy", 1.1),
)
QUICK_CASES = (
    Case("small", 32, (64, 64, 64, 10), "torch", 1.0),
    Case("large (shrunk)", 32, (98, 64, 64, 10), "numpy", 1.1),
)
DTYPES: tuple[type[np.floating[Any]], ...] = (np.float64, np.float32)
ENGINES = ("numpy", "minigrad", "torch")


# -- the three engines ------------------------------------------------------------------------


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
    model: mg.nn.MLP, optimizer: mg.optim.SGD, X: Array, Y: Array
) -> Callable[[], float]:
    def step() -> float:
        optimizer.zero_grad()
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


# -- one case ---------------------------------------------------------------------------------


@dataclass
class Engines:
    """The steps of the engines for one case and dtype, and how to read their weights back."""

    steps: dict[str, Step]
    readers: dict[str, Callable[[], list[Array]]]


def build(case: Case, dtype: type[np.floating[Any]]) -> Engines:
    """All engines from the same seeded minigrad weights and the same data."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((case.batch, case.sizes[0])).astype(dtype)
    Y = rng.standard_normal((case.batch, case.sizes[-1])).astype(dtype)
    model = mg.nn.MLP(case.sizes, seed=SEED, dtype=dtype)
    weights = [
        (layer.weight.data.copy(), layer.bias.data.copy()) for layer in model.linear_layers()
    ]
    reference = NumpyMLP(weights)
    optimizer = mg.optim.SGD(model.parameters(), lr=LR)
    steps: dict[str, Step] = {
        "numpy": lambda: reference.step(X, Y, LR),
        "minigrad": minigrad_step(model, optimizer, X, Y),
    }
    readers: dict[str, Callable[[], list[Array]]] = {
        "numpy": reference.weights,
        "minigrad": lambda: [np.array(p.data) for p in model.parameters()],
    }
    if torch is not None:
        steps["torch"], readers["torch"] = torch_engine(weights, X, Y, LR)
    return Engines(steps, readers)


def max_diff(a: Sequence[Array], b: Sequence[Array]) -> float:
    return max(float(np.max(np.abs(x.astype(np.float64) - y))) for x, y in zip(a, b, strict=True))


def check(case: Case, dtype: type[np.floating[Any]]) -> list[str]:
    """One step each from the same weights: loss and updated weights against numpy's."""
    engines = build(case, dtype)
    losses = {name: step() for name, step in engines.steps.items()}
    weights = {name: read() for name, read in engines.readers.items()}
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    row = [case.name, np.dtype(dtype).name, f"{losses['numpy']:.10g}"]
    worst = 0.0
    for name in ("minigrad", "torch"):
        if name not in losses:
            row += ["-", "-"]
            continue
        loss_diff = abs(losses[name] - losses["numpy"])
        weight_diff = max_diff(weights[name], weights["numpy"])
        worst = max(worst, loss_diff / max(1.0, abs(losses["numpy"])), weight_diff)
        row += [f"{loss_diff:.2e}", f"{weight_diff:.2e}"]
    row.append(f"ok (<= {tolerance:g})" if worst <= tolerance else f"MISMATCH (> {tolerance:g})")
    return row


def time_case(
    case: Case, dtype: type[np.floating[Any]], repeat: int, min_sample: float
) -> dict[str, float]:
    """Median seconds per step of each engine.

    The engines take turns: each round times one sample of every engine (a sample loops steps
    for at least `min_sample` seconds), so a change in machine load between rounds hits all
    engines alike instead of whichever happened to be running.
    """
    engines = build(case, dtype)
    for step in engines.steps.values():  # warm up: first allocations, torch's lazy setup
        started = time.perf_counter()
        for done in itertools.count(1):  # 3 steps and 0.2 s at least: a fresh process is cold
            step()
            if done >= 3 and time.perf_counter() - started >= 0.2:
                break
    samples: dict[str, list[float]] = {name: [] for name in engines.steps}
    for _ in range(repeat):
        for name, step in engines.steps.items():
            samples[name].append(median_time(step, 1, warmup=1, min_sample=min_sample))
    return {name: statistics.median(values) for name, values in samples.items()}


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


# -- main -------------------------------------------------------------------------------------


def malloc_settings() -> str:
    """glibc malloc settings from the environment (they decide when memory goes back to the OS)."""
    tuned = [
        f"{var}={value}" for var, value in sorted(os.environ.items()) if var.startswith("MALLOC_")
    ]
    if os.environ.get("GLIBC_TUNABLES"):
        tuned.append(f"GLIBC_TUNABLES={os.environ['GLIBC_TUNABLES']}")
    return ", ".join(tuned) or "defaults (freed memory is trimmed back to the OS)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("Tensor MLP training step: minigrad vs hand-written numpy vs torch.")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(THREADS)
    # The objects the imports made (torch's are many) never become garbage: keep them out of
    # every collection, so the collections before each sample take milliseconds, not 0.15 s.
    gc.collect()
    gc.freeze()
    if args.child:
        return child(args)
    repeat = repeat_from(args)
    cases = QUICK_CASES if args.quick else FULL_CASES
    min_sample = 0.02 if args.quick else 0.25

    if torch is not None:
        torch_info = f"{torch.__version__}, {torch.get_num_threads()} threads"
    else:
        torch_info = "not installed: its column is skipped"
    print_header(
        "Tensor MLP training step: forward, MSE, backward, SGD",
        args,
        [
            ("minigrad", f"{mg.__version__}, strategy {mg.get_default_strategy()}"),
            ("torch", torch_info),
            ("BLAS", _blas.describe()),
            ("malloc", malloc_settings()),
            ("cases", "; ".join(f"{c.name}: batch {c.batch}, {_sizes(c)}" for c in cases)),
        ],
    )
    if torch is None:
        print("torch is not installed (pip install torch): the torch column is skipped.")
        print()

    print("Correctness: one step from the same weights; differences to the numpy reference")
    print_table(
        [
            "case",
            "dtype",
            "numpy loss",
            "minigrad |dloss|",
            "minigrad max |dW|",
            "torch |dloss|",
            "torch max |dW|",
            "check",
        ],
        [check(case, dtype) for case in cases for dtype in DTYPES],
    )

    untrimmed = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}
    results: dict[tuple[str, str], dict[str, Any]] = {}
    tuned: dict[tuple[str, str], dict[str, Any]] = {}
    for case in cases:
        for dtype in DTYPES:
            key = (case.name, np.dtype(dtype).name)
            if args.quick:  # a smoke run measures in this process: no interpreter start-ups
                results[key] = measure(case, dtype, args)
            else:
                results[key] = measure_in_fresh_process(args, key, {})
                tuned[key] = measure_in_fresh_process(args, key, untrimmed)

    where = "in this process (quick mode)" if args.quick else "each case in a fresh process"
    print(
        f"Median ms per step over {repeat} rounds, {where} (engines take "
        f"turns; a sample loops >= {min_sample:g} s of steps)"
    )
    rows: list[list[str]] = []
    verdicts: list[str] = []
    for case in cases:
        for dtype in DTYPES:
            key = (case.name, np.dtype(dtype).name)
            times = results[key]["times"]
            mg_time = times["minigrad"]
            torch_time = times.get("torch")
            rows.append(
                [
                    case.name,
                    key[1],
                    f"{times['numpy'] * 1e3:.3f}",
                    f"{mg_time * 1e3:.3f}",
                    "-" if torch_time is None else f"{torch_time * 1e3:.3f}",
                    f"{mg_time / times['numpy']:.2f}x",
                    "-" if torch_time is None else f"{mg_time / torch_time:.2f}x",
                    "-" if torch_time is None else f"{torch_time / times['numpy']:.2f}x",
                ]
            )
            verdicts.append(verdict(case, key[1], times))
    print_table(
        [
            "case",
            "dtype",
            "numpy ms",
            "minigrad ms",
            "torch ms",
            "minigrad/numpy",
            "minigrad/torch",
            "torch/numpy",
        ],
        rows,
    )
    if resource is not None:
        print(
            "Minor page faults per step (memory fresh from the OS, touched for the first time),\n"
            "and the ratios again with malloc's trimming off (the arithmetic alone)"
        )
        fault_rows: list[list[str]] = []
        for case in cases:
            for dtype in DTYPES:
                key = (case.name, np.dtype(dtype).name)
                faults = results[key]["faults"]
                quiet = tuned[key]["times"] if key in tuned else {}
                fault_rows.append(
                    [case.name, key[1]]
                    + [f"{faults[name]:,.0f}" if name in faults else "-" for name in ENGINES]
                    + [
                        f"{quiet['minigrad'] / quiet['numpy']:.2f}x" if quiet else "-",
                        f"{quiet['minigrad'] / quiet['torch']:.2f}x" if "torch" in quiet else "-",
                    ]
                )
        print_table(
            [
                "case",
                "dtype",
                *(f"{name} faults" for name in ENGINES),
                "minigrad/numpy untrimmed",
                "minigrad/torch untrimmed",
            ],
            fault_rows,
        )

    print("Targets: small, minigrad <= 1.0x torch; large, minigrad <= 1.1x hand-written numpy")
    if args.quick:
        print("  not checked in quick mode: the sizes are shrunk, so the ratios mean nothing")
        return 0
    for line in verdicts:
        print(f"  {line}")
    if any(line.endswith("MISSED") for line in verdicts):
        print(
            "  (where a miss comes with many page faults, compare the untrimmed ratio: the gap is "
            "memory\n   handed back to the OS at the end of a step and faulted in again at the "
            "next)"
        )
    return 0


def measure_in_fresh_process(
    args: Any, key: tuple[str, str], env: dict[str, str]
) -> dict[str, Any]:
    """Time one case and dtype in a new interpreter running this script with `--child`."""
    command = [sys.executable, "-m", "benchmarks.bench_training_step", "--child", *key]
    if args.quick:
        command.append("--quick")
    if args.repeat is not None:
        command += ["--repeat", str(args.repeat)]
    done = subprocess.run(
        command,
        env={**os.environ, **env},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"timing {key} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(case: Case, dtype: type[np.floating[Any]], args: Any) -> dict[str, Any]:
    """Times and page faults of one case and dtype, measured in this process."""
    times = time_case(case, dtype, repeat_from(args), 0.02 if args.quick else 0.25)
    faults = faults_case(case, dtype, 5 if args.quick else 20) if resource is not None else {}
    return {"times": times, "faults": faults}


def child(args: Any) -> int:
    """`--child CASE DTYPE`: time that case alone and print one JSON line."""
    cases = QUICK_CASES if args.quick else FULL_CASES
    case = next(c for c in cases if c.name == args.child[0])
    dtype = next(d for d in DTYPES if np.dtype(d).name == args.child[1])
    print(json.dumps(measure(case, dtype, args)))
    return 0


def _sizes(case: Case) -> str:
    return "-".join(map(str, case.sizes))


def verdict(case: Case, dtype: str, times: dict[str, float]) -> str:
    label = f"{case.name} {dtype}: minigrad/{case.target_engine}"
    reference = times.get(case.target_engine)
    if reference is None:
        return f"{label}: not checked ({case.target_engine} is not installed)"
    ratio = times["minigrad"] / reference
    met = "met" if ratio <= case.target_ratio else "MISSED"
    return f"{label} = {ratio:.2f}x (target <= {case.target_ratio:.1f}x): {met}"


if __name__ == "__main__":
    raise SystemExit(main())
