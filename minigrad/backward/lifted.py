"""The graph as a graph-building backward pass shows it to the rules (`create_graph=True`).

A backward rule reads `node.data` and its parents' `.data`. In a first-order pass those are raw
data, so the gradients it returns are raw data too. To differentiate the gradients again, the
rules must compute with the nodes themselves: then every gradient is a node of a new graph, made
by the same node constructor as any other. `lift(root)` wraps every node reachable from `root` in
a `Lifted` view whose `.data` is the node itself; everything else (parents, op, saved,
requires_grad) reads through. Any strategy walks the lifted graph unchanged — it is typed
against the same small `Node` protocol — so every strategy differentiates at every order.
"""

from __future__ import annotations

from typing import Any


class Lifted:
    """One node, as the rules see it in a graph-building pass: `.data` is the node itself."""

    __slots__ = ("_parents", "_views", "data", "op", "requires_grad", "saved")

    def __init__(self, node: Any, views: dict[int, Lifted]) -> None:
        self.data = node
        self.op = node.op
        self.saved = node.saved
        self.requires_grad = node.requires_grad
        self._views = views  # every view of this graph, by the id of the node it shows
        self._parents: tuple[Lifted, ...] | None = None

    @property
    def parents(self) -> tuple[Lifted, ...]:
        """The views of the node's parents (looked up once)."""
        if self._parents is None:
            self._parents = tuple(self._views[id(parent)] for parent in self.data.parents)
        return self._parents

    def __repr__(self) -> str:
        return f"Lifted({self.data!r})"


def lift(root: Any) -> Lifted:
    """A `Lifted` view of every node reachable from `root` (found iteratively)."""
    views: dict[int, Lifted] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in views:
            views[id(node)] = Lifted(node, views)
            stack.extend(node.parents)
    return views[id(root)]
