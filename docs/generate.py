"""Regenerate every table and figure in the docs, measured with the repository's own code.

    .venv/bin/python docs/generate.py            # full sizes (a few minutes)
    .venv/bin/python docs/generate.py --quick    # shrunk sizes: a smoke run, not for quoting
    .venv/bin/python docs/generate.py --only cli # just the `minigrad ...` examples (about 20 s)
    .venv/bin/python docs/generate.py --only custom_strategy  # just examples/custom_strategy.py

Writes `docs/generated/*.md` (tables, examples with their real output), `docs/generated/bench_*.txt`
(the stdout of each `benchmarks/bench_*.py`), `docs/generated/cli_*.md` (each `minigrad ...`
command of the command-line guide with what it printed), `docs/figures/*.png`, the pictures of
the walks `docs/figures/walk_*.svg` and the step-through pages `docs/walks/*.html`
(`--only walks` makes these two alone, in a second). Every file is
written atomically (a temporary file, then a rename), so a run that fails half-way leaves the
previous versions in place. The pages include these files with `--8<--` snippets; no number in
the docs is typed by hand.

Conventions: times are medians of `time.perf_counter` samples (the walk's own
`BackwardStats.seconds`, which leaves out committing `.grad`), the garbage collector is emptied
before each sample, and peak memory is measured in a separate run under `tracemalloc` (which
slows Python down, so it is never on while timing).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import functools
import gc
import importlib
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # measure this checkout's minigrad, not an installed copy
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import graphs, layerwise  # noqa: E402
from minigrad.backward import recursion, topological_order  # noqa: E402
from minigrad.data import banknote_split, load_banknote, make_banknote_like  # noqa: E402
from minigrad.errors import CycleError, GraphTooDeepError, PathExplosionError  # noqa: E402
from minigrad.nn import MLP  # noqa: E402
from minigrad.report import summarize_error  # noqa: E402
from minigrad.value import Value  # noqa: E402

# `minigrad.backward.naive` is shadowed by the walk function of the same name: fetch the module.
naive_module: Any = importlib.import_module("minigrad.backward.naive")
# Every graph built here is recorded for `tape` (as under MINIGRAD_STRATEGY=tape), so that its
# rows measure its own sweep; recording costs the forward only, which the tables do not time.
importlib.import_module("minigrad.backward.recording").records_by_default = True

TIMES, MINUS = "\u00d7", "\u2212"  # typographic signs for the pages
STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")
RECURSIVE = ("naive", "memoized", "cycle_checked")
START = time.perf_counter()


# -- sizes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Everything that --quick shrinks."""

    repeat: int
    tradeoff_graphs: tuple[tuple[str, int, int, str], ...]  # (kind, width, depth, mode)
    chain_lengths: tuple[int, ...]
    sweep_widths: tuple[int, ...]
    sweep_depths: tuple[int, ...]
    figure_width: int
    naive_run_cap: int  # run naive in sweeps while its predicted calls are at most this
    toposort_graphs: tuple[tuple[str, int, int, str], ...]
    epochs: int
    doubling_levels: tuple[int, ...]


FULL = Sizes(
    repeat=5,
    tradeoff_graphs=(
        ("dense", 2, 4, "scalar"),
        ("dense", 3, 6, "scalar"),
        ("dense", 4, 6, "scalar"),
        ("dense", 8, 8, "scalar"),
        ("residual", 3, 6, "scalar"),
        ("chain", 1, 10_000, "scalar"),
        ("dense", 64, 8, "tensor"),
        ("residual", 64, 8, "tensor"),
    ),
    chain_lengths=(1_000, 10_000, 100_000, 1_000_000),
    sweep_widths=(2, 3, 4),
    sweep_depths=tuple(range(1, 11)),
    figure_width=3,
    naive_run_cap=200_000,
    toposort_graphs=(
        ("dense", 3, 6, "scalar"),
        ("dense", 4, 8, "scalar"),
        ("residual", 3, 6, "scalar"),
        ("chain", 1, 10_000, "scalar"),
        ("dense", 64, 8, "tensor"),
    ),
    epochs=5_000,
    doubling_levels=(1, 2, 4, 8, 12, 16),
)

QUICK = Sizes(
    repeat=2,
    tradeoff_graphs=(
        ("dense", 2, 4, "scalar"),
        ("dense", 3, 4, "scalar"),
        ("dense", 8, 8, "scalar"),
        ("residual", 2, 4, "scalar"),
        ("chain", 1, 1_000, "scalar"),
        ("dense", 16, 4, "tensor"),
        ("residual", 16, 4, "tensor"),
    ),
    chain_lengths=(100, 1_000, 10_000),
    sweep_widths=(2, 3),
    sweep_depths=tuple(range(1, 6)),
    figure_width=3,
    naive_run_cap=5_000,
    toposort_graphs=(("dense", 3, 4, "scalar"), ("chain", 1, 1_000, "scalar")),
    epochs=100,
    doubling_levels=(1, 2, 4, 8),
)


# -- output -------------------------------------------------------------------------------------


def log(message: str) -> None:
    """A progress line with the time since the start."""
    print(f"[{time.perf_counter() - START:6.1f} s] {message}", flush=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`; renamed over `path` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def shown(path: Path) -> str:
    """The path relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, ending it with exactly one newline."""
    with atomic_path(path) as temporary:
        temporary.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    log(f"wrote {shown(path)}")


def fmt_seconds(seconds: float | None) -> str:
    """'12.3 µs', '4.56 ms', '1.23 s' (3 significant digits), or '-'."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_bytes(n: int | None) -> str:
    """Bytes as KiB or MiB, or '-'."""
    if n is None:
        return "-"
    if n < 1 << 20:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.1f} MiB"


def fmt_int(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def fmt_float(x: float, digits: int = 3) -> str:
    """A float in scientific notation with `digits` significant digits (0 stays '0')."""
    return "0" if x == 0 else f"{x:.{digits - 1}e}"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A Markdown table; `right[i]` right-aligns column i."""
    rule = ["---:" if r else "---" for r in right]
    lines = [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in [list(headers), rule, *rows]
    ]
    return "\n".join(lines)


def split_by_first_column(table: str) -> str:
    """A Markdown table as one smaller table per value of its first column, each under that value
    in bold: a 40-row table of 9 columns becomes narrow tables that fit the page."""
    header, rule, *rows = table.splitlines()

    def cells(line: str) -> list[str]:
        return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(values) + " |"

    groups: dict[str, list[str]] = {}
    for row in rows:
        first, *rest = cells(row)
        groups.setdefault(first, []).append(line(rest))
    head, marks = line(cells(header)[1:]), line(cells(rule)[1:])
    return "\n\n".join(f"**{name}**\n\n{head}\n{marks}\n" + "\n".join(body)
                       for name, body in groups.items())  # fmt: skip


def graph_name(kind: str, width: int, depth: int, mode: str) -> str:
    """'dense 3x6, scalar' (with a multiplication sign) or 'chain of 10,000, scalar'."""
    if kind == "chain":
        return f"chain of {depth:,}, {mode}"
    return f"{kind} {width}{TIMES}{depth}, {mode}"


# -- measuring one strategy on one graph ----------------------------------------------------------


@dataclass
class Outcome:
    """What one strategy did on one graph: counters and times, or the error it raised."""

    strategy: str
    seconds: float | None = None
    runs: int = 0
    vjp_calls: int | None = None
    nodes: int | None = None
    max_depth: int | None = None
    peak: int | None = None
    error: str | None = None
    grads: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def zero_all(output: Value) -> None:
    """Forget every accumulated gradient in the graph (so each run commits the same work)."""
    for node in topological_order(output):
        node.zero_grad()


def runs_for(first: float, repeat: int) -> int:
    """More samples for fast walks (a busy machine preempts some), fewer for slow ones."""
    if first > 1.0:
        return 1
    if first > 0.2:
        return min(repeat, 3)
    if first < 0.01:
        return 3 * repeat
    return repeat


def measure_all(
    output: Value,
    leaves: Sequence[Value],
    strategies: Sequence[str],
    repeat: int,
    *,
    memory: bool = True,
    fixed_runs: int | None = None,
) -> dict[str, Outcome]:
    """Run each strategy on the graph: median walk seconds, counters, and peak memory.

    The timed samples of the strategies are interleaved (a, b, c, a, b, c, ...), so a burst of
    other work on the machine slows all of them alike instead of one; peak memory is traced in
    separate runs afterwards.
    """
    outcomes: dict[str, Outcome] = {}
    samples: dict[str, list[float]] = {}
    wanted: dict[str, int] = {}
    for strategy in strategies:
        outcome = outcomes[strategy] = Outcome(strategy)
        zero_all(output)
        gc.collect()
        try:
            stats = output.backward(strategy=strategy)
        except (PathExplosionError, GraphTooDeepError, CycleError) as error:
            outcome.error = summarize_error(error)
            continue
        outcome.vjp_calls, outcome.nodes, outcome.max_depth = (
            stats.vjp_calls,
            stats.nodes,
            stats.max_depth,
        )
        outcome.grads = [np.array(leaf.grad, dtype=np.float64) for leaf in leaves]
        samples[strategy] = [stats.seconds]
        wanted[strategy] = fixed_runs if fixed_runs is not None else runs_for(stats.seconds, repeat)
    for _ in range(max(wanted.values(), default=1) - 1):
        for strategy in samples:
            if len(samples[strategy]) < wanted[strategy]:
                gc.collect()
                samples[strategy].append(output.backward(strategy=strategy).seconds)
    for strategy, taken in samples.items():
        outcomes[strategy].seconds = statistics.median(taken)
        outcomes[strategy].runs = len(taken)
        if memory:
            zero_all(output)
            gc.collect()
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                output.backward(strategy=strategy)
                peak = tracemalloc.get_traced_memory()[1] - base
                outcomes[strategy].peak = max(0, peak)
            finally:
                tracemalloc.stop()
    zero_all(output)
    return outcomes


def measure(
    output: Value,
    leaves: Sequence[Value],
    strategy: str,
    repeat: int,
    *,
    memory: bool = True,
    fixed_runs: int | None = None,
) -> Outcome:
    """`measure_all` for one strategy."""
    return measure_all(output, leaves, [strategy], repeat, memory=memory, fixed_runs=fixed_runs)[
        strategy
    ]


def max_grad_difference(a: Outcome, b: Outcome) -> float | None:
    """max |a's leaf gradients - b's|, or None when either failed."""
    if not a.ok or not b.ok:
        return None
    return max(
        (float(np.max(np.abs(x - y))) for x, y in zip(a.grads, b.grads, strict=True)),
        default=0.0,
    )


def median_of(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of `fn()` over `repeat` samples after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# -- running a code example in a fresh interpreter -----------------------------------------------


def run_python(args: Sequence[str], env: dict[str, str] | None = None) -> str:
    """Run `python ARGS` in a fresh interpreter (this checkout on the path, from the repository
    root, the built-in default strategy); return what it printed."""
    environment = {k: v for k, v in os.environ.items() if k != "MINIGRAD_STRATEGY"}
    environment.update(PYTHONPATH=str(ROOT), **(env or {}))
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"example failed:\n{' '.join(args)}\n{done.stderr}")
    return done.stdout


def run_example(code: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a fresh Python (this checkout on the path); return what it printed."""
    return run_python(["-c", code], env)


def section(name: str, text: str) -> str:
    """`text` between snippet section markers: a page can include `file.md:name` alone."""
    return f"<!-- --8<-- [start:{name}] -->\n{text}\n<!-- --8<-- [end:{name}] -->\n\n"


def example_block(code: str, output: str) -> str:
    """The code, then exactly what it printed."""
    return f"```python\n{code.strip()}\n```\n\nOutput:\n\n```text\n{output.rstrip()}\n```"


# -- machine ------------------------------------------------------------------------------------


def load_average() -> str:
    """'a (1 min), b (5 min)', or 'not reported'."""
    try:
        one, five, _ = os.getloadavg()
    except (AttributeError, OSError):
        return "not reported"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def machine(sizes: Sizes, quick: bool, load_at_start: str, timings: dict[str, float]) -> str:
    import matplotlib

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ["platform", f"{platform.platform()} ({platform.machine()})"],
        ["processor", platform.processor() or "not reported"],
        ["CPUs", str(os.cpu_count())],
        ["load average at the start / end", f"{load_at_start} / {load_average()}"],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["numpy", np.__version__],
        ["matplotlib", matplotlib.__version__],
        ["minigrad", mg.__version__],
        ["Python's recursion limit", f"{sys.getrecursionlimit():,}"],
        ["deepest recursion a walk may use", f"{recursion.MAX_RECURSION_DEPTH:,} frames"],
        ["naive's call cap", f"{naive_module.get_max_calls():,}"],
        ["date", now],
        ["mode", "quick (sizes shrunk: a smoke run)" if quick else "full"],
        ["samples per median (fast walks)", str(sizes.repeat)],
        *([f"`docs/generate.py`: {what}", f"{t:.0f} s"] for what, t in timings.items()),
    ]
    return md_table(["", "value"], rows, [False, False])


# -- micrograd issue 21: reused nodes, closures and plain recursion --------------------------------

REUSE_CODE = '''
import minigrad as mg


class Closure:
    """micrograd's design: a node's _backward closure reads the node's accumulated .grad."""

    def __init__(self, data, children=(), label=""):
        self.data, self.grad, self.children, self.label = data, 0.0, children, label
        self._backward = lambda: None

    def __add__(self, other):
        out = Closure(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out


def plain_recursion(node, visits):
    """Call the node's closure, then recurse into every child (micrograd issue 21, PR 64)."""
    visits.append(node.label)
    node._backward()
    for child in node.children:
        plain_recursion(child, visits)


a = Closure(1.0, label="a")
b = a + a
b.label = "b"
c = b + b
c.label = "c"
c.grad = 1.0
visits = []
plain_recursion(c, visits)
print(f"closures + plain recursion: dc/da = {a.grad}   visits: {', '.join(visits)}")

a = mg.Value(1.0, label="a")
b = a + a
c = b + b
for name in ("naive", "memoized", "cycle_checked", "topological", "tape"):
    a.zero_grad()
    stats = c.backward(strategy=name)
    print(f"minigrad {name:<14} dc/da = {a.grad}   vjp_calls = {stats.vjp_calls}")
'''

DOUBLING_CODE = """
import minigrad as mg


def doublings(levels):
    \"\"\"a, b1 = a + a, b2 = b1 + b1, ...: `levels` adds and 2^levels paths to a.\"\"\"
    a = mg.Value(1.0)
    b = a
    for _ in range(levels):
        b = b + b
    return a, b


print("levels   dc/da   naive vjp_calls   memoized vjp_calls")
for levels in LEVELS:
    a, c = doublings(levels)
    naive = c.backward(strategy="naive")
    naive_grad = a.grad
    a.zero_grad()
    memo = c.backward(strategy="memoized")
    assert a.grad == naive_grad
    print(f"{levels:>6} {naive_grad:>7g} {naive.vjp_calls:>17,} {memo.vjp_calls:>20,}")
"""


def reuse_examples(sizes: Sizes) -> dict[str, str]:
    log("micrograd issue 21 example (a = 1; b = a + a; c = b + b)")
    out = {"reuse_example.md": example_block(REUSE_CODE, run_example(REUSE_CODE))}
    code = DOUBLING_CODE.replace("LEVELS", repr(sizes.doubling_levels))
    out["doubling_example.md"] = example_block(code, run_example(code))
    return out


# -- switching strategies ------------------------------------------------------------------------

SWITCH_CODE = """
import minigrad as mg
from minigrad.graphs import dense_net

out, leaves = dense_net(width=3, depth=4)  # a small dense net of scalar Values

stats = out.backward(strategy="naive")  # 1. name the walk for one call
print(stats.strategy, stats.vjp_calls, stats.max_depth)

with mg.use_strategy("memoized"):  # 2. a default for a block
    stats = out.backward()
print(stats.strategy, stats.vjp_calls, stats.max_depth)

mg.set_default_strategy("cycle_checked")  # 3. a default for this thread from now on
stats = out.backward()
print(stats.strategy, stats.vjp_calls, stats.max_depth, mg.get_default_strategy())

print(mg.available_strategies())
"""

ENV_CODE = "import minigrad as mg; print(mg.get_default_strategy())"


def switch_example() -> dict[str, str]:
    log("switching strategies example")
    text = example_block(SWITCH_CODE, run_example(SWITCH_CODE))
    unset = run_example(ENV_CODE).strip()
    chosen = run_example(ENV_CODE, {"MINIGRAD_STRATEGY": "memoized"}).strip()
    shell = (
        "```console\n"
        f'$ python -c "{ENV_CODE}"\n{unset}\n'
        f'$ MINIGRAD_STRATEGY=memoized python -c "{ENV_CODE}"\n{chosen}\n'
        "```"
    )
    return {"switch_example.md": text, "env_example.md": shell}


# -- the contributing guide's custom strategy -----------------------------------------------------

CUSTOM_STRATEGY_SCRIPT = "examples/custom_strategy.py"


def custom_strategy_example() -> dict[str, str]:
    """`python examples/custom_strategy.py` at a prompt, and what it printed."""
    log(f"custom strategy example ({CUSTOM_STRATEGY_SCRIPT})")
    output = run_python([CUSTOM_STRATEGY_SCRIPT])
    lines = [f"$ python {CUSTOM_STRATEGY_SCRIPT}"]
    lines += [line.rstrip() for line in output.rstrip().splitlines()]
    return {"custom_strategy.md": "```console\n" + "\n".join(lines) + "\n```"}


# -- cycles --------------------------------------------------------------------------------------

CYCLE_CODE = """
import minigrad as mg

a = mg.Value(0.5, label="a")
b = (a * 2.0).tanh()
b.label = "b"
c = b * a
c.label = "c"
d = c.exp()
d.label = "d"
b.parents = (c,)  # rewire: now b = tanh(c) and c = b * a, a cycle b -> c -> b

for name in ("naive", "memoized", "cycle_checked", "topological", "tape"):
    try:
        d.backward(strategy=name)
    except (mg.CycleError, mg.GraphTooDeepError) as error:
        print(f"{name}: {type(error).__name__}: {error}\\n")
print("a.has_grad after four failed walks:", a.has_grad)
"""


def cycle_example() -> dict[str, str]:
    log("cycle example")
    output = run_example(CYCLE_CODE)
    wrapped = "\n".join(
        "\n".join(textwrap.wrap(line, 96, subsequent_indent="    ")) if line else ""
        for line in output.splitlines()
    )
    return {"cycle_example.md": example_block(CYCLE_CODE, wrapped)}


# -- the notebook's 2-2-2-2-1 sigmoid network ------------------------------------------------------

NOTEBOOK_W = (
    [[0.3, -0.2], [0.1, 0.4]],
    [[-0.5, 0.2], [0.3, 0.7]],
    [[0.6, -0.1], [-0.4, 0.2]],
    [[0.8, -0.6]],
)
NOTEBOOK_B = ([0.0, 0.1], [0.2, -0.3], [-0.2, 0.05], [0.15])
NOTEBOOK_X = (0.7, -1.2)
NOTEBOOK_Y = 0.9


def notebook_net() -> tuple[Value, list[tuple[str, Value]]]:
    """The 2-2-2-2-1 sigmoid net in scalar mode: loss = 0.5 (y - yhat)^2, and its parameters."""
    params: list[tuple[str, Value]] = []
    h: list[Any] = list(NOTEBOOK_X)
    for layer, (rows, biases) in enumerate(zip(NOTEBOOK_W, NOTEBOOK_B, strict=True), start=1):
        out = []
        for j, (row, bias) in enumerate(zip(rows, biases, strict=True)):
            ws = [Value(w, label=f"W{layer}[{j},{k}]") for k, w in enumerate(row)]
            b = Value(bias, label=f"b{layer}[{j}]")
            params += [(w.label, w) for w in ws] + [(b.label, b)]
            z: Any = ws[0] * h[0]
            for w, x in zip(ws[1:], h[1:], strict=True):
                z = z + w * x
            out.append((z + b).sigmoid())
        h = out
    loss = 0.5 * (NOTEBOOK_Y - h[0]) ** 2
    return loss, params


def notebook_recursion(memo: bool) -> tuple[dict[str, float], int]:
    """The notebook's own scheme: each parameter's gradient asks for dL/dz of its neuron, and
    dL/dz recurses to the layer above, without (or with) a memo. Returns (gradients, calls)."""
    W = [np.array(w) for w in NOTEBOOK_W]
    B = [np.array(b) for b in NOTEBOOK_B]
    acts = [np.array(NOTEBOOK_X)]
    for w, b in zip(W, B, strict=True):
        acts.append(1.0 / (1.0 + np.exp(-(w @ acts[-1] + b))))
    calls = 0
    cache: dict[tuple[int, int], float] = {}

    def dL_dz(layer: int, j: int) -> float:  # noqa: N802 - the notebook's notation
        nonlocal calls
        if memo and (layer, j) in cache:
            return cache[layer, j]
        calls += 1
        a = float(acts[layer + 1][j])
        if layer == len(W) - 1:
            upstream = a - NOTEBOOK_Y
        else:
            upstream = sum(
                dL_dz(layer + 1, k) * float(W[layer + 1][k, j]) for k in range(len(W[layer + 1]))
            )
        cache[layer, j] = upstream * a * (1.0 - a)
        return cache[layer, j]

    grads: dict[str, float] = {}
    for layer, w in enumerate(W):
        for j in range(w.shape[0]):
            for k in range(w.shape[1]):
                grads[f"W{layer + 1}[{j},{k}]"] = dL_dz(layer, j) * float(acts[layer][k])
            grads[f"b{layer + 1}[{j}]"] = dL_dz(layer, j)
    return grads, calls


def notebook_table(sizes: Sizes) -> dict[str, str]:
    log("the notebook's 2-2-2-2-1 network")
    loss, params = notebook_net()
    leaves = [v for _, v in params]
    outcomes = measure_all(loss, leaves, STRATEGIES, sizes.repeat, memory=False)
    reference = outcomes["topological"]
    by_hand, calls_without_memo = notebook_recursion(memo=False)
    _, calls_with_memo = notebook_recursion(memo=True)
    hand_diff = max(
        abs(by_hand[name] - float(g)) for (name, _), g in zip(params, reference.grads, strict=True)
    )
    rows = [
        [f"`{name}`", f"{value.data:g}", f"{float(g):+.10f}"]
        for (name, value), g in zip(params, reference.grads, strict=True)
    ]
    grad_table = md_table(["parameter", "value", "dL/dparameter"], rows, [False, True, True])
    stat_rows = [
        [
            f"`{s}`",
            fmt_int(o.vjp_calls),
            fmt_int(o.nodes),
            fmt_int(o.max_depth),
            fmt_float(max_grad_difference(o, reference) or 0.0),
        ]
        for s, o in outcomes.items()
    ]
    stat_table = md_table(
        ["strategy", "vjp_calls", "nodes", "max_depth", f"max |gradient {MINUS} topological's|"],
        stat_rows,
        [False, True, True, True, True],
    )
    naive_calls = outcomes["naive"].vjp_calls or 0
    memo_calls = outcomes["memoized"].vjp_calls or 1
    count_rows = [
        [
            "the notebook's recursion: one dL/dz call chain per parameter, no memo",
            fmt_int(calls_without_memo),
        ],
        ["the same recursion with a memo (one dL/dz per neuron)", fmt_int(calls_with_memo)],
        ["minigrad `naive`: rule calls, one per output-to-op-node path", fmt_int(naive_calls)],
        ["minigrad `memoized`: rule calls, one per op node", fmt_int(memo_calls)],
    ]
    count_table = md_table(["what is counted", "calls"], count_rows, [False, True])
    text = "\n\n".join(
        [
            f"Loss: **{loss.item():.10f}** (0.5 · (y {MINUS} ŷ)², y = {NOTEBOOK_Y}, "
            f"x = {list(NOTEBOOK_X)}), computed in scalar mode: one Value per weight, "
            f"{len(params)} parameters.",
            grad_table,
            stat_table,
            count_table,
            f"`naive` made **{naive_calls / memo_calls:.1f}{TIMES}** as many rule calls as "
            f"`memoized`; the notebook's un-memoized recursion made "
            f"**{calls_without_memo / calls_with_memo:.1f}{TIMES}** as many dL/dz calls as its "
            f"memoized version. Its gradients agree with minigrad's to {fmt_float(hand_diff)}.",
        ]
    )
    return {"notebook_table.md": text}


# -- recursion limits on long chains --------------------------------------------------------------


@dataclass
class ChainResult:
    length: int
    nodes: int
    outcomes: dict[str, Outcome]
    skipped: dict[str, str]


def recursion_limits(sizes: Sizes) -> tuple[dict[str, str], list[ChainResult]]:
    results: list[ChainResult] = []
    slow: dict[str, float] = {}
    for length in sizes.chain_lengths:
        log(f"chain of {length:,}: building")
        output, leaves = graphs.chain(length)
        outcomes: dict[str, Outcome] = {}
        skipped: dict[str, str] = {}
        nodes = 0
        for strategy in ("topological", "tape", *RECURSIVE):
            if slow.get(strategy, 0.0) > 60.0:
                skipped[strategy] = "not run: the previous length took over a minute"
                continue
            log(f"chain of {length:,}: {strategy}")
            started = time.perf_counter()
            fixed = 1 if length >= 100_000 else min(3, sizes.repeat)
            outcome = measure(
                output, leaves, strategy, sizes.repeat, memory=False, fixed_runs=fixed
            )
            slow[strategy] = time.perf_counter() - started
            outcomes[strategy] = outcome
            nodes = max(nodes, outcome.nodes or 0)
        results.append(ChainResult(length, nodes, outcomes, skipped))
        del output, leaves
        gc.collect()
    rows = []
    for result in results:
        for strategy in STRATEGIES:
            o = result.outcomes.get(strategy)
            if o is None:
                skip = result.skipped[strategy]
                rows.append([f"{result.length:,}", f"`{strategy}`", "-", "-", "-", "-", skip])
                continue
            rows.append(
                [
                    f"{result.length:,}",
                    f"`{strategy}`",
                    "works" if o.ok else "**fails**",
                    fmt_seconds(o.seconds),
                    fmt_int(o.nodes),
                    fmt_int(o.max_depth),
                    "" if o.ok else o.error or "",
                ]
            )
    table = md_table(
        ["chain length", "strategy", "result", "seconds", "nodes", "max_depth", "error"],
        rows,
        [True, False, False, True, True, True, False],
    )
    default_limit, headroom = recursion._DEFAULT_LIMIT, recursion._HEADROOM
    note = (
        f"The chain is `minigrad.graphs.chain(n)`: n steps of x → tanh(0.5·x), so "
        f"{2:,} op nodes per step plus the leaf. Python's recursion limit is "
        f"{sys.getrecursionlimit():,}; a recursive walk on a graph from about "
        f"{default_limit // 2 - headroom:,} nodes up (half the default limit of "
        f"{default_limit:,}, less {headroom:,} frames of headroom) runs on a worker thread with "
        f"a large stack and the limit raised to the node count, capped at "
        f"`MAX_RECURSION_DEPTH` = {recursion.MAX_RECURSION_DEPTH:,} frames. Lengths "
        f"of {min(100_000, max(sizes.chain_lengths)):,} and more are timed once; shorter ones "
        f"take the median of {min(3, sizes.repeat)} runs."
    )
    sentences = []
    for result in results:
        works = [s for s in STRATEGIES if s in result.outcomes and result.outcomes[s].ok]
        fails = [s for s in STRATEGIES if s in result.outcomes and not result.outcomes[s].ok]
        text = f"chain of {result.length:,} ({result.nodes:,} nodes): "
        verb = " works" if len(works) == 1 else " work"
        text += ", ".join(f"`{s}`" for s in works) + (verb if works else "none works")
        if fails:
            text += "; " + ", ".join(f"`{s}`" for s in fails) + " raise `GraphTooDeepError`"
            if not all("GraphTooDeepError" in (result.outcomes[s].error or "") for s in fails):
                text += " or fail otherwise (see the table)"
        sentences.append(f"- {text}.")
    return {
        "recursion_limits.md": f"{table}\n\n{note}",
        "recursion_summary.md": "\n".join(sentences),
    }, results


# -- the trade-offs table ------------------------------------------------------------------------


def tradeoffs(sizes: Sizes, chains: list[ChainResult]) -> dict[str, str]:
    rows: list[list[str]] = []
    summary: list[str] = []
    for kind, width, depth, mode in sizes.tradeoff_graphs:
        name = graph_name(kind, width, depth, mode)
        output, leaves = graphs.build(kind, width, depth, mode)
        predicted = naive_module.predict_calls(output)
        log(f"trade-offs: {name}")
        outcomes = measure_all(output, leaves, STRATEGIES, sizes.repeat)
        reference = outcomes["topological"]
        for strategy, o in outcomes.items():
            difference = max_grad_difference(o, reference)
            rows.append(
                [
                    name,
                    f"`{strategy}`",
                    fmt_seconds(o.seconds),
                    fmt_int(o.vjp_calls),
                    fmt_int(o.nodes),
                    fmt_int(o.max_depth),
                    fmt_bytes(o.peak),
                    "-" if difference is None else fmt_float(difference, 2),
                    o.error or "",
                ]
            )
        naive, memo, topo = outcomes["naive"], outcomes["memoized"], outcomes["topological"]
        if naive.ok and memo.ok and naive.seconds and topo.seconds:
            summary.append(
                f"- {name}: `naive` made {fmt_int(naive.vjp_calls)} rule calls against "
                f"{fmt_int(memo.vjp_calls)} for each linear strategy "
                f"({(naive.vjp_calls or 0) / (memo.vjp_calls or 1):,.1f}{TIMES}) and took "
                f"{naive.seconds / topo.seconds:,.1f}{TIMES} `topological`'s time."
            )
        elif not naive.ok:
            summary.append(
                f"- {name}: `naive` refused before walking ({predicted:,} calls predicted, "
                f"{predicted / (memo.vjp_calls or 1):,.0f}{TIMES} the {fmt_int(memo.vjp_calls)} of "
                f"each linear strategy)."
            )
        del output, leaves
    for result in chains:
        if result.length < 100_000:
            continue
        for strategy in STRATEGIES:
            run = result.outcomes.get(strategy)
            cells = [f"chain of {result.length:,}, scalar", f"`{strategy}`"]
            if run is None:
                rows.append([*cells, "-", "-", "-", "-", "-", "-", result.skipped[strategy]])
            else:
                rows.append(
                    [
                        *cells,
                        fmt_seconds(run.seconds),
                        fmt_int(run.vjp_calls),
                        fmt_int(run.nodes),
                        fmt_int(run.max_depth),
                        "not traced",
                        "-",
                        run.error or "",
                    ]
                )
    table = md_table(
        [
            "graph",
            "strategy",
            "seconds",
            "vjp_calls",
            "nodes",
            "max_depth",
            "peak memory",
            "max |Δgrad|",
            "refused / failed",
        ],
        rows,
        [False, False, True, True, True, True, True, True, False],
    )
    legend = (
        f"seconds: median walk time over up to {sizes.repeat} runs (fewer for walks over 0.2 s, "
        "one for walks over 1 s, one for the long chains; the strategies' runs interleaved); "
        "peak memory: what one backward allocated, traced in a separate run; max |Δgrad|: the "
        "largest difference from `topological`'s leaf gradients. Dense and residual nets are "
        f"`width{TIMES}depth` (`minigrad.graphs`)."
    )
    return {
        "tradeoffs.md": f"{split_by_first_column(table)}\n\n{legend}",
        "tradeoffs_summary.md": "\n".join(summary),
    }


# -- sweeps over depth: figures and the blow-up table ----------------------------------------------


@dataclass
class SweepPoint:
    width: int
    depth: int
    predicted: int
    linear_calls: int
    naive_calls: int | None
    seconds: dict[str, float | None]


def sweep(sizes: Sizes) -> list[SweepPoint]:
    points = []
    for width in sizes.sweep_widths:
        for depth in sizes.sweep_depths:
            log(f"sweep: dense {width}{TIMES}{depth}")
            output, leaves = graphs.dense_net(width, depth)
            predicted = naive_module.predict_calls(output)
            timed = width == sizes.figure_width
            runnable = predicted <= sizes.naive_run_cap
            if timed:
                chosen = [*(("naive",) if runnable else ()), *STRATEGIES[1:]]
                outcomes = measure_all(output, leaves, chosen, sizes.repeat, memory=False)
            else:
                outcomes = {"memoized": measure(output, leaves, "memoized", 1, memory=False)}
                if runnable:
                    outcomes["naive"] = measure(output, leaves, "naive", 1, memory=False)
            seconds: dict[str, float | None] = {s: o.seconds for s, o in outcomes.items()}
            linear_calls = outcomes["memoized"].vjp_calls or 0
            naive_calls = outcomes["naive"].vjp_calls if runnable else None
            points.append(SweepPoint(width, depth, predicted, linear_calls, naive_calls, seconds))
    return points


def blowup_table(points: list[SweepPoint], sizes: Sizes) -> str:
    rows = [
        [
            str(p.width),
            str(p.depth),
            fmt_int(p.predicted),
            fmt_int(p.naive_calls) if p.naive_calls is not None else "not run",
            fmt_int(p.linear_calls),
            f"{p.predicted / p.linear_calls:,.1f}{TIMES}",
            "-" if p.naive_calls is None else "yes" if p.naive_calls == p.predicted else "**no**",
        ]
        for p in points
    ]
    table = md_table(
        [
            "width",
            "depth",
            "predicted paths",
            "naive vjp_calls",
            "linear vjp_calls",
            "naive / linear",
            "prediction exact",
        ],
        rows,
        [True, True, True, True, True, True, False],
    )
    return (
        f"{table}\n\nDense scalar tanh nets (`minigrad.graphs.dense_net`). `naive` is run while "
        f"its prediction is at most {sizes.naive_run_cap:,} calls; the prediction is "
        "`minigrad.backward.naive.predict_calls`, the path count naive computes before walking. "
        "The linear strategies (`memoized`, `cycle_checked`, `topological`) make the same "
        'number of calls, one per op node. A `-` under "prediction exact": naive was not '
        "run, so there is no measurement to compare."
    )


def depth_table(points: list[SweepPoint], width: int) -> str:
    rows = []
    for p in points:
        if p.width != width:
            continue
        rows.append(
            [
                str(p.depth),
                fmt_int(p.predicted),
                fmt_int(p.linear_calls),
                *(fmt_seconds(p.seconds.get(s)) for s in STRATEGIES),
            ]
        )
    return md_table(
        ["depth", "naive calls (predicted)", "linear calls", *(f"`{s}` s" for s in STRATEGIES)],
        rows,
        [True] * 7,
    )


def figures(points: list[SweepPoint], sizes: Sizes, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {
        "naive": ("tab:red", "o", "-"),
        "memoized": ("tab:blue", "s", "-"),
        "cycle_checked": ("tab:green", "^", "--"),
        "topological": ("tab:purple", "D", ":"),
        "tape": ("tab:orange", "v", "-."),
    }
    width = sizes.figure_width
    mine = [p for p in points if p.width == width]
    depths = [p.depth for p in mine]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for strategy in STRATEGIES:
        colour, marker, line = styles[strategy]
        timed = [(p.depth, p.seconds.get(strategy)) for p in mine]
        xs = [d for d, t in timed if t is not None]
        ys = [t for _, t in timed if t is not None]
        ax.plot(xs, ys, color=colour, marker=marker, linestyle=line, label=strategy)
    ax.set_yscale("log")
    ax.set_xlabel(f"depth (layers of {width} tanh units, scalar mode)")
    ax.set_ylabel("backward walk time (s, median)")
    ax.set_title(f"Backward time on dense scalar nets of width {width}")
    ax.set_xticks(depths)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    save_figure(fig, folder / "tradeoffs_time.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(
        depths,
        [p.predicted for p in mine],
        color="tab:red",
        linestyle="--",
        label="naive: predicted (path count)",
    )
    measured = [(p.depth, p.naive_calls) for p in mine if p.naive_calls is not None]
    ax.plot(
        [d for d, _ in measured],
        [n for _, n in measured],
        color="tab:red",
        marker="o",
        linestyle="none",
        label="naive: measured",
    )
    ax.plot(
        depths,
        [p.linear_calls for p in mine],
        color="tab:blue",
        marker="s",
        label="memoized = cycle_checked = topological = tape",
    )
    ax.set_yscale("log")
    ax.set_xlabel(f"depth (layers of {width} tanh units, scalar mode)")
    ax.set_ylabel("backward-rule calls (vjp_calls)")
    ax.set_title(f"Rule calls on dense scalar nets of width {width}")
    ax.set_xticks(depths)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    save_figure(fig, folder / "tradeoffs_calls.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 5))
    colours = ["tab:orange", "tab:red", "tab:brown", "tab:pink"]
    for colour, w in zip(colours, sizes.sweep_widths, strict=False):
        row = [p for p in points if p.width == w]
        ax.plot(
            [p.depth for p in row],
            [p.predicted for p in row],
            color=colour,
            linestyle="-",
            label=f"width {w}: predicted paths",
        )
        run = [(p.depth, p.naive_calls) for p in row if p.naive_calls is not None]
        ax.plot(
            [d for d, _ in run],
            [n for _, n in run],
            color=colour,
            marker="x",
            markersize=9,
            linestyle="none",
            label=f"width {w}: naive measured",
        )
        ax.plot(
            [p.depth for p in row],
            [p.linear_calls for p in row],
            color=colour,
            linestyle=":",
            marker=".",
            label=f"width {w}: linear strategies",
        )
    ax.set_yscale("log")
    ax.set_xlabel("depth (layers, dense scalar tanh net)")
    ax.set_ylabel("backward-rule calls (vjp_calls)")
    ax.set_title("naive's calls: measured vs the exact path-count prediction")
    ax.set_xticks(list(sizes.sweep_depths))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(
        fontsize="small",
        ncol=len(sizes.sweep_widths),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
    )
    save_figure(fig, folder / "blowup.png")
    plt.close(fig)


def save_figure(fig: Any, path: Path) -> None:
    with atomic_path(path) as temporary:
        fig.tight_layout()
        fig.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    log(f"wrote {shown(path)}")


# -- is the iterative walk faster, and what does the ordering cost? -------------------------------


def toposort_question(sizes: Sizes) -> dict[str, str]:
    rows = []
    ratios: list[float] = []
    shares: list[float] = []
    repeat = max(sizes.repeat, 7) if sizes is FULL else sizes.repeat
    for kind, width, depth, mode in sizes.toposort_graphs:
        name = graph_name(kind, width, depth, mode)
        log(f"ordering cost: {name}")
        output, leaves = graphs.build(kind, width, depth, mode)
        both = measure_all(
            output, leaves, ("memoized", "topological"), repeat, memory=False, fixed_runs=repeat
        )
        memo, topo = both["memoized"], both["topological"]
        order_seconds = median_of(functools.partial(topological_order, output), repeat)
        assert memo.seconds is not None and topo.seconds is not None
        ratios.append(memo.seconds / topo.seconds)
        shares.append(order_seconds / topo.seconds)
        rows.append(
            [
                name,
                fmt_int(topo.nodes),
                fmt_seconds(memo.seconds),
                fmt_seconds(topo.seconds),
                f"{memo.seconds / topo.seconds:.2f}{TIMES}",
                fmt_seconds(order_seconds),
                f"{100 * order_seconds / topo.seconds:.0f}%",
            ]
        )
        del output, leaves
    table = md_table(
        [
            "graph",
            "nodes",
            "`memoized`",
            "`topological`",
            "memoized / topological",
            "`topological_order` alone",
            "order / topological backward",
        ],
        rows,
        [False, True, True, True, True, True, True],
    )
    faster = sum(r > 1.0 for r in ratios)
    reached = sum(r >= 2.0 for r in ratios)
    answer = (
        f"On these {len(ratios)} graphs `memoized` took between {min(ratios):.2f}{TIMES} and "
        f"{max(ratios):.2f}{TIMES} the time of `topological` (the iterative walk was faster on "
        f"{faster} of {len(ratios)}; {reached or 'none'} reached 2{TIMES}). "
        f"Computing the order alone took between {100 * min(shares):.0f}% and "
        f"{100 * max(shares):.0f}% of a whole `topological` backward."
    )
    notes = (
        f"Medians of {repeat} runs each (the two walks' runs interleaved), garbage collector on "
        "(Python's default) and emptied before each run. `topological_order` is the first half "
        "of the `topological` walk; the rest of the walk is the reverse sweep that runs the rules."
    )
    return {"toposort.md": f"{table}\n\n{notes}", "toposort_answer.md": answer}


# -- the call stack as cache: callstack vs cachelist vs graph --------------------------------------


def readme_model(sizes: tuple[int, ...]) -> MLP:
    """The data README's set-up: weights N(0, 0.01²) from default_rng(42), zero biases."""
    return MLP(sizes, init=0.01, rng=np.random.default_rng(42))


def parameters_of(model: MLP) -> list[Any]:
    return [np.array(p.data, copy=True) for p in model.parameters()]


def max_difference(a: list[Any], b: list[Any]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


def callstack(sizes: Sizes) -> dict[str, str]:
    try:
        X_all, y_all = load_banknote()
        source = (
            "the real banknote authentication data (UCI Machine Learning Repository, CC BY 4.0; "
            "`minigrad.data.load_banknote`, which reads the copy shipped with the package)"
        )
    except FileNotFoundError:
        X_all, y_all = make_banknote_like()
        source = (
            "`minigrad.data.make_banknote_like()`: GENERATED banknote-like data (the real CSV "
            "was not found)"
        )
    X, y, X_val, y_val = banknote_split(X_all, y_all)
    lr, epochs, shape = 0.0075, sizes.epochs, (4, 4, 1)
    runs: list[tuple[str, dict[str, Any]]] = [
        ("callstack, update after", {"engine": "callstack", "update": "after"}),
        ("callstack, update inline", {"engine": "callstack", "update": "inline"}),
        ("cachelist", {"engine": "cachelist"}),
        *((f"graph, `{s}`", {"engine": "graph", "strategy": s}) for s in STRATEGIES),
    ]
    results: dict[str, tuple[float, int, float, list[Any], float]] = {}
    for label, kwargs in runs:
        log(f"callstack vs cachelist: {label}, {epochs:,} epochs")
        model = readme_model(shape)
        gc.collect()
        started = time.perf_counter()
        costs = layerwise.train(model, X, y, steps=epochs, lr=lr, **kwargs)
        seconds = time.perf_counter() - started
        probe = readme_model(shape)
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            layerwise.train(probe, X, y, steps=1, lr=lr, **kwargs)
            peak = max(0, tracemalloc.get_traced_memory()[1] - base)
        finally:
            tracemalloc.stop()
        logits = X_val
        for layer in layerwise.dense_layers(model):
            logits = layer.forward(logits)[1]
        accuracy = float(np.mean((logits[:, 0] > 0) == y_val))
        results[label] = (seconds, peak, costs[-1], parameters_of(model), accuracy)
    reference = results["cachelist"][3]
    rows = [
        [
            label.replace("callstack", "`callstack`").replace("cachelist", "`cachelist`"),
            fmt_seconds(seconds),
            fmt_seconds(seconds / epochs),
            fmt_bytes(peak),
            f"{cost:.7f}",
            f"{accuracy:.4f}",
            fmt_float(max_difference(params, reference), 2),
        ]
        for label, (seconds, peak, cost, params, accuracy) in results.items()
    ]
    table = md_table(
        [
            "engine",
            f"{epochs:,} epochs",
            "per epoch",
            "peak memory (one step)",
            "final training cost",
            "validation accuracy",
            f"max |parameter {MINUS} cachelist's|",
        ],
        rows,
        [False, True, True, True, True, True, True],
    )

    log("inline_pitfall: 1 step and all epochs")
    pitfall_rows = []
    for steps in (1, epochs):
        true_gd, pitfall = readme_model(shape), readme_model(shape)
        true_costs = layerwise.train(true_gd, X, y, engine="callstack", update="after", steps=steps)
        pit_costs = layerwise.train(
            pitfall, X, y, engine="callstack", update="inline_pitfall", steps=steps
        )
        pitfall_rows.append(
            [
                f"{steps:,}",
                fmt_float(max_difference(parameters_of(true_gd), parameters_of(pitfall))),
                f"{true_costs[-1]:.7f}",
                f"{pit_costs[-1]:.7f}",
            ]
        )
    pitfall_table = md_table(
        [
            "epochs",
            "max |parameter difference|",
            "final cost, gradient descent",
            "final cost, inline_pitfall",
        ],
        pitfall_rows,
        [True, True, True, True],
    )
    setup = (
        f"Data: {source}; the fixed split of `minigrad.data.banknote_split` "
        f"({len(X):,} training rows of {len(X_all):,}, {len(X_val):,} for validation), features "
        f"not normalised. Net {'-'.join(map(str, shape))} (ReLU hidden, sigmoid output with "
        f"binary cross-entropy), weights N(0, 0.01²) from `numpy.random.default_rng(42)` drawn "
        f"layer by layer as (n_out, n_in), zero biases, full-batch gradient descent with learning "
        f"rate {lr}, {epochs:,} epochs. Each engine's time is one run; its peak memory is "
        f"traced in a separate one-step run."
    )
    return {
        "callstack.md": section("engines", f"{setup}\n\n{table}")
        + section("pitfall", pitfall_table)
    }


# -- benchmarks ----------------------------------------------------------------------------------


def remove_stale(folder: Path, pattern: str, wanted: set[str], source: str) -> None:
    """Delete generated files matching `pattern` that no `source` (script, example) makes now."""
    for stale in folder.glob(pattern):
        if stale.name not in wanted:
            stale.unlink()
            log(f"removed {shown(stale)} (its {source} is gone)")


RATIO_HEADER = re.compile(r"ratio|/|\bvs\b|\bx\b", re.I)


def _columns(rule: str) -> list[tuple[int, int]]:
    """The (start, end) of each column of a plain-text table, from its line of dashes."""
    return [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]


def _cut(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """A row's cells: each column's characters, the last one running to the end of the line."""
    cells = []
    for k, (start, end) in enumerate(spans):
        stop = spans[k + 1][0] if k + 1 < len(spans) else len(line)
        begin = spans[k - 1][1] if k else 0
        cells.append(line[begin:stop].strip() if k else line[:stop].strip())
        del start, end
    return cells


def _numeric(cell: str) -> bool:
    return bool(re.match(r"^[-+]?[\d.,]+(e[-+]?\d+)?\s*(%|x|\u00d7|\w?s|KiB|MiB|B)?$", cell))


def text_to_markdown(text: str) -> str:
    """A benchmark script's plain-text output as Markdown: each table a rendered table, with its
    ratio columns moved right after the columns that name the row; the header (machine and
    settings) folded into a details block; the other lines as paragraphs."""
    lines = text.rstrip("\n").splitlines()
    out: list[str] = []
    header: list[str] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        if k == 0 and line.startswith("== "):
            out.append(f"**{line.strip('= ').strip()}**")
            k += 1
            while k < len(lines) and re.match(r"^\w[\w ]*:\s", lines[k]):
                header.append(lines[k])
                k += 1
            body = "\n".join(header)
            out.append(f"<details><summary>machine and settings</summary>\n\n```text\n{body}\n"
                       "```\n\n</details>")  # fmt: skip
            continue
        if k + 1 < len(lines) and re.fullmatch(r"-+( +-+)*", lines[k + 1].strip() or "x"):
            spans = _columns(lines[k + 1])
            heads = _cut(line, spans)
            rows = []
            k += 2
            while k < len(lines) and lines[k].strip():
                rows.append(_cut(lines[k], spans))
                k += 1
            # the ratios go first, after the columns that name the row (a header used twice,
            # like the size sweep's two "ratio" columns, keeps its place beside what it divides)
            ratios = [
                i for i, h in enumerate(heads) if RATIO_HEADER.search(h) and heads.count(h) == 1
            ]
            texts = [i for i in range(len(heads)) if not all(_numeric(r[i]) for r in rows if r[i])]
            named = 1 + max((i for i in texts if ratios and i < ratios[0]), default=-1)
            ratios = [i for i in ratios if i >= named]
            order = [
                *range(named),
                *ratios,
                *(i for i in range(named, len(heads)) if i not in ratios),
            ]
            right = [bool(rows) and all(_numeric(r[i]) or not r[i] for r in rows) for i in order]
            out.append(
                md_table([heads[i] for i in order], [[r[i] for i in order] for r in rows], right)
            )
            continue
        if line.strip():
            paragraph = [line.strip()]
            k += 1
            while (
                k < len(lines)
                and lines[k].strip()
                and not (
                    k + 1 < len(lines) and re.fullmatch(r"-+( +-+)*", lines[k + 1].strip() or "x")
                )
            ):
                item = lines[k].startswith("  ")  # a verdict under its heading line: a list
                paragraph.append(("- " if item else "") + lines[k].strip())
                k += 1
            if len(paragraph) > 1 and paragraph[1].startswith("- "):
                paragraph[0] += "\n"
            out.append("\n".join(paragraph))
            continue
        k += 1
    return "\n\n".join(out)


def benchmark_pages(folder: Path, figure_folder: Path) -> None:
    """docs/generated/bench_<name>.md from each bench_<name>.txt (what the benchmarks page shows),
    and the figure of time per node against graph size from bench_strategies.txt."""
    texts = sorted(folder.glob("bench_*.txt"))
    remove_stale(folder, "bench_*.md", {f"{t.stem}.md" for t in texts}, "benchmark output")
    for text in texts:
        write_text(folder / f"{text.stem}.md", text_to_markdown(text.read_text(encoding="utf-8")))
    strategies = folder / "bench_strategies.txt"
    if strategies.is_file():
        time_per_node_figure(strategies.read_text(encoding="utf-8"), figure_folder)


UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def time_per_node_figure(text: str, folder: Path) -> None:
    """bench_time_per_node.png: bench_strategies.py's first table, as seconds of backward per
    graph node against the number of nodes, log-log, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("width "))
    spans = _columns(lines[start + 1])
    heads = _cut(lines[start], spans)
    points: dict[str, list[tuple[int, float]]] = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        row = dict(zip(heads, _cut(line, spans), strict=True))
        match = re.fullmatch(r"([\d.]+) (\w+)", row["seconds"])
        if match is None:  # naive refused: no time
            continue
        nodes = int(row["graph nodes"].replace(",", ""))
        seconds = float(match.group(1)) * UNITS[match.group(2)]
        points.setdefault(row["strategy"], []).append((nodes, seconds / nodes))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for strategy, xy in points.items():
        xy.sort()
        ax.loglog([x for x, _ in xy], [y * 1e6 for _, y in xy], marker="o", label=strategy)
    ax.set_xlabel("graph nodes (dense scalar nets of several widths and depths)")
    ax.set_ylabel("backward time per node (µs, median)")
    ax.set_title("Time per node against graph size (bench_strategies.py)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    save_figure(fig, folder / "bench_time_per_node.png")
    plt.close(fig)


def benchmarks(quick: bool, folder: Path) -> bool:
    """Run each benchmarks/bench_*.py; write its stdout to bench_<name>.txt. True if all passed."""
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    remove_stale(folder, "bench_*.txt", {f"{script.stem}.txt" for script in scripts}, "script")
    ok = True
    for script in scripts:
        log(f"benchmark {script.name}{' --quick' if quick else ''}")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), *(["--quick"] if quick else [])],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            check=False,
        )
        text = done.stdout
        if done.returncode != 0:
            ok = False
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            text += f"\n[{script.name} exited with status {done.returncode}]\n{tail}\n"
            log(f"WARNING: {script.name} exited with status {done.returncode}")
        write_text(folder / f"{script.stem}.txt", text)
        log(f"  ({time.perf_counter() - started:.0f} s)")
    return ok


# -- pictures of the walks -------------------------------------------------------------------------

WALK_EXAMPLES: dict[str, tuple[str, Callable[[], tuple[Value, list[Value]]]]] = {
    "reuse": ("b = a + a; c = b + b", graphs.reuse_demo),
    "dense": ("a dense net, 2 tanh units by 2 layers", lambda: graphs.dense_net(2, 2)),
}
"""The graphs every strategy page draws: micrograd issue 21's reuse example and a dense net."""


def walk_figures(folder: Path) -> None:
    """docs/figures/walk_<strategy>_<example>.svg: each graph after one backward pass, every
    node labelled with its data, its gradient and the positions at which the walk visited it
    (`backward(trace=True)`'s `stats.visits`). Drawn by `minigrad.svg`: no Graphviz needed."""
    from minigrad.report import plural
    from minigrad.svg import walk_figure

    wanted = {f"walk_{s}_{e}.svg" for s in mg.available_strategies() for e in WALK_EXAMPLES}
    remove_stale(folder, "walk_*.svg", wanted, "strategy or example")
    for strategy in mg.available_strategies():
        for example, (caption, build) in WALK_EXAMPLES.items():
            with mg.use_strategy(strategy):  # built as a user of this strategy would build it
                output, _ = build()  # (`tape` needs the forward's record)
                stats = output.backward(trace=True)
            calls = plural(stats.vjp_calls, "vjp call")
            title = f"{strategy} on {caption}: {calls}, {plural(len(stats.visits), 'visit')}"
            path = folder / f"walk_{strategy}_{example}.svg"
            with atomic_path(path) as temporary:
                temporary.write_text(walk_figure(output, stats.visits, title), encoding="utf-8")
            log(f"wrote {shown(path)}")


STEP_THROUGH_PAGES = {
    "reuse": ("b = a + a; c = b + b (micrograd issue 21)", graphs.reuse_demo, "naive"),
    "notebook": (
        "the notebook's 2-2-2-2-1 sigmoid net",
        lambda: (notebook_net()[0], []),
        "memoized",
    ),
}
"""docs/walks/<name>.html: the step-through pages the strategy overview links to."""


def step_through_pages(folder: Path) -> None:
    """Write each `STEP_THROUGH_PAGES` entry with `minigrad.html.step_through_page`."""
    from minigrad.html import step_through_page

    for name, (title, build, first) in STEP_THROUGH_PAGES.items():
        with mg.use_strategy("tape"):  # the forward records, so `tape` sweeps its own record
            output, _ = build()
        page = step_through_page(output, title, first, engine="minigrad")  # the same anywhere
        write_text(folder / f"{name}.html", page)


# -- the notebook ----------------------------------------------------------------------------------

NOTEBOOK = ROOT / "examples" / "notebooks" / "walks.ipynb"


def run_notebook(cells: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Execute the code cells in order in one namespace, as a kernel would; each code cell's
    outputs in the notebook format: what it printed, and its last expression's picture (SVG) or
    text. Raises what a cell raises."""
    import io

    namespace: dict[str, Any] = {"__name__": "__main__"}
    outputs: list[list[dict[str, Any]]] = []
    for cell in cells:
        if cell["cell_type"] != "code":
            outputs.append([])
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, "<cell>", "exec"), namespace)
            value = (
                eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
                if last
                else None
            )
        cell_outputs: list[dict[str, Any]] = []
        if printed.getvalue():
            text = printed.getvalue().splitlines(keepends=True)
            cell_outputs.append({"name": "stdout", "output_type": "stream", "text": text})
        if value is not None:
            data: dict[str, Any] = {"text/plain": [repr(value)[:80]]}
            if hasattr(value, "_repr_svg_"):
                data["image/svg+xml"] = value._repr_svg_().splitlines(keepends=True)
            cell_outputs.append({"data": data, "metadata": {}, "output_type": "display_data"})
        outputs.append(cell_outputs)
    return outputs


def notebook() -> None:
    """Execute examples/notebooks/walks.ipynb and store its outputs in it (so a reader sees them
    without running it); tests/test_docs_notebook.py executes it again and compares."""
    import json

    log(f"notebook: {shown(NOTEBOOK)}")
    book = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    number = 0
    for cell, outputs in zip(book["cells"], run_notebook(book["cells"]), strict=True):
        if cell["cell_type"] == "code":
            number += 1
            cell["outputs"], cell["execution_count"] = outputs, number
    write_text(NOTEBOOK, json.dumps(book, indent=1, ensure_ascii=False))


# -- the command line's examples -------------------------------------------------------------------


@dataclass(frozen=True)
class CliExample:
    """A `minigrad ...` command shown in docs/guide/cli.md; its block goes to `cli_<name>.md`."""

    name: str
    command: str  # what follows `minigrad`, exactly as the page shows it (shell-quoted)
    status: int = 0  # the exit status it should end with
    writes_files: bool = False  # run in a temporary folder, so nothing is left in the repository
    shows_errors: bool = False  # stderr among stdout, then `echo $?`, as a terminal shows them


CLI_EXAMPLES = (
    CliExample("bad_argument", "compare --depth 0", status=2, shows_errors=True),
    CliExample("help", "compare --help"),
    CliExample("compare", "compare"),
    CliExample("compare_subset", "compare --strategies naive,memoized --width 4 --depth 6"),
    CliExample("compare_refused", "compare --width 6 --depth 12"),
    CliExample("compare_chain", "compare --graph chain --depth 20000"),
    CliExample("compare_tensor", "compare --graph residual --mode tensor --width 32 --depth 8"),
    CliExample("blowup", "blowup --max-depth 8 --width 3 --run-limit 20000"),
    CliExample("blowup_widths", "blowup --max-depth 5 --width 1,2,4"),
    CliExample("train", "train --epochs 20"),
    CliExample("train_callstack", "train --engine callstack --epochs 300 --sizes 2,16,2"),
    CliExample(
        "train_banknote", "train --dataset banknote --sizes 4,8,2 --strategy memoized --epochs 5"
    ),
    CliExample("train_plot", "train --epochs 20 --plot moons-plots", writes_files=True),
    CliExample("graph_reuse", "graph reuse --strategy naive"),
    CliExample("graph_expression", "graph 'tanh(a*b + a)' --values a=2,b=-3"),
    CliExample("graph_out", "graph reuse --out reuse.dot", writes_files=True),
    CliExample("graph_bad", "graph 'a/(b-2)'", status=2, shows_errors=True),
    CliExample("bench", "bench --quick --only chain"),
)


def cli_environment() -> dict[str, str]:
    """This checkout on the path, the built-in default strategy, and an 80-column terminal."""
    environment = {k: v for k, v in os.environ.items() if k != "MINIGRAD_STRATEGY"}
    environment.update(PYTHONPATH=str(ROOT), COLUMNS="80")  # argparse wraps usage to COLUMNS
    return environment


def run_cli(example: CliExample, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m minigrad ...` in `cwd`. Its output is a pipe, not a terminal: no progress
    bars. With `shows_errors`, stderr is merged into stdout in the order they were printed."""
    return subprocess.run(
        [sys.executable, "-m", "minigrad", *shlex.split(example.command)],
        cwd=cwd,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if example.shows_errors else subprocess.PIPE,
        text=True,
        check=False,
        timeout=600,
    )


def console_block(example: CliExample, output: str, status: int) -> str:
    """A ```console block: the command at a prompt, what it printed, and `echo $?` if wanted."""
    lines = [f"$ minigrad {example.command}"]
    lines += [line.rstrip() for line in output.rstrip().splitlines()]
    if example.shows_errors:
        lines += ["$ echo $?", str(status)]
    return "```console\n" + "\n".join(lines) + "\n```"


def cli_examples(folder: Path) -> bool:
    """Run each `CLI_EXAMPLES` command; write its block to cli_<name>.md. True if all ended with
    the status they should; one that did not keeps its previous file."""
    remove_stale(folder, "cli_*.md", {f"cli_{e.name}.md" for e in CLI_EXAMPLES}, "example")
    ok = True
    for example in CLI_EXAMPLES:
        log(f"command line: minigrad {example.command}")
        started = time.perf_counter()
        scratch: contextlib.AbstractContextManager[str] = (
            tempfile.TemporaryDirectory(prefix="minigrad-cli-")
            if example.writes_files
            else contextlib.nullcontext(str(ROOT))
        )
        with scratch as cwd:
            done = run_cli(example, Path(cwd))
        if done.returncode != example.status:
            ok = False
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            log(f"WARNING: exited with status {done.returncode}, not {example.status}:\n{tail}")
            continue
        if done.stderr:
            log(f"  stderr, left off the page: {done.stderr.strip()}")
        block = console_block(example, done.stdout, done.returncode)
        write_text(folder / f"cli_{example.name}.md", block)
        log(f"  ({time.perf_counter() - started:.1f} s)")
    return ok


# -- keeping the docs' code excerpts aligned with the code ---------------------------------------

EXCERPT = re.compile(
    r"<!-- excerpt: (?P<path>\S+) (?P<first>\w+)(?: (?P<last>\w+))? -->\n"
    r"```\{\.python\}\n--8<-- \"(?P<snippet>[^\"]+)\"\n```"
)


def definition_spans(path: Path) -> dict[str, tuple[int, int]]:
    """Top-level function and class names -> (first line incl. decorators, last line)."""
    spans = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans[node.name] = (first, node.end_lineno or node.lineno)
    return spans


def sync_excerpts(docs: Path) -> list[str]:
    """Point every marked `--8<--` excerpt at the current lines of the definitions it names.

    A page marks an excerpt with `<!-- excerpt: minigrad/x.py first_def [last_def] -->` right
    before a fenced block (language `{.python}`, which the formatter leaves alone) holding one
    `--8<-- "minigrad/x.py:a:b"` line; this rewrites a:b to span
    the named top-level definitions as the code stands now. Returns what it changed or could not
    find; a missing definition is left alone (and reported), so the build shows the old lines.
    """
    notes = []
    for page in sorted(docs.rglob("*.md")):
        if "generated" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")

        def fix(match: re.Match[str], page: Path = page) -> str:
            path, first, last = match["path"], match["first"], match["last"] or match["first"]
            spans = definition_spans(ROOT / path)
            if first not in spans or last not in spans:
                notes.append(f"{shown(page)}: {path} has no {first!r} or {last!r}")
                return match.group(0)
            snippet = f"{path}:{spans[first][0]}:{spans[last][1]}"
            if snippet != match["snippet"]:
                notes.append(f"{shown(page)}: {match['snippet']} -> {snippet}")
            return match.group(0).replace(f'"{match["snippet"]}"', f'"{snippet}"')

        updated = EXCERPT.sub(fix, text)
        if updated != text:
            with atomic_path(page) as temporary:
                temporary.write_text(updated, encoding="utf-8")
    return notes


# -- main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shrunk sizes: a smoke run")
    parser.add_argument(
        "--skip-benchmarks", action="store_true", help="keep the existing bench_*.txt files"
    )
    alone = parser.add_mutually_exclusive_group()
    alone.add_argument(
        "--excerpts-only",
        action="store_true",
        help="only re-point the pages' code excerpts at the current code (a second)",
    )
    alone.add_argument(
        "--only",
        choices=["cli", "custom_strategy", "walks", "bench_pages", "notebook"],
        help=(
            "run one step alone: cli = the `minigrad ...` examples of the command-line guide; "
            "custom_strategy = the output of examples/custom_strategy.py (contributing guide); "
            "walks = the strategy pages' pictures and step-through pages (a few seconds); "
            "bench_pages = the benchmarks page's tables and figure from the bench_*.txt files "
            "(no benchmark is run); notebook = run examples/notebooks/walks.ipynb and store "
            "its outputs"
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="the docs folder to write into"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    docs: Path = args.out.resolve()
    generated, figure_folder = docs / "generated", docs / "figures"
    load_at_start = load_average()
    if args.only == "cli":
        log(f"running the command-line examples into {generated}")
        ok = cli_examples(generated)
        log(f"done in {time.perf_counter() - START:.0f} s" + ("" if ok else " (see above)"))
        return 0 if ok else 1
    if args.only == "notebook":
        notebook()
        return 0
    if args.only == "bench_pages":
        benchmark_pages(generated, figure_folder)
        log(f"done in {time.perf_counter() - START:.0f} s")
        return 0
    if args.only == "walks":
        walk_figures(figure_folder)
        step_through_pages(docs / "walks")
        log(f"done in {time.perf_counter() - START:.0f} s")
        return 0
    if args.only == "custom_strategy":
        for name, text in custom_strategy_example().items():
            write_text(generated / name, text)
        log(f"done in {time.perf_counter() - START:.0f} s")
        return 0
    log(f"generating the docs' numbers ({'quick' if args.quick else 'full'} sizes) into {docs}")

    for note in sync_excerpts(ROOT / "docs"):
        log(f"code excerpt: {note}")
    if args.excerpts_only:
        return 0

    outputs: dict[str, str] = {}
    outputs |= switch_example()
    outputs |= reuse_examples(sizes)
    outputs |= cycle_example()
    outputs |= custom_strategy_example()
    outputs |= notebook_table(sizes)
    for name, text in outputs.items():  # write as we go: a late failure keeps these
        write_text(generated / name, text)
    outputs.clear()

    limits, chains = recursion_limits(sizes)
    outputs |= limits
    outputs |= tradeoffs(sizes, chains)
    outputs |= toposort_question(sizes)
    points = sweep(sizes)
    outputs["blowup.md"] = blowup_table(points, sizes)
    outputs["tradeoffs_depth.md"] = depth_table(points, sizes.figure_width)
    for name, text in outputs.items():
        write_text(generated / name, text)
    outputs.clear()
    figures(points, sizes, figure_folder)
    walk_figures(figure_folder)
    step_through_pages(docs / "walks")
    notebook()

    for name, text in callstack(sizes).items():
        write_text(generated / name, text)

    measured = time.perf_counter() - START
    timings = {"its own measurements": measured}
    benchmarks_ok = True
    if not args.skip_benchmarks:
        benchmarks_ok = benchmarks(args.quick, generated)
        timings["the benchmark scripts"] = time.perf_counter() - START - measured
    benchmark_pages(generated, figure_folder)

    started = time.perf_counter()
    cli_ok = cli_examples(generated)
    timings["the command-line examples"] = time.perf_counter() - started

    seconds = time.perf_counter() - START
    timings["in all"] = seconds
    write_text(generated / "machine.md", machine(sizes, args.quick, load_at_start, timings))
    failed = [
        *([] if benchmarks_ok else ["a benchmark"]),
        *([] if cli_ok else ["a command-line example"]),
    ]
    note = f" ({' and '.join(failed)} failed: see above)" if failed else ""
    log(f"done in {seconds:.0f} s{note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
