"""Draw a small graph as Graphviz DOT text: each node's op, data and grad, and walk order.

`to_dot(output, visits)` numbers every node with the positions at which a strategy visited it
(from `backward(trace=True)`); naive visits a reused node once per path, so such nodes show
several numbers and a count. Rendering to SVG/PNG needs Graphviz's `dot` program; the DOT text
itself needs nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.value import Value


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    array = np.asarray(x)
    if array.size <= 4:
        return np.array2string(array, precision=3, separator=", ")
    return f"array{list(array.shape)}"


def _all_nodes(output: Value) -> list[Value]:
    seen: dict[Value, None] = {}
    stack = [output]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen[node] = None
        stack.extend(node.parents)
    return list(seen)


def to_dot(output: Value, visits: Sequence[Any] = (), title: str = "") -> str:
    """The graph under `output` in DOT, nodes numbered by their positions in `visits`."""
    nodes = _all_nodes(output)
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    order: dict[Value, list[int]] = {}
    for position, node in enumerate(visits, start=1):
        order.setdefault(node, []).append(position)
    lines = ["digraph minigrad {", "  rankdir=LR;", '  node [shape=record, fontname="monospace"];']
    if title:
        lines.append(f'  label="{title}"; labelloc=t;')
    for node in nodes:
        name = node.label or (node.op.name if node.op is not None else "leaf")
        if node.label and node.op is not None:
            name = f"{node.label} = {node.op.name}"
        grad = _fmt(node.grad) if node.has_grad else "-"
        fields = [name, f"data {_fmt(node.data)}", f"grad {grad}"]
        if node in order:
            positions = order[node]
            shown = ",".join(map(str, positions[:8])) + ("…" if len(positions) > 8 else "")
            count = f" (x{len(positions)})" if len(positions) > 1 else ""
            fields.append(f"visit {shown}{count}")
        label = " | ".join(f.replace("|", "/").replace("{", "(").replace("}", ")") for f in fields)
        style = "" if node.requires_grad else ", style=dashed"
        lines.append(f'  {ids[node]} [label="{{{label}}}"{style}];')
    for node in nodes:
        for parent in node.parents:
            lines.append(f"  {ids[parent]} -> {ids[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path: str) -> None:
    """Write DOT text to `path`; .svg and .png are rendered by Graphviz's `dot` program.

    Raises:
        RuntimeError: an image was asked for and `dot` is not installed.
    """
    if path.endswith(".dot") or path.endswith(".gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(dot)
        return
    fmt = path.rsplit(".", 1)[-1].lower()
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"unsupported output {path!r}: use .dot, .svg, .png or .pdf")
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            "rendering an image needs Graphviz's `dot` program (e.g. apt install graphviz); "
            "write .dot text instead, which needs nothing"
        )
    subprocess.run([program, f"-T{fmt}", "-o", path], input=dot.encode(), check=True)
