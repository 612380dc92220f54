"""Draw a small graph as Graphviz DOT text: each node's op, data and grad, and walk order.

`to_dot(output, visits)` numbers every node with the positions at which a strategy visited it
(from `backward(trace=True)`); naive visits a reused node once per path, so such nodes show
several numbers and a count. Rendering to SVG/PNG/PDF needs Graphviz's `dot` program; the DOT
text itself needs nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.files import check_output_file, temporary_sibling, write_text_atomic
from minigrad.value import Value

LEGEND = (
    "Arrows point along the data flow, from inputs to the output; "
    "visit numbers count the backward walk's steps, which start at the output."
)
"""What every drawing says about its two directions: they are opposite."""


def fmt_value(x: Any) -> str:
    """A node's data or gradient, short: 4 significant digits, small arrays in full."""
    if isinstance(x, float):
        return f"{x:.4g}"
    array = np.asarray(x)
    if array.size <= 4:
        return np.array2string(array, precision=3, separator=", ")
    return f"array{list(array.shape)}"


def graph_nodes(output: Value) -> list[Value]:
    """Every node under `output` (constants included), output first, each once, by identity."""
    seen: dict[Value, None] = {}
    stack = [output]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen[node] = None
        stack.extend(node.parents)
    return list(seen)


def node_title(node: Value) -> str:
    """`label = op`, the label or the op alone, or "leaf" ("constant" if it needs no grad)."""
    unnamed = "leaf" if node.requires_grad else "constant"
    name = node.label or (node.op.name if node.op is not None else unnamed)
    if node.label and node.op is not None:
        name = f"{node.label} = {node.op.name}"
    return name


def visit_positions(visits: Sequence[Any]) -> dict[Any, list[int]]:
    """Each visited node's positions (1-based) in `visits`."""
    order: dict[Any, list[int]] = {}
    for position, node in enumerate(visits, start=1):
        order.setdefault(node, []).append(position)
    return order


def visits_text(positions: Sequence[int], most: int = 8) -> str:
    """'visit 3,4,6,7 (x4)': the first `most` positions and the count when there are several."""
    shown = ",".join(map(str, positions[:most])) + ("…" if len(positions) > most else "")
    count = f" (x{len(positions)})" if len(positions) > 1 else ""
    return f"visit {shown}{count}"


def to_dot(output: Value, visits: Sequence[Any] = (), title: str = "") -> str:
    """The graph under `output` in DOT, nodes numbered by their positions in `visits`."""
    nodes = graph_nodes(output)
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    order = visit_positions(visits)
    lines = ["digraph minigrad {", "  rankdir=LR;", '  node [shape=record, fontname="monospace"];']
    heading = f"{title}\\n{LEGEND}" if title else LEGEND
    lines.append(f'  label="{heading}"; labelloc=t;')
    for node in nodes:
        grad = fmt_value(node.grad) if node.has_grad else "-"
        fields = [node_title(node), f"data {fmt_value(node.data)}", f"grad {grad}"]
        if node in order:
            fields.append(visits_text(order[node]))
        label = " | ".join(f.replace("|", "/").replace("{", "(").replace("}", ")") for f in fields)
        style = "" if node.requires_grad else ", style=dashed"
        lines.append(f'  {ids[node]} [label="{{{label}}}"{style}];')
    for node in nodes:
        for parent in node.parents:
            lines.append(f"  {ids[parent]} -> {ids[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


TEXT_SUFFIXES = (".dot", ".gv")
IMAGE_SUFFIXES = (".svg", ".png", ".pdf")


class GraphvizNotFoundError(RuntimeError):
    """Rendering an image needs Graphviz's `dot` program, and it is not on PATH."""


def check_output_path(path: str) -> str:
    """The lower-case suffix of `path` if minigrad can write it, else raise ValueError.

    .dot and .gv (its other common suffix) are DOT text; .svg, .png and .pdf are images.
    """
    return check_output_file(path, TEXT_SUFFIXES + IMAGE_SUFFIXES)


def render(dot: str, path: str) -> None:
    """Write DOT text to `path` (.dot, .gv); render .svg, .png and .pdf with Graphviz's `dot`.

    The file appears whole or not at all: it is written under a temporary name in the same
    folder, then renamed.

    Raises:
        ValueError: `path` has another suffix.
        GraphvizNotFoundError: an image was asked for and `dot` is not on PATH.
        RuntimeError: `dot` failed.
        OSError: the file cannot be written (e.g. its folder does not exist).
    """
    suffix = check_output_path(path)
    if suffix in TEXT_SUFFIXES:
        write_text_atomic(path, dot)
        return
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(
            "rendering an image needs Graphviz's `dot` program (e.g. apt install graphviz), "
            "which was not found on PATH"
        )
    target = Path(path)
    temporary = temporary_sibling(target)
    try:
        done = subprocess.run(
            [program, f"-T{suffix[1:]}", "-o", str(temporary)],
            input=dot.encode(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0 or not temporary.is_file():
            reason = done.stderr.decode(errors="replace").strip().splitlines()
            raise RuntimeError(
                f"Graphviz's dot failed with status {done.returncode}"
                + (f": {reason[-1]}" if reason else "")
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
