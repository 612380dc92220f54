"""The forward's record for the `tape` strategy: each thread's op nodes, in creation order.

A node is always made after its parents, so the order in which op nodes are made is already a
topological order (a Wengert list). The node constructor (`minigrad.value.apply`) appends a
weak reference to every op node it records to the current thread's list; the `tape` walk sweeps
that list backwards. Weak references keep the record from holding any graph alive: a graph the
user drops is freed as it would be without the record, and its dead entries are dropped from
the list as it grows (in amortised constant time per node) and after every backward pass.
Nodes made under `no_grad()`, and constants, are not op nodes and are not recorded.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_MIN_LIMIT = 256  # the record compacts past max(this, twice its live entries)
_PROBES = 8  # entries `trim` looks at


class Entries(list[Any]):
    """A thread's record: weak references to op nodes, oldest first; past `limit`, compact it."""

    __slots__ = ("limit",)

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self.limit = max(_MIN_LIMIT, 2 * len(self))


class PerThread(threading.local):
    """`current.entries` is the calling thread's record (each thread starts an empty one)."""

    def __init__(self) -> None:
        self.entries = Entries()


current = PerThread()
new_entry = weakref.ref
"""Make a record entry for a node (a weak reference)."""


def entries() -> Entries:
    """The current thread's record."""
    return current.entries


def trim() -> None:
    """Compact this thread's record if it is mostly dead entries (the driver calls this after
    every backward pass, when the previous step's graph has usually just been freed).

    Eight evenly spaced entries are probed, so the check costs the same for any length; a
    compaction only happens when at least half the probes are dead, so each one removes about
    half of what it copies and, over a run, every entry is copied O(1) times.
    """
    record = current.entries
    n = len(record)
    if n <= _MIN_LIMIT:
        return
    dead = sum(1 for i in range(0, n, n // _PROBES) if record[i]() is None)
    if 2 * dead >= _PROBES:
        compact()


def compact() -> Entries:
    """Drop the entries of freed nodes from this thread's record, into a NEW list (a sweep in
    progress keeps reading the old one), and return it. The next compaction waits until the
    record has doubled again, so each entry is copied O(1) times on average."""
    fresh = Entries(entry for entry in current.entries if entry() is not None)
    current.entries = fresh
    return fresh
