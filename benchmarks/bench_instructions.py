"""Instructions, not seconds: one scalar training step of minigrad and micrograd under callgrind.

Wall time on a shared machine moves with whatever else runs; `valgrind --tool=callgrind` counts
the instructions a run executes, which are nearly the same from run to run with PYTHONHASHSEED
fixed and address randomisation off (`setarch -R`, where available): identical runs differ by
about 0.3%, a few million instructions, nearly all of it in the start-up.
The workload is micrograd's MLP 2-16-16-1 (ReLU hidden layers, linear output) on N points with a
squared-error loss, built neuron by neuron in both engines with the garbage collector off.

Each configuration runs as three processes: one forward (the imports and set-up counted once),
nine forwards, and nine forward + backward steps; the differences give the instructions of one
forward and of one backward, without the start-up, to about 1% (the run-to-run difference divided
by eight). Ratios are to micrograd's step.

Run: `.venv/bin/python -m benchmarks.bench_instructions [--quick] [--points N]`
(needs valgrind, and micrograd 0.1.0 from the dev extra; about 5 minutes). `--quick` runs each
workload once without valgrind — a smoke test that counts nothing — so it takes seconds.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks._common import fmt_int, machine_header, make_parser, print_table

ROOT = Path(__file__).resolve().parents[1]

WORKLOAD = r"""
import gc, sys
import numpy as np
engine, strategy, mode = sys.argv[1], sys.argv[2], sys.argv[4]
reps, points = int(sys.argv[3]), int(sys.argv[5])
if engine == "micrograd":
    from micrograd.engine import Value
else:
    import minigrad as mg
    Value = mg.Value
rng = np.random.default_rng(0)
sizes = ((2, 16), (16, 16), (16, 1))
ws = [[[Value(float(rng.normal())) for _ in range(i)] for _ in range(o)] for i, o in sizes]
X = rng.normal(size=(points, 2))
gc.disable()
def step():
    loss = None
    for x in X:
        if engine == "micrograd":
            h = [float(v) for v in x]
        else:
            h = [Value(float(v), requires_grad=False) for v in x]
        for li, layer in enumerate(ws):
            out = []
            for row in layer:
                s = row[0] * h[0]
                for w, hh in zip(row[1:], h[1:]):
                    s = s + w * hh
                out.append(s.relu() if li < 2 else s)
            h = out
        d = (h[0] - 1.0) ** 2
        loss = d if loss is None else loss + d
    if mode == "step":
        if engine == "micrograd":
            loss.backward()
        else:
            loss.backward(strategy=strategy)
for _ in range(reps):
    step()
"""

REPS = 9
"""Forwards and steps per counted run. Identical runs differ by about 0.3% (a few million
instructions, nearly all of it start-up), so the differences divide that by REPS - 1: one
forward and one backward to about 1%, where 3 runs gave 5%."""

CONFIGS = [
    ("micrograd", "-", {}),
    ("minigrad", "topological", {}),
    ("minigrad", "tape", {"MINIGRAD_STRATEGY": "tape"}),
    ("minigrad", "memoized", {}),
]


def instructions(script: Path, args: Sequence[str], env: dict[str, str]) -> int:
    """Instructions callgrind counted for one run of the workload."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        # Without address randomisation: nodes hash by address, so their dict and set
        # lookups (micrograd's especially) would otherwise vary by a few percent from run to run.
        fixed = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
        done = subprocess.run(
            [*fixed, "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, str(script), *args],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
    for line in done.stderr.splitlines():
        if "refs:" in line:
            return int(line.split("refs:")[1].strip().replace(",", ""))
    raise RuntimeError(f"callgrind printed no instruction count:\n{done.stderr[-2000:]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser(__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=None, help="data points (default 10)")
    args = parser.parse_args(argv)
    points = args.points or (3 if args.quick else 10)
    if args.quick:  # a smoke test: the workloads run; counting them takes minutes
        with tempfile.TemporaryDirectory() as scratch:
            script = Path(scratch) / "workload.py"
            script.write_text(WORKLOAD, encoding="utf-8")
            for engine, strategy, extra in CONFIGS:
                subprocess.run(
                    [sys.executable, str(script), engine, strategy, "1", "step", str(points)],
                    env={**os.environ, "PYTHONPATH": str(ROOT), **extra},
                    check=True,
                )
        print(f"quick: {len(CONFIGS)} workloads ran; the full run counts their instructions")
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing measured")
        return 0
    extra = [("model", "MLP 2-16-16-1, ReLU hidden, MSE"), ("data", f"{points} points, gc off")]
    print(machine_header("instructions per scalar training step (callgrind)", extra))
    print()
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    rows, step_of = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "workload.py"
        script.write_text(WORKLOAD, encoding="utf-8")
        for engine, strategy, extra in CONFIGS:
            run_env = {**env, **extra}
            runs = str(REPS)
            one = instructions(script, [engine, strategy, "1", "forward", str(points)], run_env)
            many = instructions(script, [engine, strategy, runs, "forward", str(points)], run_env)
            steps = instructions(script, [engine, strategy, runs, "step", str(points)], run_env)
            forward = (many - one) // (REPS - 1)
            backward = (steps - many) // REPS
            step_of[(engine, strategy)] = forward + backward
            rows.append([engine, strategy, fmt_int(forward), fmt_int(backward),
                         fmt_int(forward + backward)])  # fmt: skip
    reference = step_of[("micrograd", "-")]
    for row, key in zip(rows, step_of, strict=True):
        row.append(f"{step_of[key] / reference:.2f}")
    print_table(["engine", "strategy", "forward", "backward", "step", "step / micrograd"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
