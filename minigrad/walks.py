"""A backward walk one visit at a time: what each strategy knows after each of its steps.

`record_walk(output, strategy)` runs the strategy with `trace=True` (through `gradient_map`, so no
`.grad` changes) and turns its visits into steps: the node visited, the gradients known after
that step, the backward-rule calls made so far, and the nodes the walk is in the middle of.
For the built-in strategies the steps are replayed with the ops' own rules and checked against
the trace (the same nodes in the same order) and the final gradients (the same values); a
walk this module does not know — a registered one — gets the honest minimum: its visits, each
showing the node's final gradient.

- `naive` pushes: a visit adds one path's gradient to the node; `marks` is that path, from the
  output down to the node.
- `memoized` and `cycle_checked` pull: a visit is a node whose gradient is finished (the memo
  grows by one); `marks` are the nodes whose gradients are still being computed, the recursion
  in progress (`cycle_checked`'s IN PROGRESS marks).
- `topological` and `tape` sweep: a visit runs the node's rule once its gradient is complete,
  adding shares to its parents' gradients; the visits are the order itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.backward import consumers_of, gradient_map
from minigrad.draw import graph_nodes
from minigrad.value import Value

KINDS = {
    "naive": "push",
    "memoized": "pull",
    "cycle_checked": "pull",
    "topological": "sweep",
    "tape": "sweep",
}
"""How each built-in strategy's visits are replayed; any other strategy is shown as "visits"."""


@dataclass(frozen=True)
class Step:
    """One visit: the node (an index into the walk's nodes) and what changed with it."""

    node: int
    grads: dict[int, Any]  # node index -> its gradient so far, for the nodes this step changed
    vjp_calls: int  # backward-rule calls made by the end of this step
    marks: tuple[int, ...] = ()  # naive: the path pushed; pulls: the nodes still in progress


@dataclass
class Walk:
    """A strategy's walk over one graph, step by step."""

    strategy: str
    kind: str  # "push", "pull", "sweep", or "visits" (a strategy this module cannot replay)
    nodes: list[Value]  # graph_nodes(output): output first
    steps: list[Step]
    start: dict[int, Any]  # gradients known before the first step (a sweep's seed)
    final: dict[int, Any]  # the gradients minigrad computed (gradient_map), by node index
    vjp_calls: int  # stats.vjp_calls
    note: str = ""  # why the steps show less than a replay would
    visits: list[int] = field(default_factory=list)  # stats.visits, as node indices


def record_walk(output: Value, strategy: str, seed: Any = None) -> Walk:
    """Run `strategy` on the graph under `output` (no `.grad` written) and replay its visits."""
    grads, stats = gradient_map(output, seed, strategy, trace=True)
    nodes = graph_nodes(output)
    index = {node: i for i, node in enumerate(nodes)}
    visits = [index[node] for node in stats.visits]
    final = {index[node]: grad for node, grad in grads.items() if node in index}
    start_grad = seed
    if seed is None:  # the driver's seed for a one-element output
        start_grad = np.ones_like(output.data) if isinstance(output.data, np.ndarray) else 1.0
    kind = KINDS.get(strategy, "visits")
    walk = Walk(strategy, kind, nodes, [], {}, final, stats.vjp_calls, visits=visits)
    replay = _REPLAYS.get(kind)
    if replay is not None:
        steps, start = replay(output, start_grad, [nodes[i] for i in visits], index)
        if [s.node for s in steps] == visits and _same(_last(steps, start), final):
            walk.steps, walk.start = steps, start
            return walk
        walk.note = "its replay did not match the trace, so each visit shows the final gradient"
    walk.kind = "visits"
    walk.steps = _plain(visits, nodes, final)
    return walk


def _push(output: Value, seed: Any, visits: list[Any], index: dict[Any, int]) -> Any:
    """naive: push each path's gradient down, depth first, as `naive.py` does."""
    steps: list[Step] = []
    so_far: dict[int, Any] = {}
    path: list[int] = []
    calls = 0
    work: list[tuple[Any, Any] | None] = [(output, seed)]  # None: leave the node on top of path
    while work:
        item = work.pop()
        if item is None:
            path.pop()
            continue
        node, grad = item
        i = index[node]
        path.append(i)
        so_far[i] = grad if i not in so_far else so_far[i] + grad
        if node.op is not None:
            calls += 1
        steps.append(Step(i, {i: so_far[i]}, calls, tuple(path)))
        work.append(None)
        if node.op is not None:
            shares = list(zip(node.parents, node.op.vjp(grad, node), strict=True))
            work.extend(reversed([(p, g) for p, g in shares if p.requires_grad]))
    return steps, {}


def _pull(output: Value, seed: Any, visits: list[Any], index: dict[Any, int]) -> Any:
    """memoized / cycle_checked: pull each gradient from the consumers, memoized, as
    `memoized.py` does: grad(v) = sum of vjp(c, grad(c)) over the consumers c of v."""
    consumers = consumers_of(output)
    grads: dict[Any, Any] = {}
    local: dict[Any, Any] = {}
    path: list[Any] = []
    steps: list[Step] = []

    def grad_of(node: Any) -> Any:
        if node in grads:
            return grads[node]
        path.append(node)
        total = seed if node is output else None
        for consumer, position in consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(grad_of(consumer), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        path.pop()
        grads[node] = total
        marks = tuple(index[n] for n in path)
        steps.append(Step(index[node], {index[node]: total}, len(local), marks))
        return total

    for node in reversed(list(consumers)):
        grad_of(node)
    return steps, {}


def _sweep(output: Value, seed: Any, visits: list[Any], index: dict[Any, int]) -> Any:
    """topological / tape: in the visits' order, run each op's rule once, adding its parents'
    shares (their order is the trace's: the replay checks the rule results, not the order)."""
    so_far: dict[Any, Any] = {output: seed}
    steps: list[Step] = []
    calls = 0
    for node in visits:
        changed: dict[int, Any] = {}
        if node.op is not None and node in so_far:
            calls += 1
            for parent, grad in zip(node.parents, node.op.vjp(so_far[node], node), strict=True):
                if parent.requires_grad:
                    so_far[parent] = grad if parent not in so_far else so_far[parent] + grad
                    changed[index[parent]] = so_far[parent]
        steps.append(Step(index[node], changed, calls))
    return steps, {index[output]: seed}


_REPLAYS: dict[str, Callable[..., Any]] = {"push": _push, "pull": _pull, "sweep": _sweep}


def _plain(visits: list[int], nodes: list[Value], final: dict[int, Any]) -> list[Step]:
    """A strategy this module cannot replay: each visit shows the node's final gradient."""
    steps, calls = [], 0
    for i in visits:
        calls += nodes[i].op is not None
        steps.append(Step(i, {i: final[i]} if i in final else {}, calls))
    return steps


def _last(steps: list[Step], start: dict[int, Any]) -> dict[int, Any]:
    """The gradients known after the last step."""
    known = dict(start)
    for step in steps:
        known.update(step.grads)
    return known


def _same(a: dict[int, Any], b: dict[int, Any]) -> bool:
    return a.keys() == b.keys() and all(
        np.allclose(np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float), equal_nan=True)
        for k in a
    )


def gradients_after(walk: Walk, count: int) -> dict[int, Any]:
    """The gradients the walk knows after its first `count` steps."""
    return _last(walk.steps[:count], walk.start)
