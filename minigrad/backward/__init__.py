"""Backward strategies: one walk per module, a registry that picks one, and the driver.

A strategy is a walk `walk(root, seed, *, trace=None) -> WalkResult`: it returns a gradient map
and never writes `.grad`.

- `registry`: the registered walks and the default (flag, context, environment);
- `driver`: `gradient_map` runs a walk and returns its map, touching no `.grad`;
  `run_backward` does the same and then commits the map to `.grad`;
- `graph`: the node protocol the walks are typed against, and shared graph helpers;
- `naive`, `memoized`, `cycle_checked`, `topological`: the walks themselves.
"""

from __future__ import annotations

from minigrad.backward.driver import BackwardStats, gradient_map, run_backward
from minigrad.backward.graph import Node, WalkResult, consumers_of
from minigrad.backward.naive import get_max_calls as naive_max_calls
from minigrad.backward.naive import predict_calls as predict_naive_calls
from minigrad.backward.registry import (
    BUILTIN_DEFAULT,
    Strategy,
    available_strategies,
    get_default_strategy,
    get_strategy,
    register_strategy,
    set_default_strategy,
    unregister_strategy,
    use_strategy,
)
from minigrad.backward.topological import topological_order

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
    "gradient_map",
    "naive_max_calls",
    "predict_naive_calls",
    "register_strategy",
    "run_backward",
    "set_default_strategy",
    "topological_order",
    "unregister_strategy",
    "use_strategy",
]
