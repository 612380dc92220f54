"""Draw a small graph as SVG with a layered layout of its own: no Graphviz needed.

Inputs are on the left and the output on the right, one column per rank (an op is one more than
its highest parent, a leaf sits just left of its first consumer); within a
column the nodes are ordered by the mean position of their neighbours (a few barycentre sweeps).
Arrows point along the data flow; the visit numbers on the nodes run the other way, from the
output. `layout` places the nodes, `render_svg` draws them; the step-through page
(`minigrad.html`) uses both and then changes the text and the classes of the nodes as it steps.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from minigrad.backward import gradient_map
from minigrad.draw import LEGEND, fmt_value, graph_nodes, node_title, visit_positions, visits_text
from minigrad.files import write_text_atomic
from minigrad.report import plural
from minigrad.value import Value

CHAR = 7.4  # width of one character of the 12 px monospace font, in px
LINE = 16  # height of one line of text
PAD = 6  # space between a box's edge and its text
GAP_X = 56  # between columns
GAP_Y = 18  # between boxes in a column
MARGIN = 12
TOP = 58  # room for the title and the legend's two lines


@dataclass
class Box:
    """Where one node is drawn: its top-left corner and size, in px."""

    x: float
    y: float
    width: float
    height: float


@dataclass
class Layout:
    """A drawing's nodes (output first), their boxes, the canvas size, each box's lines, and the
    layout engine that placed them."""

    nodes: list[Value]
    boxes: list[Box]
    lines: list[list[str]]
    width: float
    height: float
    engine: str = "minigrad"  # what placed the nodes: a key of LAYOUTS


def legend_lines() -> list[str]:
    """The legend in two lines (arrows; visits), so that it does not make a small graph wide."""
    arrows, visits = LEGEND.split("; ")
    return [f"{arrows};", visits[0].upper() + visits[1:]]


def node_lines(node: Value, positions: Sequence[int] = (), grad: str | None = None) -> list[str]:
    """The text of a node's box: title, data, gradient (`grad`, else its own), visits."""
    if grad is None:
        grad = fmt_value(node.grad) if node.has_grad else "-"
    lines = [node_title(node), f"data {fmt_value(node.data)}", f"grad {grad}"]
    if positions:
        lines.append(visits_text(positions))
    return lines


def _ranks(nodes: list[Value]) -> list[int]:
    """Column of each node: an op is 1 + its highest parent, a leaf just left of its first user."""
    index = {node: i for i, node in enumerate(nodes)}
    rank = [0] * len(nodes)
    # an explicit post-order, so every parent is ranked before its consumers (no recursion)
    done: set[int] = set()
    for start in range(len(nodes)):
        stack = [(start, False)]
        while stack:
            i, expanded = stack.pop()
            if i in done:
                continue
            if expanded:
                parents = [index[p] for p in nodes[i].parents]
                rank[i] = 1 + max((rank[p] for p in parents), default=-1)
                done.add(i)
                continue
            stack.append((i, True))
            stack.extend((index[p], False) for p in nodes[i].parents if index[p] not in done)
    for i, node in enumerate(nodes):  # leaves: just before their first consumer
        if node.op is None:
            users = [rank[j] for j, n in enumerate(nodes) if any(p is node for p in n.parents)]
            if users:
                rank[i] = min(users) - 1
    return rank


LAYOUTS = {
    "minigrad": "minigrad's own layered layout",
    "graphviz": "Graphviz's dot",
}
"""The layout engines, by name, and how a drawing credits them."""


def layout(
    output: Value, line_sets: Sequence[Sequence[str]] | None = None, engine: str = "minigrad"
) -> Layout:
    """Place every node under `output`; `line_sets` (one per node, output first) sizes the
    boxes, by default from `node_lines` without visits.

    `engine` is "minigrad" (the layered layout of this module), "graphviz" (the positions
    Graphviz's `dot -Tplain` gives the same boxes; needs `dot` on PATH), or "auto": Graphviz
    when `dot` is found, else minigrad's. `Layout.engine` says which one placed the nodes.
    """
    nodes = graph_nodes(output)
    lines = [list(x) for x in line_sets] if line_sets is not None else None
    if lines is None:
        lines = [node_lines(node) for node in nodes]
    widths = [max(len(line) for line in box) * CHAR + 2 * PAD for box in lines]
    heights = [float(len(box) * LINE + 2 * PAD - 4) for box in lines]
    if engine == "auto":
        engine = "graphviz" if shutil.which("dot") else "minigrad"
    if engine == "graphviz":
        placed = _graphviz_boxes(nodes, widths, heights)
        if placed is not None:
            return Layout(nodes, placed[0], lines, placed[1], placed[2], "graphviz")
        engine = "minigrad"  # dot failed: fall back, and say so through Layout.engine
    if engine != "minigrad":
        raise ValueError(f"unknown layout engine {engine!r}; use minigrad, graphviz or auto")
    rank = _ranks(nodes)
    columns: list[list[int]] = [[] for _ in range(max(rank) + 1)]
    for i in reversed(range(len(nodes))):  # leaves first: the order of a depth-first walk
        columns[rank[i]].append(i)
    index = {node: i for i, node in enumerate(nodes)}
    neighbours: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        for parent in node.parents:
            neighbours[i].append(index[parent])
            neighbours[index[parent]].append(i)
    for _ in range(4):  # barycentre sweeps: order each column by its neighbours' positions
        where = {i: k for column in columns for k, i in enumerate(column)}
        for column in columns:
            column.sort(
                key=lambda i: sum(where[j] for j in neighbours[i]) / max(1, len(neighbours[i]))
            )
    column_width = [max(widths[i] for i in column) for column in columns]
    column_height = [sum(heights[i] for i in c) + GAP_Y * (len(c) - 1) for c in columns]
    tallest = max(column_height)
    boxes: list[Box] = [Box(0, 0, 0, 0) for _ in nodes]
    x: float = MARGIN
    for k, column in enumerate(columns):
        y = TOP + (tallest - column_height[k]) / 2
        for i in column:
            boxes[i] = Box(x + (column_width[k] - widths[i]) / 2, y, widths[i], heights[i])
            y += heights[i] + GAP_Y
        x += column_width[k] + GAP_X
    width = max(x - GAP_X + MARGIN, _legend_width())
    return Layout(nodes, boxes, lines, width, TOP + tallest + 16, "minigrad")


def _legend_width() -> float:
    """The width the two legend lines need."""
    return max(len(part) for part in legend_lines()) * CHAR * 0.9 + 2 * MARGIN


def _graphviz_boxes(
    nodes: list[Value], widths: list[float], heights: list[float]
) -> tuple[list[Box], float, float] | None:
    """Boxes placed by `dot -Tplain` (rankdir=LR, fixed sizes), or None if dot failed."""
    program = shutil.which("dot")
    if program is None:
        return None
    index = {node: i for i, node in enumerate(nodes)}
    lines = ["digraph g {", "rankdir=LR; nodesep=0.25; ranksep=0.7;"]
    lines += [
        f'n{i} [shape=box, fixedsize=true, width={w / 72:.3f}, height={h / 72:.3f}, label=""];'
        for i, (w, h) in enumerate(zip(widths, heights, strict=True))
    ]
    lines += [f"n{index[p]} -> n{i};" for i, node in enumerate(nodes) for p in node.parents]
    lines.append("}")
    try:
        done = subprocess.run(
            [program, "-Tplain"], input="\n".join(lines), capture_output=True, text=True,
            timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    centres: dict[int, tuple[float, float]] = {}
    graph_height = 0.0
    for row in done.stdout.splitlines():
        parts = row.split()
        if parts[:1] == ["graph"]:
            graph_height = float(parts[3]) * 72
        elif parts[:1] == ["node"]:
            centres[int(parts[1][1:])] = (float(parts[2]) * 72, float(parts[3]) * 72)
    if len(centres) != len(nodes):
        return None
    boxes = [
        Box(MARGIN + cx - widths[i] / 2, TOP + graph_height - cy - heights[i] / 2, widths[i],
            heights[i])
        for i, (cx, cy) in sorted(centres.items())
    ]  # fmt: skip
    width = max(b.x + b.width for b in boxes) + MARGIN
    height = max(b.y + b.height for b in boxes) + 16
    return boxes, max(width, _legend_width()), height


def _edges(drawn: Layout) -> list[str]:
    """One cubic curve per parent link, parallel links (x + x) spread apart, arrow at the end."""
    index = {node: i for i, node in enumerate(drawn.nodes)}
    paths = []
    for i, node in enumerate(drawn.nodes):
        head = drawn.boxes[i]
        count = len(node.parents)
        for k, parent in enumerate(node.parents):
            tail = drawn.boxes[index[parent]]
            twins = [j for j, p in enumerate(node.parents) if p is parent]
            spread = (twins.index(k) - (len(twins) - 1) / 2) * 10
            x1, y1 = tail.x + tail.width, tail.y + tail.height / 2 + spread
            x2 = head.x
            y2 = head.y + head.height / 2 + (k - (count - 1) / 2) * 8
            bend = max(20.0, (x2 - x1) / 2)
            paths.append(
                f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} '
                f'{x2 - bend:.1f},{y2:.1f} {x2 - 2:.1f},{y2:.1f}" marker-end="url(#arrow)"/>'
            )
    return paths


STYLE = """
svg.minigrad-graph { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; }
.minigrad-graph .title { font-weight: bold; font-size: 13px; }
.minigrad-graph .legend { fill: #444; font-size: 11px; }
.minigrad-graph .edge { fill: none; stroke: #777; stroke-width: 1.2; }
.minigrad-graph .box { fill: #fff; stroke: #333; stroke-width: 1.2; }
.minigrad-graph .constant .box { stroke-dasharray: 4 3; fill: #f7f7f7; }
.minigrad-graph .node text.name { font-weight: bold; }
.minigrad-graph .node text.visits { fill: #a0360a; }
"""


def render_svg(
    drawn: Layout, title: str = "", *, ids: bool = False, standalone: bool = True,
    style: str = STYLE,
) -> str:  # fmt: skip
    """The SVG text of a laid-out graph: boxes, curves, a title and the legend.

    With `ids`, node i is `<g id="node-i">` and its k-th line of text `<text class="line-k">`,
    for a script to change. `standalone=False` leaves out the XML namespace, which an SVG inside
    an HTML page does not need.
    """
    namespace = 'xmlns="http://www.w3.org/2000/svg" ' if standalone else ""
    parts = [
        f'<svg {namespace}class="minigrad-graph" '
        f'viewBox="0 0 {drawn.width:.0f} {drawn.height:.0f}" width="{drawn.width:.0f}" '
        f'height="{drawn.height:.0f}" role="img" aria-label="{escape(title or "graph")}">',
        f"<title>{escape(title or 'graph')}. {escape(LEGEND)}</title>",
        f"<style>{style}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#777"/></marker></defs>',
        f'<text class="title" x="{MARGIN}" y="18">{escape(title)}</text>',
        *(
            f'<text class="legend" x="{MARGIN}" y="{34 + 13 * k}">{escape(part)}</text>'
            for k, part in enumerate(legend_lines())
        ),
        *_edges(drawn),
    ]
    for i, (node, box, lines) in enumerate(zip(drawn.nodes, drawn.boxes, drawn.lines, strict=True)):
        kind = "node" if node.requires_grad else "node constant"
        ident = f' id="node-{i}"' if ids else ""
        parts.append(f'<g class="{kind}"{ident}>')
        parts.append(
            f'<rect class="box" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" rx="4"/>'
        )
        for k, line in enumerate(lines):
            role = "name" if k == 0 else "visits" if line.startswith("visit") else "field"
            parts.append(
                f'<text class="{role} line-{k}" x="{box.x + PAD:.1f}" '
                f'y="{box.y + PAD + LINE * k + 10:.1f}">{escape(line)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def walk_figure(
    output: Value, visits: Sequence[Any], title: str, grads: Mapping[Any, Any] | None = None
) -> str:
    """An SVG of the graph under `output`, numbered by `visits`; each node's gradient from
    `grads` (a gradient map), or by default its committed `.grad`."""
    order = visit_positions(visits)
    nodes = graph_nodes(output)

    def grad(node: Value) -> str | None:
        if grads is None:
            return None
        return fmt_value(grads[node]) if node in grads else "-"

    drawn = layout(output, [node_lines(n, order.get(n, ()), grad(n)) for n in nodes])
    return render_svg(drawn, title)


@dataclass(frozen=True)
class Drawing:
    """SVG text that Jupyter (and anything else that knows `_repr_svg_`) displays as a picture."""

    svg: str = field(repr=False)
    title: str = ""

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str) -> None:
        """Write the SVG to `path` (whole or not at all)."""
        write_text_atomic(path, self.svg)


def draw(output: Value, strategy: str | None = None) -> Drawing:
    """The graph under `output` after one backward pass of `strategy` (None: the default),
    each node labelled with its data, gradient and visits; no `.grad` is written.

    In a notebook, `draw(loss, "naive")` as the last line of a cell shows the picture.
    """
    grads, stats = gradient_map(output, None, strategy, trace=True)
    calls, visits = plural(stats.vjp_calls, "vjp call"), plural(len(stats.visits), "visit")
    title = f"{stats.strategy}: {calls}, {visits}"
    return Drawing(walk_figure(output, stats.visits, title, grads), title)
