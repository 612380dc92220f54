"""The forward's record for the `tape` strategy: each thread's op nodes, in creation order.

A node is always made after its parents, so the order in which op nodes are made is already a
topological order (a Wengert list). While `tape` records — in a context where it is the default
strategy (`use_strategy`, `set_default_strategy`, or MINIGRAD_STRATEGY=tape for every context) —
the node constructor (`minigrad.value.apply`) appends a
weak reference to every op node it records to the current thread's list (kept in the context
variable that `no_grad()` sets, so the constructor reads one value for both); the `tape` walk
sweeps that list backwards. Weak references keep the record from holding any graph alive: a graph
the user drops is freed as it would be without the record, and its dead entries are dropped from
the list as it grows (in amortised constant time per node) and after every backward pass.
Nodes made under `no_grad()`, and constants, are not op nodes and are not recorded.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from minigrad.grad_mode import graph_state, set_graph_state

_MIN_LIMIT = 256  # the record compacts past max(this, twice its live entries)
_PROBES = 8  # entries `trim` looks at


class Entries(list[Any]):
    """A context's record: weak references to op nodes, oldest first; past `limit`, compact it.

    `active` says whether new op nodes are appended. A record that stops (the end of a
    `use_strategy("tape")` block) stays the context's state, so the graphs recorded in it can
    still be swept afterwards.
    """

    __slots__ = ("active", "limit")

    def __init__(self, items: Any = (), active: bool = True) -> None:
        super().__init__(items)
        self.limit = max(_MIN_LIMIT, 2 * len(self))
        self.active = active


new_entry = weakref.ref
"""Make a record entry for a node (a weak reference)."""


def append_node(record: Entries, node: Any) -> None:
    """Append an op node just made to the context's record, if it is active (compacting the
    record once it has outgrown its limit): the node constructor's one call per node in `tape`
    mode."""
    if record.active:
        record.append(new_entry(node))
        if len(record) > record.limit:
            compact()


records_by_default = False
"""Whether a context records before anything says otherwise: True when MINIGRAD_STRATEGY=tape
(set by the registry at import). `use_strategy("tape")` and `set_default_strategy("tape")` turn
recording on in their context either way."""


def start() -> Entries | bool:
    """The current context's state at its first op node: a new record, or True (no record)."""
    state: Entries | bool = Entries() if records_by_default else True
    set_graph_state(state)
    return state


def follow(records: bool) -> Callable[[], None]:
    """Record in the current context from now on, or stop; returns what undoes it (nothing
    inside `no_grad()`, which is left alone)."""
    state = graph_state()
    if isinstance(state, Entries):
        was = state.active
        state.active = records

        def restore() -> None:
            current = graph_state()
            if isinstance(current, Entries):  # (a compaction may have replaced the list)
                current.active = was

        return restore
    if records and state is not False:
        fresh = Entries()
        set_graph_state(fresh)

        def stop() -> None:
            current = graph_state()
            if isinstance(current, Entries):
                current.active = False

        return stop
    return _nothing


def _nothing() -> None:
    """Nothing to undo."""


def entries() -> Entries:
    """The current context's record (empty when it records none, or inside `no_grad()`)."""
    state = graph_state()
    return state if isinstance(state, Entries) else Entries()


def trim() -> None:
    """Compact this thread's record if it is mostly dead entries (the driver calls this after
    every backward pass, when the previous step's graph has usually just been freed).

    Eight evenly spaced entries are probed, so the check costs the same for any length; a
    compaction only happens when at least half the probes are dead, so each one removes about
    half of what it copies and, over a run, every entry is copied O(1) times.
    """
    record = graph_state()
    if not isinstance(record, Entries) or len(record) <= _MIN_LIMIT:
        return
    n = len(record)
    dead = sum(1 for i in range(0, n, n // _PROBES) if record[i]() is None)
    if 2 * dead >= _PROBES:
        compact()


def compact() -> Entries:
    """Drop the entries of freed nodes from this thread's record, into a NEW list (a sweep in
    progress keeps reading the old one), and return it. The next compaction waits until the
    record has doubled again, so each entry is copied O(1) times on average."""
    old = entries()
    fresh = Entries((entry for entry in old if entry() is not None), active=old.active)
    if isinstance(graph_state(), Entries):
        set_graph_state(fresh)
    return fresh
