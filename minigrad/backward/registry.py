"""Which walk `backward()` uses: the registry of strategies, and the default.

The default is, in order of precedence: a `use_strategy()` block or `set_default_strategy()` in
the current thread/context, then the MINIGRAD_STRATEGY environment variable read at import, then
"topological".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from minigrad.backward import recording
from minigrad.backward.cycle_checked import cycle_checked as _cycle_checked
from minigrad.backward.graph import WalkResult
from minigrad.backward.memoized import memoized as _memoized
from minigrad.backward.naive import naive as _naive
from minigrad.backward.tape import tape as _tape
from minigrad.backward.topological import topological as _topological
from minigrad.errors import UnknownStrategyError

Strategy = Callable[..., "WalkResult | Mapping[Any, Any]"]
"""`strategy(root, seed, *, trace=None) -> WalkResult`, or a bare gradient map (node -> gradient),
which is counted as a linear walk would count it (vjp_calls = op nodes in the map, max_depth 0)."""

BUILTIN_DEFAULT = "topological"

# The walks are imported under private names so that `minigrad.backward.naive` (etc.) stays the
# module, as error messages say (`minigrad.backward.naive.set_max_calls(n)`), not the function.
_BUILTINS: dict[str, Strategy] = {
    "naive": _naive,
    "memoized": _memoized,
    "cycle_checked": _cycle_checked,
    "topological": _topological,
    "tape": _tape,
}
_registry: dict[str, Strategy] = dict(_BUILTINS)
_process_default = os.environ.get("MINIGRAD_STRATEGY", "").strip() or BUILTIN_DEFAULT
_context_default: ContextVar[str | None] = ContextVar("minigrad_strategy", default=None)
RECORDING_STRATEGY = "tape"
"""The strategy that sweeps the forward's record: while it is the default, the forward records."""
recording.records_by_default = _process_default == RECORDING_STRATEGY


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
    if name in _BUILTINS:
        raise ValueError(f"built-in strategy {name!r} cannot be removed")
    get_strategy(name)
    del _registry[name]


def is_builtin(name: str) -> bool:
    """True when `name` is registered as one of minigrad's own walks (not replaced)."""
    return name in _BUILTINS and _registry.get(name) is _BUILTINS[name]


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
    recording.follow(name == RECORDING_STRATEGY)


@contextmanager
def use_strategy(name: str) -> Iterator[str]:
    """Within the block, `backward()` uses `name` by default (in this thread/context only)."""
    get_strategy(name)
    token = _context_default.set(name)
    undo = recording.follow(name == RECORDING_STRATEGY)
    try:
        yield name
    finally:
        undo()
        _context_default.reset(token)
