"""Errors minigrad raises, in one place so users can catch them by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def describe(node: Any) -> str:
    """One short, human name for a graph node: its label or op, and its shape."""
    if hasattr(getattr(node, "data", None), "parents"):  # a graph-building pass's view of a node
        node = node.data
    label = getattr(node, "label", "") or ""
    op = getattr(node, "op", None)
    name = label or (op.name if op is not None else "leaf")
    shape = getattr(node, "shape", None)
    return f"{name}{list(shape) if shape else ''}" if shape is not None else name


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, ValueError):
    """Operands whose shapes do not fit together; the message names both shapes."""


class CycleError(MinigradError, ValueError):
    """The graph has a cycle, so it has no topological order and no gradient.

    Attributes:
        nodes: the nodes on the cycle, each one a parent of the next (the last feeds the first).
    """

    def __init__(self, nodes: Sequence[Any]) -> None:
        self.nodes = list(nodes)
        path = " -> ".join(describe(n) for n in [*self.nodes, self.nodes[0]])
        super().__init__(
            f"the graph has a cycle of {len(self.nodes)} node(s): {path}. "
            "A computation graph must be acyclic: check for a node whose parents were rewired."
        )


class GraphTooDeepError(MinigradError, RecursionError):
    """A recursive walk went deeper than the recursion limit allows.

    Raised instead of a bare RecursionError by the recursive strategies (`naive`, `memoized`,
    `cycle_checked`); the message names the depth and the strategies that avoid the problem.
    """

    def __init__(self, strategy: str, depth: int, nodes: int) -> None:
        self.strategy = strategy
        self.depth = depth
        self.nodes = nodes
        if depth > nodes:
            cause = (
                f"the recursion went {depth} frames deep in a graph of only {nodes} nodes, "
                "so the graph has a cycle"
            )
        else:
            cause = f"the graph is deeper than the {depth} frames the walk may use"
        super().__init__(
            f"strategy {strategy!r} hit the recursion limit: {cause}. "
            "Use strategy='topological' (iterative, no depth limit) or "
            "strategy='cycle_checked' (names any cycle in a CycleError)."
        )


class PathExplosionError(MinigradError, RuntimeError):
    """`naive` refuses a graph whose path count predicts too many backward-rule calls."""

    def __init__(self, predicted_calls: int, cap: int) -> None:
        self.predicted_calls = predicted_calls
        self.cap = cap
        super().__init__(
            f"strategy 'naive' would call backward rules {predicted_calls:,} times "
            f"(one call per output-to-node path), above the cap of {cap:,}. "
            "Use a linear strategy ('memoized', 'cycle_checked', 'topological'), or lift the cap "
            "with minigrad.backward.naive.set_max_calls(n) or the MINIGRAD_NAIVE_MAX_CALLS "
            "environment variable."
        )


class UnknownStrategyError(MinigradError, ValueError):
    """A strategy name that is not registered; the message lists the known ones.

    Attributes:
        name: the name that was asked for.
        known: the registered names.
        variable: the environment variable the name came from (`MINIGRAD_STRATEGY`), or None.
    """

    def __init__(self, name: object, known: Sequence[str], *, variable: str | None = None) -> None:
        self.name = name
        self.known = tuple(known)
        self.variable = variable
        if variable is None:
            message = f"unknown backward strategy {name!r}; known strategies: {', '.join(known)}"
        else:
            message = (
                f"{variable}={name!r} is not a known strategy; known: {', '.join(known)}. "
                f"Set {variable} to one of them, or unset it for the built-in default."
            )
        super().__init__(message)


class CheckpointError(MinigradError, ValueError):
    """A file that `load` cannot read as a minigrad checkpoint: foreign, truncated or corrupted.

    The message names the file and what is wrong with it; nothing in the file was unpickled and
    the model was left unchanged.

    Attributes:
        path: the file, as given to `load`.
        reason: what is wrong with it, in a few words.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path!r} is not a minigrad checkpoint or is corrupted: {reason}. "
            "Checkpoints are the .npz files that Module.save writes."
        )


class AnomalyError(MinigradError, FloatingPointError):
    """Under `detect_anomaly()`, an op's forward or backward produced NaN or Inf.

    Attributes:
        op: the op's name.
        phase: "forward" or "backward".
        site: where in user code the node was made ("file:line in function").
    """

    def __init__(self, op: str, phase: str, shapes: Sequence[Any], site: str, note: str) -> None:
        self.op = op
        self.phase = phase
        self.site = site
        shown = ", ".join(str(tuple(s)) for s in shapes)
        super().__init__(
            f"{phase} of {op!r} produced NaN or Inf{note}; input shapes: {shown}; "
            f"the node was made at {site}"
        )


class SettingError(MinigradError, ValueError):
    """An environment variable minigrad reads holds a value it cannot use.

    Raised at first use, never at import: MINIGRAD_NAIVE_MAX_CALLS that is not a whole number
    >= 0. (A misspelt MINIGRAD_STRATEGY is an UnknownStrategyError.)
    """


class InplaceModificationError(MinigradError, RuntimeError):
    """Data a backward pass needs was changed in place after the graph was made.

    An optimizer step, `load_state_dict` or another update through minigrad (`bump_version`)
    changed the data of an input of `node` after `node` was made, so its backward rule would use
    the new data with the old graph (PyTorch: "modified by an inplace operation"). Nothing was
    written to any `.grad`.

    Attributes:
        node: the op node whose input changed.
        index: which of its inputs changed (0 for the first).
        changed: that input.
    """

    def __init__(self, node: Any, index: int, changed: Any) -> None:
        self.node = node
        self.index = index
        self.changed = changed
        super().__init__(
            f"input {index} ({describe(changed)}) of {describe(node)} was changed in place "
            "(an optimizer step, load_state_dict, bump_version) after the node was made, so its "
            "backward rule would use the new data: run the forward again after the update, or "
            "the backward before it. No .grad was changed."
        )


class GradientMapError(MinigradError, ValueError):
    """A user strategy returned a gradient map that cannot be committed.

    The whole map is checked before any `.grad` is written: every key must be a node of the
    graph being differentiated that requires a gradient, every gradient real numbers shaped like
    its node's data. Nothing was written to any `.grad`.

    Attributes:
        strategy: the strategy's registered name.
        problem: what is wrong, naming the node.
    """

    def __init__(self, strategy: str, problem: str) -> None:
        self.strategy = strategy
        self.problem = problem
        super().__init__(
            f"strategy {strategy!r} returned an unusable gradient map: {problem}. "
            "No .grad was changed."
        )


class RequiresGradError(MinigradError, RuntimeError):
    """`requires_grad` changed on a node an op made (only a leaf's flag can change).

    A node's flag was fixed when the graph was built; turning it off afterwards would silently
    drop the gradients of everything below it. Use `node.detach()` for a copy that is a constant.
    The walks raise it where they would skip such an input, before any `.grad` is written.

    Attributes:
        node: the op node whose flag was turned off.
        consumer: the node of the graph that takes it as an input.
    """

    def __init__(self, node: Any, consumer: Any) -> None:
        self.node = node
        self.consumer = consumer
        super().__init__(
            f"requires_grad was turned off on {describe(node)}, a node made by an op "
            f"(an input of {describe(consumer)}), after the graph was built: only a leaf's "
            "requires_grad can change, or the gradients below it would be silently "
            "dropped. Use node.detach() for a constant copy. No .grad was changed."
        )
