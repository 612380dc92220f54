"""The four strategies on dense scalar nets of growing width and depth.

Each net is micrograd-style and fully connected: `depth` tanh layers of `width` neurons, each
neuron `tanh(sum(w_i * h_i, b))` (a chain of adds), then one linear output neuron. Every weight
is a scalar Value, so a node in layer l is reached from the output by about width^(depth - l)
paths: the graph where `naive` blows up.

Table 1, per net and strategy: median seconds of `backward()`, the walk's counters (vjp_calls,
nodes, max_depth), the peak memory the backward allocates (tracemalloc), and for `naive` its
vjp_calls next to `naive.predict_calls` (the exact path count it predicts before walking).

Table 2 answers two questions users ask:
- tinygrad PR 9979: "non-recursive toposort is 2x+ faster". Is our iterative `topological` 2x
  faster than our recursive `memoized`? (Measured with the garbage collector on and off.)
- micrograd issue 21: "the topological order stays the same; why recompute it?" What fraction of
  a `topological` backward is spent computing the order (`topological_order`)?

Run: `.venv/bin/python -m benchmarks.bench_strategies [--quick] [--repeat N]`
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad as mg
import minigrad.backward.naive as naive_module
import minigrad.backward.topological as topological_module
from benchmarks._common import (
    fmt_bytes,
    fmt_int,
    fmt_seconds,
    make_parser,
    median_time,
    peak_memory,
    print_header,
    print_table,
    repeat_from,
)

FULL_NETS = [(w, d) for w in (2, 3, 4) for d in (1, 2, 4, 6, 8)] + [(4, 10), (16, 8), (32, 8)]
QUICK_NETS = [(2, 4), (4, 4), (4, 10)]
MIN_SAMPLE = 0.005  # seconds: short backward passes are looped until a sample lasts this long


def dense_net(width: int, depth: int, seed: int = 0) -> Any:
    """`depth` tanh layers of `width` scalar neurons, fully connected, then one linear output."""
    rng = random.Random(seed)
    h: list[Any] = [mg.Value(rng.uniform(-1.0, 1.0), requires_grad=False) for _ in range(width)]
    for _ in range(depth):
        h = [_neuron(h, rng).tanh() for _ in range(width)]
    return _neuron(h, rng)


def _neuron(inputs: Sequence[Any], rng: random.Random) -> Any:
    scale = 1.0 / len(inputs) ** 0.5
    weights = [mg.Value(rng.uniform(-scale, scale)) for _ in inputs]
    return sum((w * x for w, x in zip(weights, inputs, strict=True)), mg.Value(0.0))


def graph_size(root: Any) -> int:
    """Nodes that take part in backward (leaves and ops that need a gradient)."""
    return len(topological_module.topological_order(root))


def strategy_rows(nets: Sequence[tuple[int, int]], repeat: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for width, depth in nets:
        with mg.use_strategy("tape"):  # recorded, so that tape sweeps it (the others ignore it)
            root = dense_net(width, depth)
        size = fmt_int(graph_size(root))
        predicted = naive_module.predict_calls(root)
        for strategy in mg.available_strategies():
            head = [str(width), str(depth), size, strategy]
            check = [fmt_int(predicted), ""] if strategy == "naive" else ["", ""]
            try:
                stats = root.backward(strategy=strategy)
            except mg.PathExplosionError as error:
                refused = f"refused ({fmt_int(error.predicted_calls)} calls predicted)"
                rows.append([*head, refused, "", "", "", "", *check])
                continue
            run = functools.partial(root.backward, strategy=strategy)
            seconds = median_time(run, repeat, min_sample=MIN_SAMPLE)
            _, peak = peak_memory(run)
            if strategy == "naive":
                check[1] = "yes" if stats.vjp_calls == predicted else "NO"
            rows.append(
                [
                    *head,
                    fmt_seconds(seconds),
                    fmt_int(stats.vjp_calls),
                    fmt_int(stats.nodes),
                    str(stats.max_depth),
                    fmt_bytes(peak),
                    *check,
                ]
            )
    return rows


def ordering_rows(nets: Sequence[tuple[int, int]], repeat: int) -> list[list[str]]:
    rows: list[list[str]] = []
    order = topological_module.topological_order
    walk = topological_module.topological
    for width, depth in nets:
        root = dense_net(width, depth)
        ratios: list[str] = []
        for gc_enabled in (True, False):
            times = {
                s: median_time(
                    functools.partial(root.backward, strategy=s),
                    repeat,
                    min_sample=MIN_SAMPLE,
                    gc_enabled=gc_enabled,
                )
                for s in ("memoized", "topological")
            }
            ratios.append(f"{times['memoized'] / times['topological']:.2f}x")
            if gc_enabled:
                memo, topo = times["memoized"], times["topological"]
        order_s = median_time(functools.partial(order, root), repeat, min_sample=MIN_SAMPLE)
        walk_s = median_time(functools.partial(walk, root, 1.0), repeat, min_sample=MIN_SAMPLE)
        rows.append(
            [
                str(width),
                str(depth),
                fmt_int(graph_size(root)),
                fmt_seconds(memo),
                fmt_seconds(topo),
                ratios[0],
                ratios[1],
                fmt_seconds(order_s),
                fmt_seconds(walk_s),
                f"{100 * order_s / walk_s:.0f}%",
                f"{100 * order_s / topo:.0f}%",
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser("The four backward strategies on dense scalar nets.")
    args = parser.parse_args(argv)
    repeat = repeat_from(args)
    nets = QUICK_NETS if args.quick else FULL_NETS
    print_header(
        "minigrad backward strategies on dense scalar nets",
        args,
        [
            ("minigrad", mg.__version__),
            ("nets", "width x depth tanh layers, micrograd-style neurons, one linear output"),
            ("naive cap", f"{fmt_int(naive_module.get_max_calls())} calls (set_max_calls)"),
        ],
    )

    print("Per strategy: median seconds of backward(), counters, peak memory (tracemalloc)")
    print_table(
        [
            "width",
            "depth",
            "graph nodes",
            "strategy",
            "seconds",
            "vjp_calls",
            "nodes",
            "max_depth",
            "peak mem",
            "naive predicted",
            "= vjp_calls",
        ],
        strategy_rows(nets, repeat),
    )

    print("memoized (recursive) vs topological (iterative), and what the ordering costs")
    print_table(
        [
            "width",
            "depth",
            "graph nodes",
            "memoized",
            "topological",
            "memo/topo gc on",
            "memo/topo gc off",
            "order",
            "topo walk",
            "order/walk",
            "order/backward()",
        ],
        ordering_rows(nets, repeat),
    )
    print(
        "seconds: backward() including the driver's commit of .grad; 'topo walk' is "
        "topological(root, seed) alone;\n'order' is topological_order(root) alone. "
        "Recursive walks on graphs above ~300 nodes run on a worker thread (see recursion.py)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
