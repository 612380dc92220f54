"""`detect_anomaly()`: stop at the first op whose forward or backward produces NaN or Inf.

Off by default and free when off: entering the context swaps the node constructor of
`minigrad.value` for a checking one (and leaving swaps it back), so the normal hot path has no
extra test. Nodes made inside the context remember where in user code they were made, and carry
a checking copy of their op, so a NaN in their backward rule is caught too, even if backward()
runs after the block. The switch is process-wide (every thread), because the hot path reads no
per-thread flag.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from minigrad import value as value_module
from minigrad.errors import AnomalyError
from minigrad.ops import Op
from minigrad.value import Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_plain_node = value_module._node
_sites: WeakKeyDictionary[Value, str] = WeakKeyDictionary()
_checked_ops: dict[Op, Op] = {}
_lock = threading.Lock()
_depth = 0


def _finite(x: Any) -> bool:
    return bool(np.all(np.isfinite(x)))


def _user_site() -> str:
    """The innermost stack frame outside the minigrad package, as 'file:line in function'."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            code = f": {frame.line}" if frame.line else ""
            return f"{frame.filename}:{frame.lineno} in {frame.name}{code}"
    return "<unknown>"


def _checked(op: Op) -> Op:
    """A copy of `op` whose backward rule checks every gradient it returns."""
    if op not in _checked_ops:
        rule = op.vjp

        def vjp(g: Any, node: Any) -> tuple[Any, ...]:
            grads = rule(g, node)
            for grad in grads:
                if grad is not None and not _finite(grad):
                    note = "" if _finite(g) else " (the incoming gradient was already non-finite)"
                    shapes = [np.shape(p.data) for p in node.parents]
                    raise AnomalyError(op.name, "backward", shapes, _sites.get(node, "?"), note)
            return grads

        _checked_ops[op] = Op(op.name, op.forward, vjp)
    return _checked_ops[op]


def _checking_node(data: Any, parents: tuple[Value, ...], op: Op, saved: Any = None) -> Value:
    if not _finite(data):
        bad_input = any(not _finite(p.data) for p in parents)
        note = " (an input already held NaN or Inf)" if bad_input else ""
        shapes = [np.shape(p.data) for p in parents]
        raise AnomalyError(op.name, "forward", shapes, _user_site(), note)
    out = _plain_node(data, parents, op, saved)
    if out.op is not None:
        out.op = _checked(op)
        _sites[out] = _user_site()
    return out


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise AnomalyError at the first NaN or Inf an op produces, naming the op and the line.

    Examples:
        >>> import numpy as np
        >>> import minigrad as mg
        >>> x = mg.Value(np.array([1.0, 2.0]))
        >>> with mg.detect_anomaly():  # doctest: +ELLIPSIS
        ...     y = (x * 0.0).log()  # log(0) is -inf
        Traceback (most recent call last):
            ...
        minigrad.errors.AnomalyError: forward of 'log' produced NaN or Inf; input shapes: (2,); ...
    """
    global _depth
    with _lock:
        _depth += 1
        value_module._node = _checking_node
    try:
        with np.errstate(all="ignore"):  # the AnomalyError says it better than a warning
            yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                value_module._node = _plain_node


def is_detecting() -> bool:
    """Whether a `detect_anomaly()` block is active anywhere in the process."""
    return _depth > 0
