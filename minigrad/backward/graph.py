"""What every walk shares: the node protocol, the walk's result, and graph helpers.

Walks are typed against `Node`, not against `Value`, so a toy graph of any small class can
exercise them; none of this module (or any walk) imports `minigrad.value`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from minigrad.errors import RequiresGradError


class Operation(Protocol):
    """An op as a walk sees it: a name and a vector-Jacobian product (`minigrad.ops.Op`)."""

    @property
    def name(self) -> str: ...

    def vjp(self, grad: Any, node: Any) -> Sequence[Any]: ...


class Node(Protocol):
    """A graph node as a walk sees it.

    `parents` lists the nodes this one was computed from (with multiplicity); `op` is None for a
    leaf; `requires_grad` is False for constants, which walks neither enter nor give gradients.
    """

    @property
    def parents(self) -> tuple[Any, ...]: ...
    @property
    def op(self) -> Operation | None: ...
    @property
    def requires_grad(self) -> bool: ...


@dataclass
class WalkResult:
    """What a strategy returns: the gradient of the output with respect to every node reached.

    Attributes:
        grads: node -> gradient, keyed by node identity; the driver commits them to `.grad`.
        vjp_calls: how many times an op's backward rule ran.
        max_depth: the deepest recursion reached (1 for an iterative walk).
        visits: nodes in the order the walk handled them, when a trace was asked for.
    """

    grads: dict[Any, Any]
    vjp_calls: int
    max_depth: int
    visits: list[Any] = field(default_factory=list)


def consumers_of(root: Node) -> dict[Any, list[tuple[Any, int]]]:
    """Map each node that needs a gradient to the (consumer, argument position) pairs using it.

    Iterative (no recursion), linear in nodes plus edges, and safe on cycles: each node is
    expanded once. The root comes first and has no consumers.
    """
    consumers: dict[Any, list[tuple[Any, int]]] = {root: []}
    stack = [root]
    while stack:
        node = stack.pop()
        for position, parent in enumerate(node.parents):
            if not parent.requires_grad:
                if parent.op is not None:  # an op node's flag turned off by hand: refuse
                    raise RequiresGradError(parent, node)
                continue
            if parent in consumers:
                consumers[parent].append((node, position))
            else:
                consumers[parent] = [(node, position)]
                stack.append(parent)
    return consumers


def accumulate(grads: dict[Any, Any], node: Any, grad: Any) -> None:
    """grads[node] += grad, out of place (a rule may hand the same array to several parents)."""
    if node in grads:
        grads[node] = grads[node] + grad
    else:
        grads[node] = grad
