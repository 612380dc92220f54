"""`detect_anomaly()`: stop at the first op whose forward or backward produces NaN or Inf.

Off by default. It hooks in through the engine's observers (`minigrad.hooks`), which cost one
test of an empty list per node and per backward pass when nothing observes. Inside the context a
node observer checks every node the node constructor makes: its forward result at once; nodes
made inside the context remember where in user code they were made, and carry a checking copy of
their op, so a NaN in their backward rule is caught too, even if backward() runs after the block.

A backward observer checks every backward pass run inside the block whatever its nodes are,
wherever they were made: before any `.grad` is written,
the hook checks every gradient of the finished walk and, on NaN or Inf, replays the rules from
the output down to name the first one that produced it. A node made outside the block has no
recorded line (the error says so), and its forward result, computed before the block, was not
checked. A graph made and differentiated outside any block is not checked at all.

The switch is process-wide (every thread), because the hot path reads no per-thread flag.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from minigrad import hooks
from minigrad.backward import topological_order
from minigrad.errors import AnomalyError
from minigrad.ops import Op
from minigrad.value import Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_sites: WeakKeyDictionary[Value, str] = WeakKeyDictionary()
_checked_ops: dict[Op, Op] = {}
_UNRECORDED = "an unknown line (outside any detect_anomaly() block, so none was recorded)"


def _finite(x: Any) -> bool:
    if type(x) is float:
        return math.isfinite(x)
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

        _checked_ops[op] = Op(op.name, op.forward, vjp)  # its rule already unbroadcasts
    return _checked_ops[op]


def _check_node(out: Value, op: Op, parents: tuple[Value, ...]) -> None:
    """The node observer: refuse a non-finite forward result; make the node's rule checking."""
    if not _finite(out.data):
        bad_input = any(not _finite(p.data) for p in parents)
        note = " (an input already held NaN or Inf)" if bad_input else ""
        shapes = [np.shape(p.data) for p in parents]
        raise AnomalyError(op.name, "forward", shapes, _user_site(), note)
    if out.op is not None and out not in _sites:  # (nested blocks observe each node twice)
        out.op = _checked(out.op)
        _sites[out] = _user_site()


def _check_grads(root: Value, grads: dict[Any, Any]) -> None:
    """The backward driver's hook while detection is on: before any `.grad` is written, check
    every gradient of the finished walk; on NaN or Inf, name the first rule that produced one.

    Rules are replayed from the output down (each node after all of its consumers), so the first
    rule found returning NaN or Inf is one whose incoming gradient was finite, unless the seed was
    not. Rules of nodes made inside the block were already checked as the walk ran them.
    """
    if all(g is None or _finite(g) for g in grads.values()):
        return
    for node in reversed(topological_order(root)):
        g = grads.get(node)
        if node.op is None or g is None:
            continue
        for parent, grad in zip(node.parents, node.op.vjp(g, node), strict=True):
            if grad is not None and parent.requires_grad and not _finite(grad):
                note = "" if _finite(g) else " (the incoming gradient was already non-finite)"
                shapes = [np.shape(p.data) for p in node.parents]
                site = _sites.get(node, _UNRECORDED)
                raise AnomalyError(node.op.name, "backward", shapes, site, note)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise AnomalyError at the first NaN or Inf an op produces, naming the op and the line.

    Inside the block:

    - every node made is checked: its forward result at once, and its backward rule whenever it
      runs, even in a backward pass after the block;
    - every backward pass is checked, whatever its nodes are: before any `.grad` is written, its
      gradients are checked, and on NaN or Inf the error names the first backward rule (from the
      output down) that produced one, with its input shapes. For a node made outside the block,
      where it was made is unknown: `error.site` says so, and its forward result was not checked.

    A graph made and differentiated outside any block is not checked at all.

    Examples:
        >>> import numpy as np
        >>> import minigrad as mg
        >>> x = mg.Value(np.array([1.0, 2.0]))
        >>> with mg.detect_anomaly():  # doctest: +ELLIPSIS
        ...     y = (x * 0.0).log()  # log(0) is -inf
        Traceback (most recent call last):
            ...
        minigrad.errors.AnomalyError: forward of 'log' produced NaN or Inf; input shapes: (2,); ...

        A graph made before the block, differentiated inside it:

        >>> x = mg.Value(np.array([4.0, 0.0]))
        >>> y = (x**0.5).sum()  # the slope of sqrt at 0 is infinite
        >>> with mg.detect_anomaly():  # doctest: +ELLIPSIS
        ...     stats = y.backward()
        Traceback (most recent call last):
            ...
        minigrad.errors.AnomalyError: backward of 'pow' produced NaN or Inf; ... an unknown line ...
        >>> x.has_grad  # the failed backward wrote no gradient
        False
    """
    # np.errstate: the AnomalyError says it better than a warning
    with hooks.observing(node=_check_node, backward=_check_grads), np.errstate(all="ignore"):
        yield


def is_detecting() -> bool:
    """Whether a `detect_anomaly()` block is active anywhere in the process."""
    return _check_node in hooks.node_observers
