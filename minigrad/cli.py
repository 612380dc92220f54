"""The `minigrad` command line: compare, blowup, train, graph and bench.

Every command prints plain text that pipes cleanly; progress bars go to stderr and only appear
on a terminal. A bad argument prints a message and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from minigrad import __version__, graphs, layerwise
from minigrad.backward import (
    available_strategies,
    get_default_strategy,
    get_strategy,
    naive_max_calls,
    predict_naive_calls,
)
from minigrad.data.presets import DATASETS, load_preset
from minigrad.draw import (
    GraphvizNotFoundError,
    check_output_path,
    render,
    to_dot,
    write_text_atomic,
)
from minigrad.errors import (
    MinigradError,
    SettingError,
    UnknownStrategyError,
)
from minigrad.expressions import parse_expression
from minigrad.nn import MLP
from minigrad.optim import Adam
from minigrad.plotting import have_matplotlib, plot_blowup, plot_training
from minigrad.progress import progress
from minigrad.report import summarize_error, table
from minigrad.train import accuracy, fit
from minigrad.value import Value

# -- helpers ----------------------------------------------------------------------------------


N = TypeVar("N", int, float)


def _at_least(convert: Callable[[str], N], lowest: N, what: str) -> Callable[[str], N]:
    """An argparse type: `convert(text)`, finite and >= `lowest` (> 0 for floats)."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        too_small = value <= lowest if isinstance(value, float) else value < lowest
        if too_small or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value

    return parse


_positive = _at_least(int, 1, "a positive integer")
_seed = _at_least(int, 0, "a non-negative integer")
_positive_float = _at_least(float, 0.0, "a positive finite number")


def _strategy(text: str) -> str:
    try:
        get_strategy(text)
    except UnknownStrategyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace("-", ",").split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must look like 2,16,16,2; got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"need at least two positive sizes, got {text!r}")
    return sizes


def _widths(text: str) -> list[int]:
    """One width or a comma list of them, e.g. 3 or 2,3,4 (repeats dropped, order kept)."""
    try:
        widths = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"widths must look like 3 or 2,3,4; got {text!r}"
        ) from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected positive widths like 3 or 2,3,4, got {text!r}")
    return list(dict.fromkeys(widths))


def _flat_grads(leaves: Sequence[Value]) -> np.ndarray[Any, Any]:
    return np.concatenate([np.ravel(np.asarray(v.grad, dtype=np.float64)) for v in leaves])


# -- compare ----------------------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    kind, width, depth, mode = args.graph, args.width, args.depth, args.mode
    if kind == "chain":
        print(f"graph: chain of {depth} steps ({2 * depth} op nodes), {mode} mode")
    else:
        print(f"graph: {kind}, width {width}, depth {depth}, {mode} mode")
    reference: np.ndarray[Any, Any] | None = None
    try:
        out, leaves = graphs.build(kind, width, depth, mode)
        out.backward(strategy="topological")
        reference = _flat_grads(leaves)
    except MinigradError as error:
        print(f"topological failed, no reference gradients: {summarize_error(error, limit=60)}")
    rows: list[list[Any]] = []
    for name in progress(available_strategies(), "strategies"):
        out, leaves = graphs.build(kind, width, depth, mode)
        try:
            stats = out.backward(strategy=name)
            diff: Any = "-"
            if reference is not None:
                diff = float(np.max(np.abs(_flat_grads(leaves) - reference)))
            for v in leaves:
                v.zero_grad()
            tracemalloc.start()
            out.backward(strategy=name)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append(
                [name, stats.seconds, stats.vjp_calls, stats.nodes, stats.max_depth,
                 f"{peak / 1024:.0f} KiB", diff]
            )  # fmt: skip
        except SettingError:  # the environment, not this strategy: reported by main()
            raise
        except (MinigradError, RecursionError, MemoryError) as error:
            if tracemalloc.is_tracing():
                tracemalloc.stop()
            rows.append([name, "-", "-", "-", "-", "-", "-", summarize_error(error, limit=60)])
    headers = ["strategy", "seconds", "vjp_calls", "nodes", "max_depth", "peak mem", "max|dg|"]
    if any(len(row) > len(headers) for row in rows):
        headers.append("error")
    print(table(headers, rows))
    return 0


# -- blowup -----------------------------------------------------------------------------------


_BLOWUP_HEADERS = ["depth", "predicted paths", "naive vjp_calls", "linear vjp_calls", "ratio"]


def cmd_blowup(args: argparse.Namespace) -> int:
    if args.plot and not have_matplotlib("blowup"):
        return 1
    depths = list(range(1, args.max_depth + 1))
    limit = min(naive_max_calls(), args.run_limit)
    curves: dict[int, dict[str, list[float]]] = {}
    for number, width in enumerate(args.width):
        rows: list[list[Any]] = []
        series: dict[str, list[float]] = {"predicted": [], "naive": [], "linear": []}
        for depth in progress(depths, f"width {width}"):
            out, _ = graphs.dense_net(width, depth, "scalar")
            predicted = predict_naive_calls(out)
            linear = out.backward(strategy="memoized").vjp_calls
            measured = out.backward(strategy="naive").vjp_calls if predicted <= limit else "not run"
            rows.append([depth, predicted, measured, linear, round(predicted / linear, 1)])
            series["predicted"].append(predicted)
            series["naive"].append(measured if isinstance(measured, int) else float("nan"))
            series["linear"].append(linear)
        curves[width] = series
        if number:
            print()
        print(f"naive vs linear strategies on dense scalar tanh nets of width {width}")
        print(table(_BLOWUP_HEADERS, rows))
    print(f"(naive is run while the prediction is <= {limit:,})")
    if args.plot:
        return plot_blowup(args.plot, depths, curves)
    return 0


# -- train ------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    if args.strategy and args.engine != "graph":
        print(
            f"minigrad train: error: --strategy applies to --engine graph only, not {args.engine}",
            file=sys.stderr,
        )
        return 2
    if args.plot and not have_matplotlib("train"):
        return 1
    try:
        X, y = load_preset(args.dataset, args.seed)
    except ImportError as error:
        print(f"minigrad train: --dataset {args.dataset}: {error}", file=sys.stderr)
        return 1
    classes = int(y.max()) + 1
    sizes = args.sizes or [X.shape[1], 16, 16, classes]
    if sizes[0] != X.shape[1] or sizes[-1] != classes:
        print(
            f"minigrad train: --sizes must start with {X.shape[1]} inputs and end with {classes} "
            f"outputs for {args.dataset}",
            file=sys.stderr,
        )
        return 2
    model = MLP(sizes, activation=args.activation, seed=args.seed)
    print(
        f"{args.dataset}: {len(X)} samples, {classes} classes; MLP {sizes}; engine {args.engine}"
        + (
            f", strategy {args.strategy or get_default_strategy()}"
            if args.engine == "graph"
            else ""
        )
    )
    started = time.perf_counter()
    if args.engine == "graph":
        history = fit(
            model, X, y, loss="cross_entropy", optimizer=Adam(model.parameters(), lr=args.lr),
            epochs=args.epochs, batch_size=args.batch_size, strategy=args.strategy, seed=args.seed,
        )  # fmt: skip
        losses = history.loss
    else:
        bar = progress(range(args.epochs), "epochs")
        losses = []
        for _ in bar:
            losses += layerwise.train(
                model, X, y, engine=args.engine, steps=1, lr=args.lr, loss="cross_entropy"
            )
    seconds = time.perf_counter() - started
    acc = accuracy(model, X, y)
    print(f"final loss {losses[-1]:.4f}, accuracy {acc:.3f}, {seconds:.2f} s")
    if args.plot:
        return plot_training(Path(args.plot), model, X, y, losses, args.dataset)
    return 0


# -- graph ------------------------------------------------------------------------------------


def _values(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, number = item.partition("=")
        try:
            if not sep:
                raise ValueError
            values[name.strip()] = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"values must look like a=2,b=-3; got {item!r}"
            ) from None
    return values


def cmd_graph(args: argparse.Namespace) -> int:
    if args.what in graphs.DEMOS:
        out, _ = graphs.DEMOS[args.what]()
    else:
        try:
            out = parse_expression(args.what, args.values)
        except ValueError as error:
            print(f"minigrad graph: {error}", file=sys.stderr)
            return 2
    strategy = args.strategy or get_default_strategy()
    stats = out.backward(strategy=strategy, trace=True)
    title = f"{args.what} — {strategy}: {stats.vjp_calls} vjp calls, {len(stats.visits)} visits"
    dot = to_dot(out, stats.visits, title=title)
    if args.out is None:
        sys.stdout.write(dot)
        return 0
    try:
        render(dot, args.out)
    except GraphvizNotFoundError:
        return _graph_without_graphviz(dot, args.out, title)
    except ValueError as error:
        print(f"minigrad graph: error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as error:
        print(f"minigrad graph: {args.out} not written: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({title})")
    return 0


def _graph_without_graphviz(dot: str, out: str, title: str) -> int:
    """No `dot` program: write the DOT text beside the requested image and say how to render it."""
    target = Path(out)
    text_file = str(target.with_suffix(".dot"))
    try:
        write_text_atomic(text_file, dot)
    except OSError as error:
        print(f"minigrad graph: {text_file} not written: {error}", file=sys.stderr)
        return 1
    fmt = target.suffix.lower()[1:]
    print(
        f"minigrad graph: Graphviz's `dot` program was not found, so {out} was not rendered; "
        f"wrote the DOT text to {text_file} instead (render it with "
        f"`dot -T{fmt} {shlex.quote(text_file)} -o {shlex.quote(out)}`)",
        file=sys.stderr,
    )
    print(f"wrote {text_file} ({title})")
    return 0


def _out_file(text: str) -> str:
    try:
        check_output_path(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


# -- bench ------------------------------------------------------------------------------------


def _benchmark_dir() -> Path | None:
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        folder = base / "benchmarks"
        if folder.is_dir() and any(folder.glob("bench_*.py")):
            return folder
    return None


def cmd_bench(args: argparse.Namespace) -> int:
    folder = _benchmark_dir()
    if folder is None:
        print(
            "minigrad bench: no benchmarks/ folder found; run it from a source checkout",
            file=sys.stderr,
        )
        return 1
    scripts = sorted(folder.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if args.only in s.stem]
        if not scripts:
            print(f"minigrad bench: no benchmark matches {args.only!r}", file=sys.stderr)
            return 2
    status = 0
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        env = dict(os.environ, PYTHONPATH=str(folder.parent))
        status |= subprocess.run(command, env=env, check=False).returncode
        print(flush=True)
    return 1 if status else 0


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="Four ways to walk a computation graph backward, side by side and measured.",
    )
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("compare", help="run every strategy on one graph and tabulate the costs")
    p.add_argument(
        "--width", type=_positive, default=3, help="units per layer (default 3; not for chain)"
    )
    p.add_argument("--depth", type=_positive, default=5, help="layers, or chain steps (default 5)")
    p.add_argument("--mode", choices=graphs.MODES, default="scalar", help="scalar or tensor nodes")
    p.add_argument("--graph", choices=graphs.GRAPH_KINDS, default="dense", help="graph shape")
    p.set_defaults(run=cmd_compare)

    p = sub.add_parser(
        "blowup",
        help="naive's calls against the path-count prediction as depth and width grow",
        description="For dense scalar tanh nets of depth 1 to --max-depth, at each width, print "
        "the rule calls naive is predicted to make (the exact number of output-to-node paths), "
        "the calls it made, and the calls the linear strategies make.",
    )  # fmt: skip
    p.add_argument("--max-depth", type=_positive, default=8, help="deepest net (default 8)")
    p.add_argument(
        "--width", type=_widths, default=[3], metavar="W[,W...]",
        help="units per layer, or a comma list such as 2,3,4 for one table (and one plot line) "
        "per width (default 3)",
    )  # fmt: skip
    p.add_argument(
        "--run-limit", type=_positive, default=200_000,
        help="run naive only while its predicted calls are at most this (default 200000)",
    )  # fmt: skip
    p.add_argument(
        "--plot", metavar="FILE.png",
        help="save a log-scale plot, one line per width (needs matplotlib)",
    )  # fmt: skip
    p.set_defaults(run=cmd_blowup)

    p = sub.add_parser("train", help="train an MLP with a chosen engine and strategy")
    p.add_argument("--dataset", choices=DATASETS, default="moons", help="default moons")
    p.add_argument("--sizes", type=_sizes, help="layer sizes, e.g. 2,16,16,2 (default fits data)")
    p.add_argument(
        "--activation", choices=("relu", "tanh", "sigmoid"), default="relu", help="default relu"
    )
    p.add_argument(
        "--strategy",
        type=_strategy,
        help="backward strategy (graph engine only; default: the default)",
    )
    p.add_argument(
        "--engine", choices=layerwise.ENGINES, default="graph",
        help="graph: Value graph + Adam minibatches; callstack/cachelist: graph-free full batch",
    )  # fmt: skip
    p.add_argument("--epochs", type=_positive, default=100, help="default 100")
    p.add_argument(
        "--lr", type=_positive_float, default=None,
        help="learning rate (default 0.02 with Adam for graph, 0.5 with plain steps otherwise)",
    )  # fmt: skip
    p.add_argument(
        "--batch-size", type=_positive, default=64, help="graph engine minibatch (default 64)"
    )
    p.add_argument("--seed", type=_seed, default=0, help="data and weight seed (default 0)")
    p.add_argument("--plot", metavar="DIR", help="save loss (and boundary) PNGs in DIR")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("graph", help="draw a small graph numbered in a strategy's visit order")
    p.add_argument(
        "what", metavar="EXPRESSION-OR-DEMO",
        help=f"an expression like 'tanh(a*b + a)' or a demo: {', '.join(graphs.DEMOS)}",
    )  # fmt: skip
    p.add_argument("--values", type=_values, default={}, help="leaf values, e.g. a=2,b=-3")
    p.add_argument("--strategy", type=_strategy, help="the walk to number the nodes by")
    p.add_argument(
        "--out", metavar="FILE", type=_out_file,
        help=".dot or .gv: DOT text; .svg, .png or .pdf: rendered by Graphviz's dot, or without "
        "it FILE's name with .dot, and a note on how to render it (default: DOT on stdout)",
    )  # fmt: skip
    p.set_defaults(run=cmd_graph)

    p = sub.add_parser("bench", help="run the benchmarks in benchmarks/ and print their tables")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run in seconds")
    p.add_argument("--only", metavar="NAME", help="run only benchmarks whose name contains NAME")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "lr", "absent") is None:
        args.lr = 0.02 if args.engine == "graph" else 0.5
    try:
        status: int = args.run(args)
    except (UnknownStrategyError, SettingError) as error:  # e.g. a misspelt MINIGRAD_STRATEGY
        print(f"minigrad {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `minigrad graph ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
