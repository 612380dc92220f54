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
import textwrap
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
    use_strategy,
)
from minigrad.data.presets import DATASETS, load_preset
from minigrad.draw import (
    IMAGE_SUFFIXES,
    TEXT_SUFFIXES,
    GraphvizNotFoundError,
    render,
    to_dot,
)
from minigrad.errors import (
    MinigradError,
    SettingError,
    UnknownStrategyError,
)
from minigrad.expressions import parse_expression
from minigrad.files import (
    check_output_file,
    check_output_folder,
    check_writable_file,
    write_text_atomic,
)
from minigrad.html import step_through_page
from minigrad.nn import MLP
from minigrad.optim import Adam
from minigrad.plotting import have_matplotlib, plot_blowup, plot_training
from minigrad.progress import progress
from minigrad.report import plural, summarize_error, table
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
    """Layer sizes as 2,16,16,2 (or 2-16-16-2); every size a positive integer."""
    parts = text.split(",") if "," in text else text.split("-")
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be positive integers like 2,16,16,2; got {text!r}"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"need at least two sizes, each a positive integer, like 2,16,16,2; got {text!r}"
        )
    return sizes


def _strategies(text: str) -> list[str]:
    """A comma list of registered strategy names, e.g. naive,memoized (repeats dropped)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected names like naive,memoized; got {text!r}")
    return list(dict.fromkeys(_strategy(name) for name in names))


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


def _cannot_write(command: str, path: str, check: Callable[[str], object]) -> int | None:
    """Run `check(path)` before the work starts: None if fine, else the exit status (said why)."""
    try:
        check(path)
    except ValueError as error:  # OutputPathError: a usage error
        print(f"minigrad {command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"minigrad {command}: {path} not written: {error}", file=sys.stderr)
        return 1
    return None


def _plot_unready(command: str, path: str | None, check: Callable[[str], object]) -> int | None:
    """For `--plot PATH`: None if there is no plot, or matplotlib and PATH are ready; else the
    exit status, said why on stderr (before the command has done any work)."""
    if path is None:
        return None
    if not have_matplotlib(command):
        return 1
    return _cannot_write(command, path, check)


def _output_file(*suffixes: str) -> Callable[[str], str]:
    """An argparse type: a file name ending in one of `suffixes`, not an existing folder."""

    def parse(text: str) -> str:
        try:
            check_output_file(text, suffixes)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    return parse


def _flat_grads(leaves: Sequence[Value]) -> np.ndarray[Any, Any]:
    return np.concatenate([np.ravel(np.asarray(v.grad, dtype=np.float64)) for v in leaves])


# -- compare ----------------------------------------------------------------------------------


MEMORY_MAX_DEPTH = 1_000
"""`compare` traces peak memory only for walks that recurse at most this deep: tracemalloc walks
the whole Python stack on every allocation, so tracing a walk d frames deep costs O(d) per
allocation (minutes for a 20,000-node chain)."""


def cmd_compare(args: argparse.Namespace) -> int:
    kind, width, depth, mode = args.graph, args.width, args.depth, args.mode
    if kind == "chain":
        print(f"graph: chain of {depth:,} steps ({2 * depth:,} op nodes), {mode} mode")
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
    untraced: list[str] = []
    for name in progress(args.strategies or available_strategies(), "strategies"):
        out, leaves = graphs.build(kind, width, depth, mode)
        try:
            stats = out.backward(strategy=name)
            diff: Any = "-"
            if reference is not None:
                diff = float(np.max(np.abs(_flat_grads(leaves) - reference)))
            peak: Any = None
            if args.memory and stats.max_depth <= MEMORY_MAX_DEPTH:
                peak = f"{_peak_memory(out, leaves, name) / 1024:,.0f} KiB"
            elif args.memory:
                peak = "not traced"
                untraced.append(name)
            cells = [stats.seconds, stats.vjp_calls, stats.nodes, stats.max_depth]
            rows.append([name, *cells, *([peak] if args.memory else []), diff])
        except SettingError:  # the environment, not this strategy: reported by main()
            raise
        except (MinigradError, RecursionError, MemoryError) as error:
            if tracemalloc.is_tracing():
                tracemalloc.stop()
            blanks = ["-"] * (6 if args.memory else 5)
            rows.append([name, *blanks, summarize_error(error, limit=60)])
    headers = ["strategy", "seconds", "vjp_calls", "nodes", "max_depth"]
    headers += ["peak mem", "max|dg|"] if args.memory else ["max|dg|"]
    if any(len(row) > len(headers) for row in rows):
        headers.append("error")
    print(table(headers, rows))
    if untraced:
        note = (
            f"(peak mem not traced for {', '.join(untraced)}: they recurse deeper than "
            f"{MEMORY_MAX_DEPTH:,} frames, and tracemalloc's cost per allocation grows with the "
            "depth; --no-memory leaves the column out)"
        )
        print(textwrap.fill(note, 96))
    return 0


def _peak_memory(out: Value, leaves: Sequence[Value], strategy: str) -> int:
    """Peak bytes traced by tracemalloc during one more backward pass of `strategy`."""
    for v in leaves:
        v.zero_grad()
    tracemalloc.start()
    try:
        out.backward(strategy=strategy)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- blowup -----------------------------------------------------------------------------------


_BLOWUP_HEADERS = ["depth", "predicted paths", "naive vjp_calls", "linear vjp_calls", "ratio"]


def cmd_blowup(args: argparse.Namespace) -> int:
    status = _plot_unready("blowup", args.plot, check_writable_file)
    if status is not None:
        return status
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
    status = _plot_unready("train", args.plot, check_output_folder)
    if status is not None:
        return status
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
        f"{args.dataset}: {len(X):,} samples, {classes} classes; MLP {sizes}; engine {args.engine}"
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


def _build_graph(args: argparse.Namespace) -> Value | int:
    """The graph of `minigrad graph`: a demo or a parsed expression; or the exit status 2."""
    if args.what in graphs.DEMOS:
        if args.values:
            print(
                f"minigrad graph: error: --values applies to expressions, not to the demo "
                f"{args.what!r} (its values are fixed)",
                file=sys.stderr,
            )
            return 2
        out, _ = graphs.DEMOS[args.what]()
    else:
        try:
            out = parse_expression(args.what, args.values)
        except ValueError as error:
            print(f"minigrad graph: error: {error}", file=sys.stderr)
            return 2
    return out


def cmd_graph(args: argparse.Namespace) -> int:
    for path in (args.out, args.html):
        if path is not None:
            status = _cannot_write("graph", path, check_writable_file)
            if status is not None:
                return status
    strategy = args.strategy or get_default_strategy()
    # Build the graph as a user of the strategy would, with it as the default: `tape` sweeps the
    # forward's record, made while it is the default. With --html every strategy walks this
    # graph, `tape` among them, so it is built as for `tape` (a record costs the others nothing).
    with use_strategy("tape" if args.html and "tape" in available_strategies() else strategy):
        built = _build_graph(args)
    if isinstance(built, int):
        return built
    out = built
    try:
        stats = out.backward(strategy=strategy, trace=True)
    except (MinigradError, ArithmeticError) as error:
        print(f"minigrad graph: error: {strategy}: {summarize_error(error)}", file=sys.stderr)
        return 2
    calls, visits = plural(stats.vjp_calls, "vjp call"), plural(len(stats.visits), "visit")
    title = f"{args.what} — {strategy}: {calls}, {visits}"
    dot = to_dot(out, stats.visits, title=title)
    if args.html is not None:
        status = _write_step_through(args, out, strategy)
        if status or args.out is None:
            return status
    if args.out is None:
        sys.stdout.write(dot)
        return 0
    try:
        render(dot, args.out)
    except GraphvizNotFoundError:
        return _graph_without_graphviz(dot, args.out, title)
    except (RuntimeError, OSError) as error:
        print(f"minigrad graph: {args.out} not written: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({title})")
    return 0


def _write_step_through(args: argparse.Namespace, out: Value, strategy: str) -> int:
    """graph --html: the page that steps through every strategy's walk of `out`."""
    try:
        page = step_through_page(out, args.what, strategy)
        write_text_atomic(args.html, page)
    except ValueError as error:
        print(f"minigrad graph: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"minigrad graph: {args.html} not written: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.html} (step through the walks of {args.what}, {strategy} first)")
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
    started = time.perf_counter()
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        env = dict(os.environ, PYTHONPATH=str(folder.parent))
        began = time.perf_counter()
        code = subprocess.run(command, env=env, check=False).returncode
        status |= code
        failed = f", exit status {code}" if code else ""
        print(f"({script.stem}: {time.perf_counter() - began:.1f} s{failed})\n", flush=True)
    if len(scripts) > 1:
        print(f"{plural(len(scripts), 'benchmark')} in {time.perf_counter() - started:.1f} s")
    return 1 if status else 0


# -- parser -----------------------------------------------------------------------------------


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help; descriptions and examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.nargs == 0 or action.default in (None, "", argparse.SUPPRESS):  # flags too
            return action.help
        return super()._get_help_string(action)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  minigrad {line}" for line in lines)


def _strategy_names() -> str:
    """The registered strategies and the default, for help texts (never fails)."""
    try:
        default = get_default_strategy()
    except MinigradError:  # a misspelt MINIGRAD_STRATEGY: main() reports it
        default = "topological"
    return f"one of {', '.join(available_strategies())}; default: {default}"


def _strategy_option(parser: argparse.ArgumentParser, what: str) -> None:
    """--strategy NAME, its help listing the registered strategies and the default."""
    parser.add_argument(
        "--strategy", type=_strategy, metavar="NAME", help=f"{what} ({_strategy_names()})"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="Five ways to walk a computation graph backward, side by side and measured.",
        epilog=_examples(
            "compare --strategies naive,memoized", "graph reuse --strategy naive", "bench --quick"
        )
        + "\n\nRun `minigrad COMMAND --help` for each command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str, *examples: str) -> Any:
        return sub.add_parser(
            name, help=summary, description=textwrap.fill(description, 78),
            epilog=_examples(*examples), formatter_class=_HelpFormatter,
        )  # fmt: skip

    p = command(
        "compare", "run the strategies on one graph and tabulate the costs",
        "Build one graph and run each registered strategy (or those of --strategies) on it: "
        "seconds of the walk, backward-rule calls (vjp_calls), nodes that received a gradient, "
        "the deepest recursion, peak memory of the backward pass (tracemalloc) and the largest "
        "gradient difference against topological. A strategy that refuses or fails says why "
        "in an error column.",
        "compare", "compare --strategies naive,memoized --width 4 --depth 6",
        "compare --graph chain --depth 20000 --no-memory",
    )  # fmt: skip
    p.add_argument("--width", type=_positive, default=3, help="units per layer (not for chain)")
    p.add_argument("--depth", type=_positive, default=5, help="layers, or chain steps")
    p.add_argument("--mode", choices=graphs.MODES, default="scalar", help="scalar or tensor nodes")
    p.add_argument("--graph", choices=graphs.GRAPH_KINDS, default="dense", help="graph shape")
    p.add_argument(
        "--strategies", type=_strategies, metavar="NAME[,NAME...]",
        help=f"run only these strategies, in this order ({_strategy_names().split(';')[0]}; "
        "default: all of them)",
    )  # fmt: skip
    p.add_argument(
        "--no-memory", dest="memory", action="store_false",
        help="leave out the peak-memory column (no second, traced run); it is also left out, "
        f"row by row, for walks that recurse deeper than {MEMORY_MAX_DEPTH:,} frames",
    )  # fmt: skip
    p.set_defaults(run=cmd_compare)

    p = command(
        "blowup", "naive's calls against the path-count prediction as depth and width grow",
        "For dense scalar tanh nets of depth 1 to --max-depth, at each width, print the rule "
        "calls naive is predicted to make (the exact number of output-to-node paths), the calls "
        "it made, and the calls the linear strategies make.",
        "blowup", "blowup --max-depth 5 --width 1,2,4", "blowup --plot blowup.png",
    )  # fmt: skip
    p.add_argument("--max-depth", type=_positive, default=8, help="deepest net")
    p.add_argument(
        "--width", type=_widths, default="3", metavar="W[,W...]",
        help="units per layer, or a comma list such as 2,3,4 for one table (and one plot line) "
        "per width",
    )  # fmt: skip
    p.add_argument(
        "--run-limit", type=_positive, default=200_000,
        help="run naive only while its predicted calls are at most this",
    )  # fmt: skip
    p.add_argument(
        "--plot", metavar="FILE.png", type=_output_file(*IMAGE_SUFFIXES),
        help="save a log-scale plot, one line per width (.png, .svg or .pdf; needs matplotlib)",
    )  # fmt: skip
    p.set_defaults(run=cmd_blowup)

    p = command(
        "train", "train an MLP with a chosen engine and strategy",
        "Train an MLP with cross-entropy on a small data set and print the final loss, the "
        "training accuracy and the time. banknote is the real banknote authentication data "
        "set shipped with minigrad (1,372 rows, standardised); banknote-like a generated "
        "stand-in of the same shape.",
        "train", "train --dataset banknote --sizes 4,8,2 --strategy memoized --epochs 5",
        "train --engine callstack --epochs 300 --sizes 2,16,2 --plot plots",
    )  # fmt: skip
    p.add_argument("--dataset", choices=DATASETS, default="moons", help="the data set")
    p.add_argument(
        "--sizes", type=_sizes, metavar="N,N[,N...]",
        help="layer sizes, e.g. 2,16,16,2 (default: inputs,16,16,classes of the data set)",
    )  # fmt: skip
    p.add_argument(
        "--activation", choices=("relu", "tanh", "sigmoid"), default="relu",
        help="between the layers",
    )  # fmt: skip
    _strategy_option(p, "backward strategy, graph engine only")
    p.add_argument(
        "--engine", choices=layerwise.ENGINES, default="graph",
        help="graph: Value graph + Adam minibatches; callstack/cachelist: graph-free full batch",
    )  # fmt: skip
    p.add_argument("--epochs", type=_positive, default=100, help="passes over the data")
    p.add_argument(
        "--lr", type=_positive_float, default=None,
        help="learning rate (default 0.02 with Adam for graph, 0.5 with plain steps otherwise)",
    )  # fmt: skip
    p.add_argument("--batch-size", type=_positive, default=64, help="graph engine minibatch")
    p.add_argument("--seed", type=_seed, default=0, help="data and weight seed")
    p.add_argument(
        "--plot", metavar="DIR",
        help="save loss.png (and boundary.png for 2-D data) in DIR, created if needed",
    )  # fmt: skip
    p.set_defaults(run=cmd_train)

    p = command(
        "graph", "draw a small graph numbered in a strategy's visit order",
        "Build a small graph (a demo, or an expression over named scalars with + - * / **, "
        "unary minus and tanh exp log relu sigmoid), run one backward pass with the chosen "
        "strategy, and print the graph as Graphviz DOT text: each node's op, data, gradient and "
        "the positions at which the walk visited it. Arrows point along the data flow (inputs "
        "to output); the visit numbers run the other way, from the output.",
        "graph reuse --strategy naive", "graph 'tanh(a*b + a)' --values a=2,b=-3",
        "graph reuse --out reuse.svg", "graph 'tanh(a*b + a)' --html walks.html",
    )  # fmt: skip
    p.add_argument(
        "what", metavar="EXPRESSION-OR-DEMO",
        help=f"an expression like 'tanh(a*b + a)' or a demo: {', '.join(graphs.DEMOS)}",
    )  # fmt: skip
    p.add_argument(
        "--values", type=_values, default="",
        help="leaf values, e.g. a=2,b=-3; every name must occur in the expression (default: "
        "1, 2, 3, ... by order of first appearance)",
    )  # fmt: skip
    _strategy_option(p, "the walk to number the nodes by")
    p.add_argument(
        "--out", metavar="FILE", type=_output_file(*TEXT_SUFFIXES, *IMAGE_SUFFIXES),
        help=".dot or .gv: DOT text; .svg, .png or .pdf: rendered by Graphviz's dot, or without "
        "it FILE's name with .dot, and a note on how to render it (default: DOT on stdout)",
    )  # fmt: skip
    p.add_argument(
        "--html", metavar="FILE.html", type=_output_file(".html", ".htm"),
        help="write a self-contained page that steps through every strategy's walk, one visit "
        "at a time (nothing loaded from the network)",
    )  # fmt: skip
    p.set_defaults(run=cmd_graph)

    p = command(
        "bench", "run the benchmarks in benchmarks/ and print their tables",
        "Run each benchmarks/bench_*.py script of a source checkout (looked for in the current "
        "folder, then beside the installed package) and print its tables and how long it took. "
        "--quick shrinks every size to a smoke test (all scripts in well under 30 s); its "
        "numbers are not meant to be quoted and it checks no targets.",
        "bench --quick", "bench --only chain",
    )  # fmt: skip
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
