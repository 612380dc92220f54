"""Backward strategies: the registry, the default, and the one driver that writes `.grad`.

A strategy is a walk `walk(root, seed, *, trace=None) -> WalkResult`: it returns a gradient map
and never writes `.grad`. `run_backward` seeds the walk, times it, and commits the map only after
the walk has finished, so a backward that fails leaves every `.grad` as it was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.backward.cycle_checked import cycle_checked as _cycle_checked
from minigrad.backward.graph import Node, WalkResult, consumers_of
from minigrad.backward.memoized import memoized as _memoized
from minigrad.backward.naive import naive as _naive
from minigrad.backward.topological import topological as _topological
from minigrad.backward.topological import topological_order
from minigrad.errors import ShapeError, UnknownStrategyError

Strategy = Callable[..., "WalkResult | Mapping[Any, Any]"]
"""`strategy(root, seed, *, trace=None) -> WalkResult`, or a bare gradient map (node -> gradient),
which is counted as a linear walk would count it (vjp_calls = op nodes in the map, max_depth 0)."""

BUILTIN_DEFAULT = "topological"

# The walks are imported under private names so that `minigrad.backward.naive` (etc.) stays the
# module, as error messages say (`minigrad.backward.naive.set_max_calls(n)`), not the function.
_registry: dict[str, Strategy] = {
    "naive": _naive,
    "memoized": _memoized,
    "cycle_checked": _cycle_checked,
    "topological": _topological,
}
_process_default = os.environ.get("MINIGRAD_STRATEGY", "").strip() or BUILTIN_DEFAULT
_context_default: ContextVar[str | None] = ContextVar("minigrad_strategy", default=None)


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
        visits: the nodes in the order the walk handled them, when `trace=True` was asked
            (not part of the stats' repr or equality; empty otherwise).
    """

    strategy: str
    vjp_calls: int
    nodes: int
    max_depth: int
    seconds: float
    visits: tuple[Any, ...] = field(default=(), repr=False, compare=False)


def available_strategies() -> tuple[str, ...]:
    """Names of the registered strategies, built-ins first."""
    return tuple(_registry)


def register_strategy(name: str, strategy: Strategy, *, replace: bool = False) -> None:
    """Register a walk under `name` so `backward(strategy=name)` and `use_strategy` can use it.

    Args:
        name: the strategy's name.
        strategy: `strategy(root, seed, *, trace=None) -> WalkResult`; a walk may also return
            a plain gradient map (node -> gradient), whose stats then count its op nodes.
        replace: allow replacing an existing registration (built-ins included).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a strategy name must be a non-empty string, got {name!r}")
    if not callable(strategy):
        raise TypeError(f"strategy {name!r} must be callable, got {type(strategy).__name__}")
    if name in _registry and not replace:
        raise ValueError(
            f"strategy {name!r} is already registered; pass replace=True to replace it"
        )
    _registry[name] = strategy


def unregister_strategy(name: str) -> None:
    """Remove a registered strategy (built-ins cannot be removed)."""
    if name in ("naive", "memoized", "cycle_checked", "topological"):
        raise ValueError(f"built-in strategy {name!r} cannot be removed")
    get_strategy(name)
    del _registry[name]


def get_strategy(name: str) -> Strategy:
    """The walk registered as `name`; UnknownStrategyError lists the known names."""
    try:
        return _registry[name]
    except (KeyError, TypeError):
        raise UnknownStrategyError(name, available_strategies()) from None


def get_default_strategy() -> str:
    """The strategy `backward()` uses when none is named, in the current thread/context.

    Raises:
        UnknownStrategyError: the default comes from a MINIGRAD_STRATEGY environment variable
            that names no registered strategy (checked here, at first use, not at import, so
            a strategy registered after import may be named there too).
    """
    name = _context_default.get()
    if name is not None:
        return name
    if _process_default not in _registry:
        raise UnknownStrategyError(
            _process_default, available_strategies(), variable="MINIGRAD_STRATEGY"
        )
    return _process_default


def set_default_strategy(name: str) -> None:
    """Set the default strategy for the current thread/context (other threads are unaffected).

    New threads start from MINIGRAD_STRATEGY, or "topological" when it is unset.
    """
    get_strategy(name)
    _context_default.set(name)


@contextmanager
def use_strategy(name: str) -> Iterator[str]:
    """Within the block, `backward()` uses `name` by default (in this thread/context only)."""
    get_strategy(name)
    token = _context_default.set(name)
    try:
        yield name
    finally:
        _context_default.reset(token)


def _seed_for(output: Any, seed: Any) -> Any:
    """The starting gradient d(output)/d(output): ones, or the user's seed checked and copied."""
    data = output.data
    if seed is None:
        if type(data) is float:
            return 1.0
        if data.size != 1:
            raise ValueError(
                f"backward() on an output of shape {data.shape} needs a seed gradient of that "
                f"shape, e.g. y.backward(np.ones({data.shape})); or reduce it first (y.sum())"
            )
        return np.ones_like(data)
    seed = getattr(seed, "data", seed) if type(seed).__name__ == "Value" else seed
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


def _commit(grads: dict[Any, Any]) -> None:
    """Add each gradient to its node's `.grad`, in the node's own type, shape and dtype."""
    # Arrays that op nodes keep: a leaf must not share one (a rule may pass its g straight on).
    # Collected at the first array leaf, so that scalar mode never pays for it.
    handed_out: set[int] | None = None
    for node, grad in grads.items():
        data = node.data
        if type(data) is float:
            if type(grad) is not float:
                grad = float(grad)
        elif node.op is None:  # a leaf: give it an array of its own, in its dtype
            if handed_out is None:
                handed_out = {id(g) for n, g in grads.items() if n.op is not None}
            grad = np.asarray(grad)
            if grad.dtype != data.dtype:
                grad = grad.astype(data.dtype)
            elif id(grad) in handed_out or not (grad.flags.owndata and grad.flags.writeable):
                grad = grad.copy()
            handed_out.add(id(grad))
        node.accumulate_grad(grad)


check_grads: Callable[[Any, dict[Any, Any]], None] | None = None
"""A hook that `detect_anomaly()` sets while it is active: `run_backward` calls it with the output
and the finished walk's gradient map before any `.grad` is written, so it may raise and leave
every gradient as it was. None (the default) costs one test per backward pass, nothing more."""


def _from_map(grads: Mapping[Any, Any], visits: list[Any] | None) -> WalkResult:
    """A user's walk that returns a bare gradient map: counted as a linear walk would count it."""
    calls = sum(1 for node in grads if node.op is not None)
    return WalkResult(dict(grads), calls, 0, visits or [])


def run_backward(
    output: Any, seed: Any, strategy: str | None, trace: bool = False
) -> BackwardStats:
    """Run one backward pass from `output` with the named (or default) strategy."""
    name = strategy if strategy is not None else get_default_strategy()
    walk = get_strategy(name)
    if not output.requires_grad:
        raise ValueError(
            "backward() on a Value that does not require a gradient: none of its inputs "
            "requires one, or it was computed under no_grad()"
        )
    start_grad = _seed_for(output, seed)
    visits: list[Any] | None = [] if trace else None
    started = time.perf_counter()
    result = walk(output, start_grad) if visits is None else walk(output, start_grad, trace=visits)
    seconds = time.perf_counter() - started
    if isinstance(result, Mapping):  # a bare gradient map
        result = _from_map(result, visits)
    if not isinstance(result, WalkResult):
        raise TypeError(
            f"strategy {name!r} must return a WalkResult or a gradient map (node -> gradient), "
            f"got {type(result).__name__}"
        )
    if check_grads is not None:  # anomaly mode: see check_grads above
        check_grads(output, result.grads)
    _commit(result.grads)
    return BackwardStats(
        name, result.vjp_calls, len(result.grads), result.max_depth, seconds, tuple(result.visits)
    )


__all__ = [
    "BUILTIN_DEFAULT",
    "BackwardStats",
    "Node",
    "Strategy",
    "WalkResult",
    "available_strategies",
    "consumers_of",
    "get_default_strategy",
    "get_strategy",
    "register_strategy",
    "run_backward",
    "set_default_strategy",
    "topological_order",
    "unregister_strategy",
    "use_strategy",
]
