"""Measure, draw and run everything `docs/second_order.md` shows, and write it into the page.

    .venv/bin/python docs/generate_second_order.py          # full sizes (about ten seconds)
    .venv/bin/python docs/generate_second_order.py --quick  # fewer samples, smaller graphs: a
                                                            # smoke run, not for quoting

The page marks each measured part with `<!-- generated: NAME -->` ... `<!-- /generated: NAME -->`
and this script rewrites what is between the marks: the cost of every strategy at second order
(median wall time of the whole `mg.grad` call, lifting included; vjp_calls, nodes and created
nodes from its `.stats`), naive's path counts on gradient graphs against
`minigrad.backward.naive.predict_calls`, and the output of `examples/newton.py`. It runs the
page's ```python blocks in order in one namespace, as `tests/test_docs_snippets.py` does, and
writes what each printed into the ```text block right after it. It points the page's marked
code excerpts at the current lines (as `docs/generate.py` does for every page), and draws
`docs/figures/second_order_cube_<strategy>.svg` with `minigrad.svg` (no Graphviz needed). Only
this page and those figures are written, each atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import io
import platform
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import generate  # docs/generate.py: the other pages' generator, for its helpers
import numpy as np
from generate import ROOT, atomic_path, fmt_int, fmt_seconds, log, md_table, median_of, shown

import minigrad as mg
from minigrad import graphs
from minigrad.backward import gradient_map
from minigrad.backward.naive import predict_calls
from minigrad.data import banknote_split, load_banknote, standardize
from minigrad.draw import fmt_value, graph_nodes, visit_positions
from minigrad.nn.functional import binary_cross_entropy_with_logits
from minigrad.svg import STYLE, layout, node_lines, render_svg
from minigrad.value import Value

PAGE = ROOT / "docs" / "second_order.md"
FIGURES = ROOT / "docs" / "figures"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
GENERATED = re.compile(
    r"(<!-- generated: (?P<name>\w+) -->\n).*?(<!-- /generated: (?P=name) -->)", re.S
)
Built = tuple[Value, list[Value]]


@dataclass(frozen=True)
class Sizes:
    """Everything --quick shrinks."""

    repeat: int
    dense: tuple[int, int]  # (width, depth) of the scalar dense net of the cost table
    mlp: tuple[int, ...]  # layer sizes of the tensor MLP
    rows: int  # banknote rows the MLP sees
    blowup_depths: tuple[int, ...]  # depths of the width-2 dense nets of the blow-up table


FULL = Sizes(repeat=11, dense=(3, 3), mlp=(4, 16, 16, 1), rows=64, blowup_depths=(1, 2, 3, 4, 5, 6))
QUICK = Sizes(repeat=2, dense=(2, 2), mlp=(4, 8, 1), rows=16, blowup_depths=(1, 2, 3))


# -- the graphs ---------------------------------------------------------------------------------


def banknote_mlp(sizes: Sizes) -> Built:
    """A tanh MLP (tensor mode) and its binary cross-entropy on the first rows of the banknote
    training split, standardised."""
    X, y = load_banknote()
    X_train, y_train, _, _ = banknote_split(X, y)
    (X_train,) = standardize(X_train)
    model = mg.nn.MLP(sizes.mlp, "tanh", seed=0)
    logits = model(X_train[: sizes.rows])
    loss = binary_cross_entropy_with_logits(logits, y_train[: sizes.rows, None].astype(float))
    return loss, model.parameters()


def directions(leaves: Sequence[Value]) -> list[Any]:
    """Fixed random directions v, one shaped like each leaf (a float in scalar mode)."""
    rng = np.random.default_rng(1)
    return [
        float(rng.normal()) if type(leaf.data) is float else rng.normal(size=leaf.shape)
        for leaf in leaves
    ]


def hvp_objective(gradients: Sequence[Value], vs: Sequence[Any]) -> Value:
    """s = sum_i <g_i, v_i>: its gradient is the Hessian-vector product H v."""
    terms = [
        g * v if type(g.data) is float else (g * v).sum()
        for g, v in zip(gradients, vs, strict=True)
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


# -- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """One `mg.grad` call: median seconds and its stats' counters."""

    seconds: float
    vjp_calls: int
    nodes: int
    created_nodes: int


def timed_pass(call: Callable[[], Any], repeat: int) -> Pass:
    """Run `call` (an `mg.grad`), then time it: the counters are the first run's."""
    stats = call().stats[0]
    return Pass(median_of(call, repeat), stats.vjp_calls, stats.nodes, stats.created_nodes)


def second_order(build: Callable[[], Built], strategy: str, repeat: int) -> tuple[Pass, Pass, Any]:
    """The gradient pass (create_graph=True) and the second pass, over the gradient graph, of
    the Hessian-vector product's objective, both by `strategy`; and the H v it found.

    The graph is built inside `use_strategy(strategy)`, so that `tape` has its record."""
    with mg.use_strategy(strategy):
        out, leaves = build()
        first = timed_pass(lambda: mg.grad(out, leaves, create_graph=True), repeat)
        total = hvp_objective(mg.grad(out, leaves, create_graph=True), directions(leaves))
        second = timed_pass(lambda: mg.grad(total, leaves), repeat)
        hv = [np.asarray(h.data, dtype=float) for h in mg.grad(total, leaves)]
    return first, second, hv


def cost_tables(sizes: Sizes) -> dict[str, str]:
    """Per graph, one row per strategy: both passes' time and counters."""
    width, depth = sizes.dense
    cases: dict[str, tuple[str, Callable[[], Built]]] = {
        "costs_scalar": (
            f"dense {width}{generate.TIMES}{depth}, scalar",
            lambda: graphs.dense_net(width, depth),
        ),
        "costs_tensor": (
            f"MLP {'-'.join(map(str, sizes.mlp))}, tensor",
            lambda: banknote_mlp(sizes),
        ),
    }
    headers = ["strategy", "gradient pass", "vjp_calls", "nodes", "created nodes"]
    headers += ["second pass", "vjp_calls", "nodes"]
    tables = {}
    for name, (caption, build) in cases.items():
        rows, products = [], []
        for strategy in mg.available_strategies():
            log(f"  {caption}: {strategy}")
            first, second, hv = second_order(build, strategy, sizes.repeat)
            products.append(hv)
            rows.append(
                [f"`{strategy}`", fmt_seconds(first.seconds), fmt_int(first.vjp_calls),
                 fmt_int(first.nodes), fmt_int(first.created_nodes), fmt_seconds(second.seconds),
                 fmt_int(second.vjp_calls), fmt_int(second.nodes)]
            )  # fmt: skip
        worst = max(
            float(np.max(np.abs(a - b)))
            for other in products[1:]
            for a, b in zip(products[0], other, strict=True)
        )
        out, leaves = build()
        graph = len(graph_nodes(out))
        tables[name] = (
            f"**{caption}** ({fmt_int(graph)} nodes, {fmt_int(len(leaves))} parameter "
            f"{'Values' if len(leaves) > 1 else 'Value'})\n\n"
            + md_table(headers, rows, [False, *[True] * 7])
            + f"\n\nThe five Hessian-vector products agree to {worst:.1e} (largest difference)."
        )
    return tables


def blowup_table(sizes: Sizes) -> str:
    """Width-2 dense nets: naive's calls at first order, and on gradient graphs, each checked
    against `predict_calls`."""

    def naive_calls(total: Value, leaves: list[Value]) -> int:
        calls: int = mg.grad(total, leaves, strategy="naive").stats[0].vjp_calls
        if calls != predict_calls(total):
            raise AssertionError(f"naive made {calls} calls, predicted {predict_calls(total)}")
        return calls

    rows = []
    for depth in sizes.blowup_depths:
        log(f"  blow-up: dense 2x{depth}")
        out, leaves = graphs.dense_net(2, depth)
        first_naive = mg.grad(out, leaves, strategy="naive").stats[0].vjp_calls
        total = hvp_objective(mg.grad(out, leaves, create_graph=True), directions(leaves))
        linear = mg.grad(total, leaves, strategy="topological").stats[0].vjp_calls
        seconds = median_of(lambda t=total, p=leaves: mg.grad(t, p, strategy="naive"), 3)
        built_by_naive = mg.grad(out, leaves, create_graph=True, strategy="naive")
        own = hvp_objective(built_by_naive, directions(leaves))
        counts = [first_naive, linear, naive_calls(total, leaves), predict_calls(total)]
        own_calls = fmt_int(naive_calls(own, leaves))
        name = f"dense 2{generate.TIMES}{depth}"
        rows.append([name, *map(fmt_int, counts), fmt_seconds(seconds), own_calls])
    headers = ["graph", "1st order: naive", "2nd pass: linear", "2nd pass: naive"]
    headers += ["predict_calls(s)", "naive's time", "naive, own graph"]
    return md_table(headers, rows, [False, *[True] * 6])


# -- the picture --------------------------------------------------------------------------------

MADE = "made by the backward pass"
FIGURE_STYLE = STYLE + ".minigrad-graph .made .box { fill: #eaf2fb; stroke: #1f5fa8; }\n"


def cube_figures(folder: Path) -> None:
    """The gradient graph of y = x * x * x, walked again by naive and by topological: each node's
    data, its gradient in the second pass and its visits; the nodes made by the first
    backward pass are shaded and say so."""
    for strategy in ("naive", "topological"):
        x = Value(0.5, label="x")
        m = x * x
        m.label = "m"
        y = m * x
        forward = set(graph_nodes(y))
        (g,) = mg.grad(y, x, create_graph=True, strategy=strategy)
        g.label = "dy/dx"
        grads, stats = gradient_map(g, None, strategy, trace=True)
        order = visit_positions(stats.visits)
        nodes = graph_nodes(g)
        lines = []
        for node in nodes:
            shown_grad = fmt_value(grads[node]) if node in grads else "-"
            box = node_lines(node, order.get(node, ()), shown_grad)
            lines.append(box if node in forward or node.op is None else [*box, MADE])
        drawn = layout(g, lines)
        title = (
            f"{strategy} walks dy/dx of y = m * x, m = x * x, at x = 0.5: {stats.vjp_calls} vjp "
            f"calls; grad = d(dy/dx)/d(node), so x's is d2y/dx2 = {fmt_value(grads[x])}"
        )
        svg = render_svg(drawn, title, ids=True, style=FIGURE_STYLE)
        for i, node in enumerate(nodes):
            if node not in forward and node.op is not None:
                svg = svg.replace(
                    f'<g class="node" id="node-{i}">', f'<g class="node made" id="node-{i}">'
                )
        path = folder / f"second_order_cube_{strategy}.svg"
        with atomic_path(path) as temporary:
            temporary.write_text(svg, encoding="utf-8")
        log(f"wrote {shown(path)}")


# -- the page -----------------------------------------------------------------------------------


def run_blocks(text: str) -> str:
    """`text` with the ```text block after each ```python block replaced by what that block
    printed (all blocks run in order, in one namespace, in a fresh context)."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    pieces, last = [], 0
    fences = list(FENCE.finditer(text))

    def run_all() -> None:
        nonlocal last
        for fence, following in zip(fences, [*fences[1:], None], strict=True):
            if fence.group(1) != "python" or "--8<--" in fence.group(2):
                continue
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(fence.group(2), f"{shown(PAGE)} block", "exec"), namespace)
            between = "" if following is None else text[fence.end() : following.start()]
            if following is not None and following.group(1) == "text" and not between.strip():
                pieces.append(text[last : following.start()])
                pieces.append(f"```text\n{printed.getvalue()}```\n")
                last = following.end()

    contextvars.copy_context().run(run_all)
    return "".join(pieces) + text[last:]


def sync_excerpts(text: str) -> str:
    """Point the page's marked `--8<--` excerpts at the named definitions' current lines."""

    def fix(match: re.Match[str]) -> str:
        path, first, last = match["path"], match["first"], match["last"] or match["first"]
        spans = generate.definition_spans(ROOT / path)
        snippet = f"{path}:{spans[first][0]}:{spans[last][1]}"
        return match.group(0).replace(f'"{match["snippet"]}"', f'"{snippet}"')

    return generate.EXCERPT.sub(fix, text)


def fill(text: str, parts: dict[str, str]) -> str:
    """Replace the content of every marked part named in `parts`; fail on a missing mark."""
    missing = set(parts) - {m["name"] for m in GENERATED.finditer(text)}
    if missing:
        raise KeyError(f"{shown(PAGE)} has no generated part(s) {sorted(missing)}")

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in parts:
            return match.group(0)
        return f"{match.group(1)}{parts[name].rstrip()}\n{match.group(3)}"

    return GENERATED.sub(replace, text)


def machine(sizes: Sizes, quick: bool) -> str:
    """One line: where and how the numbers were measured."""
    run = "`docs/generate_second_order.py`"
    if quick:
        run += " --quick (a smoke run, NOT for quoting)"
    return (
        f"Measured by {run} with Python {platform.python_version()}, numpy {np.__version__} on "
        f"{platform.system()} ({platform.machine()}); times are medians of {sizes.repeat} runs "
        "after a warm-up run."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run: not for quoting")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    text = PAGE.read_text(encoding="utf-8")
    log("running the page's examples")
    text = sync_excerpts(run_blocks(text))
    cube_figures(FIGURES)
    log("measuring both passes under every strategy")
    parts = cost_tables(sizes)
    parts["blowup"] = blowup_table(sizes)
    parts["machine"] = machine(sizes, args.quick)
    log("running examples/newton.py")
    newton = generate.run_python(["examples/newton.py"])
    parts["newton"] = f"```text\n$ python examples/newton.py\n{newton.rstrip()}\n```"
    with atomic_path(PAGE) as temporary:
        temporary.write_text(fill(text, parts), encoding="utf-8")
    log(f"wrote {shown(PAGE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
