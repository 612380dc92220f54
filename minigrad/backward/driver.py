"""The backward driver: seed a walk, run it, and (for `backward()`) commit its gradient map.

Two entry points share every step but the last:

- `gradient_map(output, seed, strategy)` runs the named (or default) walk and returns its
  gradient map and stats, checked by the backward observers (`minigrad.hooks`); it writes no
  `.grad` anywhere. `gradcheck`, anomaly mode and `mg.grad` stand on it. With
  `create_graph=True` the walk runs over a lifted view of the graph (`lifted.py`), so the rules
  compute with nodes and the gradients are nodes of a new graph, ready to be differentiated.
- `run_backward(...)` is `gradient_map` followed by the commit of every gradient to `.grad`.

The commit happens only after the walk has finished and its map has been checked, so a
backward that fails leaves every `.grad` as it was. The checks: data changed in place since
the graph was made (`check_graph`; the walks themselves refuse an op node whose flag was
turned off); and for a strategy that is not built in, the whole map (`check_map`). Commits
from several threads are serialised, so concurrent passes all add up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.backward.graph import Node, WalkResult
from minigrad.backward.lifted import lift
from minigrad.backward.recording import trim
from minigrad.backward.registry import get_default_strategy, get_strategy, is_builtin
from minigrad.errors import (
    GradientMapError,
    InplaceModificationError,
    RequiresGradError,
    ShapeError,
    describe,
)
from minigrad.hooks import backward_observers, observing


@dataclass(frozen=True, slots=True)
class BackwardStats:
    """What one backward pass did.

    Attributes:
        strategy: the strategy's registered name.
        vjp_calls: how many times an op's backward rule ran (naive: once per output-to-node
            path, summed over op nodes; the others: once per op node reached).
        nodes: how many distinct nodes received a gradient (leaves included, constants not).
        max_depth: the deepest recursion reached (1 for the iterative walk).
        seconds: wall time of the walk (committing `.grad` excluded).
        created_nodes: op nodes the backward pass itself made (`create_graph=True`; 0 otherwise).
        visits: the nodes in the order the walk handled them, when `trace=True` was asked
            (not part of the stats' repr or equality; empty otherwise).
    """

    strategy: str
    vjp_calls: int
    nodes: int
    max_depth: int
    seconds: float
    created_nodes: int = 0
    visits: tuple[Any, ...] = field(default=(), repr=False, compare=False)


def _no_clock() -> int:
    return 0


current_version: Callable[[], int] = _no_clock
"""Reads the version clock (`minigrad.value` registers its reader here at import)."""
_commit_lock = threading.Lock()


def seed_for(output: Node, seed: Any) -> Any:
    """The starting gradient d(output)/d(output): ones, or the user's seed checked and copied.

    `seed` is raw data (a number or array-like); the Value layer unwraps a Value seed first.
    """
    data = output.data  # type: ignore[attr-defined]
    if seed is None:
        if type(data) is float:
            return 1.0
        if data.size != 1:
            raise ValueError(
                f"backward() on an output of shape {data.shape} needs a seed gradient of that "
                f"shape, e.g. y.backward(np.ones({data.shape})); or reduce it first (y.sum())"
            )
        return np.ones(data.shape, data.dtype)  # (np.ones_like's Python wrapper costs 5x)
    if np.asarray(seed).dtype.kind not in "fiu":  # no silent casts of bools, complex, strings
        raise TypeError(
            f"seed gradient must be real numbers shaped like the output {np.shape(data)}; "
            f"got {type(seed).__name__} of dtype {np.asarray(seed).dtype}"
        )
    seed_array = np.array(seed, dtype=np.float64 if type(data) is float else data.dtype)
    if seed_array.shape != np.shape(data):
        raise ShapeError(
            f"seed gradient of shape {seed_array.shape} does not match the output's shape "
            f"{np.shape(data)}"
        )
    return float(seed_array) if type(data) is float else seed_array


def _from_map(grads: Mapping[Any, Any], visits: list[Any] | None) -> WalkResult:
    """A user's walk that returns a bare gradient map: counted as a linear walk would count it."""
    calls = sum(1 for node in grads if node.op is not None)
    return WalkResult(dict(grads), calls, 0, visits or [])


def gradient_map(
    output: Node,
    seed: Any = None,
    strategy: str | None = None,
    trace: bool = False,
    create_graph: bool = False,
) -> tuple[dict[Any, Any], BackwardStats]:
    """d(output)/d(node) for every node the walk reaches, without touching any `.grad`.

    Args:
        output: the node to differentiate (a Value that requires a gradient).
        seed: d(final)/d(output), shaped like output's data; None for a one-element output.
        strategy: the registered walk to run; None means the current default.
        trace: record the order the walk visited nodes in `stats.visits`.
        create_graph: let the rules compute with the graph's nodes, so that the gradients are
            nodes of a new graph (differentiable again); raw data otherwise.

    Returns:
        The gradient map (node -> gradient, keyed by identity) after every backward observer
        has accepted it, and the stats of the walk.
    """
    name = strategy if strategy is not None else get_default_strategy()
    walk = get_strategy(name)
    if not output.requires_grad:
        raise ValueError(
            "backward() on a Value that does not require a gradient: none of its inputs "
            "requires one, or it was computed under no_grad()"
        )
    start_grad = seed_for(output, seed)
    visits: list[Any] | None = [] if trace else None
    created = 0
    started = time.perf_counter()
    if create_graph:
        result, root, created = _building(walk, output, start_grad, visits)
    else:
        root = output
        result = walk(root, start_grad) if visits is None else walk(root, start_grad, trace=visits)
    seconds = time.perf_counter() - started
    if type(result) is not WalkResult and isinstance(result, Mapping):  # a bare gradient map
        result = _from_map(result, visits)
    if not isinstance(result, WalkResult):
        raise TypeError(
            f"strategy {name!r} must return a WalkResult or a gradient map (node -> gradient), "
            f"got {type(result).__name__}"
        )
    if not is_builtin(name):
        check_map(name, root, result.grads)
    if backward_observers:  # anomaly mode, for one; each may raise before anything is written
        for observe in tuple(backward_observers):
            observe(root, result.grads)
    grads, visited = result.grads, result.visits
    if create_graph:  # back from the lifted views to the nodes they show
        grads = {view.data: grad for view, grad in grads.items()}
        visited = [view.data for view in visited]
    check_graph(grads)
    stats = BackwardStats(
        name, result.vjp_calls, len(grads), result.max_depth, seconds, created, tuple(visited)
    )
    trim()  # drop the tape record's entries of graphs freed since (see recording.py)
    return grads, stats


def _building(walk: Any, output: Node, seed: Any, visits: list[Any] | None) -> tuple[Any, Any, int]:
    """A graph-building pass: the walk over the lifted view, counting the op nodes it makes.

    Returns the walk's result, the lifted root, and the count (process-wide, while it runs)."""
    created = [0]

    def count(node: Any, op: Any, parents: Any) -> None:
        created[0] += node.op is not None

    root = lift(output)
    with observing(node=count):
        result = walk(root, seed) if visits is None else walk(root, seed, trace=visits)
    return result, root, created[0]


def check_graph(grads: Mapping[Any, Any]) -> None:
    """Refuse a map whose graph's data changed in place after it was made.

    Every node is stamped with the version clock when made; minigrad's in-place updates tick the
    clock and stamp the changed Value (`minigrad.value.bump_version`). If no node of the map is
    older than the clock, nothing changed since the graph was made; else each op node's inputs
    are compared with it. (A flag turned off on an op node is refused by the walks themselves,
    where they would skip that input: `RequiresGradError`.)

    Raises:
        InplaceModificationError: names the first op node found with a changed input.
    """
    now = current_version()
    for node in grads:  # a plain loop: its attribute reads are the interpreter's fastest
        if node._version < now:
            break
    else:
        return
    for node in grads:
        if node.op is not None:
            made = node._version
            for index, parent in enumerate(node.parents):
                if parent._version > made:
                    raise InplaceModificationError(node, index, parent)


def check_map(name: str, root: Node, grads: Mapping[Any, Any]) -> None:
    """Check a user strategy's whole gradient map before anything of it is committed.

    Raises:
        GradientMapError: a key that is not a node of root's graph needing a gradient, or a
            gradient that is not real numbers shaped like its node's data (names the node).
    """
    graph: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in graph:
            graph.add(id(node))
            for parent in node.parents:
                if not parent.requires_grad and parent.op is not None:  # as the walks refuse
                    raise RequiresGradError(parent, node)
            stack.extend(node.parents)
    for node, grad in grads.items():
        if id(node) not in graph:
            raise GradientMapError(name, f"key {_short(node)} is not a node of this graph")
        # a graph-building pass keys its map by lifted views: the node a view shows is its data
        shown_node = node.data if hasattr(node.data, "parents") else node
        data, shown = shown_node.data, describe(shown_node)
        if not node.requires_grad:
            raise GradientMapError(name, f"{shown} is a constant and takes no gradient")
        raw = grad.data if hasattr(grad, "parents") and hasattr(grad, "data") else grad
        kind = getattr(np.asarray(raw) if _is_numeric(raw) else None, "dtype", None)
        if kind is None or kind.kind not in "fiu":
            what = f"dtype {kind}" if kind is not None else type(grad).__name__
            raise GradientMapError(
                name, f"the gradient of {shown} is {what}, not real numbers (float or array)"
            )
        if np.shape(raw) != np.shape(data):
            raise GradientMapError(
                name,
                f"the gradient of {shown} has shape {np.shape(raw)}, "
                f"its node's data {np.shape(data)}",
            )


def _is_numeric(x: Any) -> bool:
    return isinstance(x, int | float | np.ndarray | np.generic) and not isinstance(x, bool)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def commit(grads: dict[Any, Any]) -> None:
    """Add each gradient to its node's `.grad`, in the node's own type, shape and dtype."""
    # Arrays that op nodes keep: a leaf must not share one (a rule may pass its g straight on).
    # Collected at the first array leaf, so that scalar mode never pays for it.
    handed_out: set[int] | None = None
    for node, grad in grads.items():
        data = node.data
        if type(data) is float:  # scalar mode, one node per number: the accumulation inlined
            old = node._grad
            grad = float(grad) if type(grad) is not float else grad
            node._grad = grad if old is None else old + grad
            continue
        if node.op is None:  # a leaf: give it an array of its own, in its dtype
            if handed_out is None:
                handed_out = {id(g) for n, g in grads.items() if n.op is not None}
            grad = np.asarray(grad)
            if grad.dtype != data.dtype:
                grad = grad.astype(data.dtype)
            elif id(grad) in handed_out or not (grad.flags.owndata and grad.flags.writeable):
                grad = grad.copy()
            handed_out.add(id(grad))
        node.accumulate_grad(grad)


def run_backward(
    output: Node, seed: Any, strategy: str | None, trace: bool = False
) -> BackwardStats:
    """Run one backward pass from `output` with the named (or default) strategy; commit `.grad`."""
    grads, stats = gradient_map(output, seed, strategy, trace)
    with _commit_lock:  # `old + new` per node: two threads' commits must not interleave
        commit(grads)
    return stats
