"""Fuzzing: random op chains on random shapes, valid and invalid.

A chain starts from a leaf and applies random ops (elementwise exp log tanh sigmoid relu softplus
abs sqrt sin cos exp2 log1p expm1 sign and negation, clip; `+ - * / **` with other Values, Python
and numpy numbers and arrays, on either side; `@`; `nn.functional.linear` (x @ W.T + b);
sum/mean/max/min/prod/logsumexp with axis and keepdims; var and std with ddof; cumsum; softmax and
log_softmax; reshape, ravel, flatten, squeeze, expand_dims, swapaxes; transpose; indexing; and
the functions maximum, minimum, where, concatenate, stack, einsum, dot and outer, spelled `mg.f`
or numpy's `np.f` on Values), sometimes reusing an earlier node, so chains are DAGs. A chain is
generated statically: each node's shape is computed with numpy on dummy arrays and each node's
values are bounded by interval arithmetic, so guards
(`tanh` before `exp`, `x*x + 0.5` before `log`, `1.5 + tanh(x)` before a division) are part of the
program itself and every framework runs exactly the same program.

- Valid chains: the forward values and shapes match numpy, and every leaf's gradient matches HIPS
  autograd (the oracle) under every built-in strategy; every node's `.grad` has its data's shape
  and dtype; no numpy warning is raised anywhere (floating-point errors are turned into errors).
  Where autograd itself fails on a valid program (it cannot add an index's gradient to a 0-d
  gradient that is a numpy scalar: x[()] + x + x), the gradients are checked against central
  differences of the same program in numpy instead (a hypothesis event counts how often).
- Invalid chains: a valid prefix, then one invalid op (shapes that do not broadcast, a matmul whose
  inner sizes differ, a bad axis, reshape or index, an operand of an unsupported type, a wrong
  seed for backward). It raises ValueError or TypeError of minigrad's or Python's own type (never
  a numpy exception class), whose message names the shapes or types involved, from no backward
  rule, and it leaves every `.grad` untouched and the prefix still differentiable.

`HYPOTHESIS_PROFILE=thorough` runs 10,000 chains per test.
"""

from __future__ import annotations

import dataclasses
import math
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import event, example, given, note, reject
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    BUILTIN_STRATEGIES,
    OPERATORS,
    arrays_of,
    close,
    expected_vjp_calls,
    shapes,
    small_floats,
)

import minigrad as mg
from minigrad.nn.functional import linear
from minigrad.value import bump_version

try:
    import autograd.numpy as anp
    from autograd import grad as ag_grad
    from autograd.scipy.special import logsumexp as ag_logsumexp
except ImportError:  # pragma: no cover - autograd is in the dev extra
    anp = None
    ag_grad = None
    ag_logsumexp = None

STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)
MAX_SIZE = 48  # elements per node: keeps every chain cheap
LIMIT = 20.0  # a node whose values may leave [-LIMIT, LIMIT] is tamed with tanh
NAIVE_MAX_CALLS = 4000  # skip `naive` on the rare chain with more paths than that
RTOL = 1e-8
FD_RTOL = 1e-6  # central differences, where autograd cannot run the program
FD_STEP = 1e-3  # their step, relative to the input's size (Richardson-extrapolated: error h^4)


# -- the program -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Info:
    """What the generator knows about a node: shape, mode and bounds on its values."""

    shape: tuple[int, ...]
    scalar: bool  # Python-float data (scalar mode)
    lo: float
    hi: float
    needs_grad: bool = True  # some leaf that requires a gradient feeds it

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def bound(self) -> float:
        return max(abs(self.lo), abs(self.hi))


@dataclass(frozen=True)
class Step:
    """One op. `args` are node indices; `const` is a number/array operand (with one arg).

    op is one of: leaf (param: which leaf), unary (param: name), binary (param: (symbol,
    reflected)), linear (args: x, weight and maybe bias), reduce (param: (name, axis,
    keepdims)), reshape (param: (shape, style)), transpose (param: (axes, style)), index
    (param: the index), clip (param: (lo, hi)), scan (param: cumsum's axis), stat (param: (name,
    axis, ddof, keepdims)), softmax (param: (name, axis)), reshape2 (param: (name, args)), pair
    (args: x and maybe y; param: (name, threshold, style)), join (args: the nodes, const: maybe
    an array joined last; param: (name, axis, style)), einsum (args: x and maybe y; param: (spec,
    style)).
    """

    op: str
    args: tuple[int, ...]
    param: Any = None
    const: Any = None

    def __repr__(self) -> str:
        const = "" if self.const is None else f", const={self.const!r}"
        return f"Step({self.op}, {self.args}, {self.param!r}{const})"


@dataclass(frozen=True)
class Chain:
    """Leaves (data, requires_grad), steps, the predicted Info of every node, and the seed."""

    leaves: tuple[tuple[Any, bool], ...]
    steps: tuple[Step, ...]
    infos: tuple[Info, ...]
    seed: Any  # None: differentiate sum(last) (or last itself in scalar mode)


class MG:
    """How a step runs on minigrad Values."""

    @staticmethod
    def const(c: Any) -> Any:
        return c

    @staticmethod
    def unary(x: Any, name: str) -> Any:
        return -x if name == "neg" else getattr(x, name)()

    @staticmethod
    def reduce(x: Any, name: str, axis: Any, keepdims: bool) -> Any:
        return getattr(x, name)(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...], style: str) -> Any:
        return x.reshape(*shape) if style == "args" else x.reshape(shape)

    @staticmethod
    def transpose(x: Any, axes: tuple[int, ...] | None, style: str) -> Any:
        if style == "T":
            return x.T
        if axes is None:
            return x.transpose()
        return x.transpose(*axes) if style == "args" else x.transpose(axes)

    @staticmethod
    def sum(x: Any) -> Any:
        return x.sum()

    @staticmethod
    def linear(x: Any, w: Any, b: Any) -> Any:
        return linear(x, w, b)

    @staticmethod
    def clip(x: Any, lo: Any, hi: Any) -> Any:
        return x.clip(lo, hi)

    @staticmethod
    def cumsum(x: Any, axis: Any) -> Any:
        return x.cumsum(axis)

    @staticmethod
    def stat(x: Any, name: str, axis: Any, ddof: int, keepdims: bool) -> Any:
        return getattr(x, name)(axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def softmax(x: Any, name: str, axis: int) -> Any:
        return getattr(x, name)(axis)

    @staticmethod
    def reshape2(x: Any, name: str, args: tuple[Any, ...]) -> Any:
        return getattr(x, name)(*args)

    @staticmethod
    def pair(x: Any, y: Any, name: str, threshold: float, style: str) -> Any:
        space: Any = np if style == "numpy" else mg  # numpy's spelling dispatches to minigrad
        if name == "where":
            return space.where(x > threshold, x, y)
        return getattr(space, name)(x, y)

    @staticmethod
    def join(items: list[Any], name: str, axis: Any, style: str) -> Any:
        space: Any = np if style == "numpy" else mg
        return getattr(space, name)(items, axis=axis)

    @staticmethod
    def einsum(x: Any, y: Any, spec: str, style: str) -> Any:
        space: Any = np if style == "numpy" else mg
        if spec in ("dot", "outer"):
            return getattr(space, spec)(x, y)
        return space.einsum(spec, x, y)


def _normal_axes(axis: Any, ndim: int) -> Any:
    """Axes made non-negative: autograd's transpose rule argsorts the axes as given."""
    if axis is None or ndim == 0:
        return axis
    if isinstance(axis, int):
        return axis % ndim
    return tuple(a % ndim for a in axis)


class AG:
    """The same steps with autograd.numpy (or plain numpy for a forward pass)."""

    @staticmethod
    def const(c: Any) -> Any:
        return np.asarray(c) if isinstance(c, list) else c  # autograd's rules need arrays

    @staticmethod
    def sigmoid(x: Any) -> Any:
        # minigrad's own stable formula, so forward values agree bit for bit (kinks downstream
        # of a sigmoid then agree too); both branches are finite for |x| <= LIMIT.
        return anp.where(x >= 0, 1.0 / (1.0 + anp.exp(-x)), anp.exp(x) / (1.0 + anp.exp(x)))

    @staticmethod
    def unary(x: Any, name: str) -> Any:
        if name == "neg":
            return -x
        if name == "relu":
            return anp.where(x > 0, x, 0.0)
        if name == "softplus":
            return anp.logaddexp(0.0, x)
        if name == "sigmoid":
            return AG.sigmoid(x)
        return getattr(anp, name)(x)

    @staticmethod
    def reduce(x: Any, name: str, axis: Any, keepdims: bool) -> Any:
        if axis == ():  # reduces nothing: autograd's rules assume at least one axis
            return x
        axis = _normal_axes(axis, anp.ndim(x))
        if name == "logsumexp":
            return ag_logsumexp(x, axis=axis, keepdims=keepdims)
        return getattr(anp, name)(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...], style: str) -> Any:
        return anp.reshape(x, shape)

    @staticmethod
    def transpose(x: Any, axes: tuple[int, ...] | None, style: str) -> Any:
        return anp.transpose(x, None if style == "T" else _normal_axes(axes, anp.ndim(x)))

    @staticmethod
    def sum(x: Any) -> Any:
        return anp.sum(x)

    @staticmethod
    def linear(x: Any, w: Any, b: Any) -> Any:
        out = anp.matmul(x, anp.swapaxes(w, -1, -2))
        return out if b is None else out + b

    @staticmethod
    def clip(x: Any, lo: Any, hi: Any) -> Any:
        return anp.clip(x, lo, hi)

    @staticmethod
    def cumsum(x: Any, axis: Any) -> Any:
        return anp.cumsum(x, axis=axis)

    @staticmethod
    def stat(x: Any, name: str, axis: Any, ddof: int, keepdims: bool) -> Any:
        axis = _normal_axes(axis, anp.ndim(x))
        return getattr(anp, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def softmax(x: Any, name: str, axis: int) -> Any:
        shifted = x - anp.max(x, axis=axis, keepdims=True)
        total = anp.sum(anp.exp(shifted), axis=axis, keepdims=True)
        return anp.exp(shifted) / total if name == "softmax" else shifted - anp.log(total)

    @staticmethod
    def reshape2(x: Any, name: str, args: tuple[Any, ...]) -> Any:
        if name in ("ravel", "flatten"):
            return anp.ravel(x)
        return getattr(anp, name)(x, *args)

    @staticmethod
    def pair(x: Any, y: Any, name: str, threshold: float, style: str) -> Any:
        if name == "where":  # autograd's where does not undo broadcasting: broadcast first
            zeros = np.zeros(np.broadcast_shapes(anp.shape(x), anp.shape(y)))
            return anp.where(x > threshold, x + zeros, y + zeros)
        return getattr(anp, name)(x, y)

    @staticmethod
    def join(items: list[Any], name: str, axis: Any, style: str) -> Any:
        if axis is None:  # autograd's concatenate needs an axis: join the flattened items
            return anp.concatenate([anp.ravel(item) for item in items])
        return getattr(anp, name)(items, axis=axis)

    @staticmethod
    def einsum(x: Any, y: Any, spec: str, style: str) -> Any:
        if spec == "outer":  # autograd's rule returns the flattened gradient of an N-d x
            return anp.outer(anp.ravel(x), anp.ravel(y))
        if spec == "dot":
            return anp.dot(x, y)
        return anp.einsum(spec, x, y)


def run_steps(ns: Any, leaves: Sequence[Any], steps: Sequence[Step]) -> list[Any]:
    """Apply the steps in namespace `ns` (MG or AG); returns every node, leaves included."""
    nodes: list[Any] = []
    for step in steps:
        if step.op == "leaf":
            nodes.append(leaves[step.param])
            continue
        x = nodes[step.args[0]]
        if step.op == "unary":
            out = ns.unary(x, step.param)
        elif step.op == "binary":
            symbol, reflected = step.param
            y = nodes[step.args[1]] if len(step.args) > 1 else ns.const(step.const)
            out = OPERATORS[symbol](y, x) if reflected else OPERATORS[symbol](x, y)
        elif step.op == "reduce":
            out = ns.reduce(x, *step.param)
        elif step.op == "reshape":
            out = ns.reshape(x, *step.param)
        elif step.op == "transpose":
            out = ns.transpose(x, *step.param)
        elif step.op == "linear":
            bias = nodes[step.args[2]] if len(step.args) > 2 else None
            out = ns.linear(x, nodes[step.args[1]], bias)
        elif step.op == "clip":
            out = ns.clip(x, *step.param)
        elif step.op == "scan":
            out = ns.cumsum(x, step.param)
        elif step.op == "stat":
            out = ns.stat(x, *step.param)
        elif step.op == "softmax":
            out = ns.softmax(x, *step.param)
        elif step.op == "reshape2":
            out = ns.reshape2(x, *step.param)
        elif step.op in ("pair", "einsum"):
            y = nodes[step.args[1]] if len(step.args) > 1 else ns.const(step.const)
            out = ns.pair(x, y, *step.param) if step.op == "pair" else ns.einsum(x, y, *step.param)
        elif step.op == "join":
            items = [nodes[k] for k in step.args]
            if step.const is not None:
                items.append(ns.const(step.const))
            out = ns.join(items, *step.param)
        else:
            out = x[step.param]
        nodes.append(out)
    return nodes


def final(ns: Any, chain: Chain, last: Any) -> Any:
    """What backward starts from: the last node (scalar mode), its sum, or sum(last * seed)."""
    if chain.seed is not None and ns is AG:
        return anp.sum(last * chain.seed)
    if chain.seed is not None or chain.infos[-1].scalar:
        return last
    return ns.sum(last)


def mg_leaves(chain: Chain) -> list[mg.Value]:
    return [
        mg.Value(data, label=f"leaf{i}", requires_grad=r)
        for i, (data, r) in enumerate(chain.leaves)
    ]


# -- generating chains -------------------------------------------------------------------------


def _interval(values: Sequence[float]) -> tuple[float, float]:
    return min(values), max(values)


def _product(a: Info, lo: float, hi: float) -> tuple[float, float]:
    return _interval([x * y for x in (a.lo, a.hi) for y in (lo, hi)])


def _int_power(lo: float, hi: float, n: int) -> tuple[float, float]:
    if n % 2 == 1 or lo >= 0:
        return lo**n, hi**n
    if hi <= 0:
        return hi**n, lo**n
    return 0.0, max(-lo, hi) ** n


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


UNARY_BOUNDS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "relu": lambda x: max(x, 0.0),
    "sqrt": math.sqrt,
    "exp2": lambda x: 2.0**x,
    "log1p": math.log1p,
    "expm1": math.expm1,
    "sign": lambda x: float(np.sign(x)),
}
"""Monotone elementwise functions: the images of the ends bound the image of an interval."""


def _abs_bounds(lo: float, hi: float) -> tuple[float, float]:
    top = max(abs(lo), abs(hi))
    return (0.0, top) if lo <= 0.0 <= hi else (min(abs(lo), abs(hi)), top)


OTHER_BOUNDS: dict[str, Callable[[float, float], tuple[float, float]]] = {
    "abs": _abs_bounds,
    "sin": lambda lo, hi: (-1.0, 1.0),
    "cos": lambda lo, hi: (-1.0, 1.0),
}
UNARY = (*UNARY_BOUNDS, *OTHER_BOUNDS, "neg")
CLIP_BOUNDS = (-1.1371, -0.3183, 0.2718, 1.4142)  # numbers no drawn value is likely to equal


@st.composite
def numbers(draw: st.DrawFn, kind: str) -> Any:
    """A Python or numpy number operand: any in [-2, 2], nonzero (|c| >= 0.5) or positive."""
    if kind == "any":
        value = draw(st.one_of(st.integers(-3, 3), small_floats))
    elif kind == "nonzero":
        value = draw(st.sampled_from([-1, 1])) * draw(st.floats(0.5, 2.0))
        value = draw(st.sampled_from([value, round(value) or 1]))
    else:
        value = draw(st.one_of(st.floats(0.5, 2.5), st.integers(1, 2)))
    wrap = draw(st.sampled_from(["python", "float64", "int64"]))
    if wrap == "float64":
        return np.float64(value)
    if wrap == "int64" and float(value).is_integer():
        return np.int64(value)
    return value


def _elements(kind: str) -> st.SearchStrategy[float]:
    if kind == "any":
        return small_floats
    if kind == "nonzero":
        return st.tuples(st.sampled_from([-1.0, 1.0]), st.floats(0.5, 2.0)).map(
            lambda p: p[0] * p[1]
        )
    return st.floats(0.5, 2.0)


class Builder:
    """Builds a chain step by step, tracking each node's Info, inserting the guards it needs."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.leaves: list[tuple[Any, bool]] = []
        self.infos: list[Info] = []
        self.steps: list[Step] = []

    # nodes

    def leaf(self, shape: tuple[int, ...] | None, kind: str = "any") -> int:
        """A new leaf: a Python float when shape is None, else an array of that shape."""
        if shape is None:
            data: Any = self.draw(_elements(kind))
            lo = hi = float(data)
        else:
            data = self.draw(arrays_of(shape, _elements(kind)))
            lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
        requires_grad = not self.leaves or self.draw(st.booleans())
        self.leaves.append((data, requires_grad))
        info = Info(() if shape is None else shape, shape is None, lo, hi, requires_grad)
        return self.emit(Step("leaf", (), len(self.leaves) - 1), info)

    def emit(self, step: Step, info: Info) -> int:
        self.steps.append(step)
        self.infos.append(info)
        return len(self.infos) - 1

    def like(self, i: int, lo: float, hi: float) -> Info:
        """Node i's shape and mode, with new bounds (an elementwise op's result)."""
        a = self.infos[i]
        return Info(a.shape, a.scalar, lo, hi, a.needs_grad)

    def unary(self, i: int, name: str) -> int:
        a = self.infos[i]
        if name == "neg":
            return self.emit(Step("unary", (i,), name), self.like(i, -a.hi, -a.lo))
        if name in OTHER_BOUNDS:
            return self.emit(
                Step("unary", (i,), name), self.like(i, *OTHER_BOUNDS[name](a.lo, a.hi))
            )
        f = UNARY_BOUNDS[name]
        return self.emit(Step("unary", (i,), name), self.like(i, f(a.lo), f(a.hi)))

    def const_op(self, i: int, symbol: str, c: Any, reflected: bool = False) -> int:
        """x op c (or c op x) with a number c; the interval of c is [c, c]."""
        a = self.infos[i]
        lo, hi = _const_bounds(symbol, a, float(c), float(c), reflected)
        return self.emit(Step("binary", (i,), (symbol, reflected), c), self.like(i, lo, hi))

    # guards

    def tame(self, i: int, bound: float = LIMIT) -> int:
        return self.unary(i, "tanh") if self.infos[i].bound > bound else i

    def positive(self, i: int) -> int:
        """i itself if its values are >= 0.25, else x*x + 0.5 (x used twice)."""
        a = self.infos[i]
        if a.lo >= 0.25:
            return i
        lo, hi = _int_power(a.lo, a.hi, 2)
        square = self.emit(Step("binary", (i, i), ("*", False)), self.like(i, lo, hi))
        return self.const_op(square, "+", 0.5)

    def nonzero(self, i: int) -> int:
        """i itself if its values stay away from 0 (|x| >= 0.5), else 1.5 + tanh(x)."""
        a = self.infos[i]
        if a.lo >= 0.5 or a.hi <= -0.5:
            return i
        return self.const_op(self.unary(i, "tanh"), "+", 1.5, reflected=True)

    # steps

    def step(self, i: int) -> int:
        """One random op on node i (plus its guards); returns the new node."""
        draw = self.draw
        a = self.infos[i]
        kinds = ["unary", "unary", "binary_node", "binary_const", "pow", "reduce", "reshape"]
        kinds += ["clip", "pair", "join"]
        if not a.scalar:
            kinds += ["transpose", "index", "binary_array", "scan", "reshape2"]
            if a.size >= 2:
                kinds.append("stat")
            if a.shape:
                kinds += ["matmul", "matmul", "linear", "softmax"]
                if len(a.shape) <= 3:
                    kinds.append("einsum")
        kind = draw(st.sampled_from(kinds))
        if kind == "unary":
            name = draw(st.sampled_from(UNARY))
            if name in ("exp", "exp2", "expm1"):
                i = self.tame(i, 3.0)
            elif name in ("log", "sqrt", "log1p"):
                i = self.positive(i)
            return self.tame(self.unary(i, name))
        more: dict[str, Callable[[int], int]] = {
            "clip": self.clip,
            "pair": self.pair,
            "join": self.join,
            "scan": self.scan,
            "stat": self.stat,
            "softmax": self.softmax,
            "reshape2": self.reshape2,
            "einsum": self.einsum,
        }
        if kind in more:
            return self.tame(more[kind](i))
        if kind == "binary_const":
            return self.tame(self.binary_const(i))
        if kind == "binary_array":
            return self.tame(self.binary_array(i))
        if kind == "binary_node":
            return self.tame(self.binary_node(i))
        if kind == "pow":
            return self.tame(self.pow(i))
        if kind == "matmul":
            return self.tame(self.matmul(i))
        if kind == "linear":
            return self.tame(self.linear(i))
        if kind == "reduce":
            return self.tame(self.reduce(i))
        if kind == "reshape":
            return self.reshape(i)
        if kind == "transpose":
            return self.transpose(i)
        return self.index(i)

    def binary_const(self, i: int) -> int:
        draw = self.draw
        symbol = draw(st.sampled_from(["+", "-", "*", "/"]))
        reflected = draw(st.booleans())
        if symbol == "/" and reflected:
            i = self.nonzero(i)
        c = draw(numbers("nonzero" if symbol == "/" and not reflected else "any"))
        return self.const_op(i, symbol, c, reflected)

    def _other_shape(self, i: int) -> tuple[int, ...]:
        """A shape that broadcasts with node i's without growing past MAX_SIZE."""
        shape = self.infos[i].shape
        other = self.draw(hnp.broadcastable_shapes(shape, max_dims=3, max_side=4))
        if math.prod(np.broadcast_shapes(shape, other)) > MAX_SIZE:
            return shape[-1:]
        return other

    def binary_array(self, i: int) -> int:
        draw = self.draw
        symbol = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        reflected = draw(st.booleans())
        kind = "any"
        if symbol == "/":
            if reflected:
                i = self.nonzero(i)
            else:
                kind = "nonzero"
        elif symbol == "**":
            if reflected:  # c ** x: c > 0, x small
                i, kind = self.tame(i, 3.0), "positive"
            else:  # x ** c: x > 0
                i = self.positive(i)
        a = self.infos[i]
        shape = self._other_shape(i)
        c = draw(arrays_of(shape, _elements(kind)))
        out_shape = np.broadcast_shapes(a.shape, shape)
        lo, hi = _const_bounds(symbol, a, float(c.min()), float(c.max()), reflected)
        as_list = not reflected and c.ndim == 1 and draw(st.booleans())
        const = c.tolist() if as_list else c
        step = Step("binary", (i,), (symbol, reflected), const)
        return self.emit(step, Info(out_shape, False, lo, hi, a.needs_grad))

    def binary_node(self, i: int) -> int:
        """x op y for another Value y: an earlier node that broadcasts with x, or a new leaf."""
        draw = self.draw
        a = self.infos[i]
        symbol = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        fits = [
            j
            for j, b in enumerate(self.infos)
            if _broadcasts(a.shape, b.shape)
            and math.prod(np.broadcast_shapes(a.shape, b.shape)) <= max(MAX_SIZE, a.size)
        ]
        if draw(st.booleans()):
            j = draw(st.sampled_from(fits))  # i itself is always among them
        else:
            new_shape = None if a.scalar and draw(st.booleans()) else self._other_shape(i)
            kind = {"/": "nonzero", "**": "any"}.get(symbol, "any")
            j = self.leaf(new_shape, kind)
        if symbol == "/":
            j = self.nonzero(j)
        elif symbol == "**":
            i, j = self.positive(i), self.tame(j, 3.0)
        a, b = self.infos[i], self.infos[j]
        lo, hi = _const_bounds(symbol, a, b.lo, b.hi, False)
        shape = np.broadcast_shapes(a.shape, b.shape)
        info = Info(shape, a.scalar and b.scalar, lo, hi, a.needs_grad or b.needs_grad)
        return self.emit(Step("binary", (i, j), (symbol, False)), info)

    def pow(self, i: int) -> int:
        draw = self.draw
        form = draw(st.sampled_from(["int", "float", "rpow"]))
        if form == "int":  # any base, a small natural exponent
            n = draw(st.integers(1, 3))
            a = self.infos[i]
            lo, hi = _int_power(a.lo, a.hi, n)
            return self.emit(Step("binary", (i,), ("**", False), n), self.like(i, lo, hi))
        if form == "float":
            i = self.positive(i)
            n = draw(st.sampled_from([-2, -1, -0.5, 0, 0.5, 1.5, 2.5]))
            return self.const_op(i, "**", float(n) if draw(st.booleans()) else n)
        c = draw(numbers("positive"))
        return self.const_op(self.tame(i, 3.0), "**", c, reflected=True)

    def matmul(self, i: int) -> int:
        draw = self.draw
        a = self.infos[i]
        reflected = draw(st.booleans())
        k = a.shape[-2] if reflected and len(a.shape) >= 2 else a.shape[-1 if not reflected else 0]
        m = draw(st.integers(1, 4))
        form = draw(st.sampled_from(["vector", "matrix", "batch"]))
        if form == "vector":
            other: tuple[int, ...] = (k,)
        elif form == "matrix":
            other = (m, k) if reflected else (k, m)
        else:
            batch = draw(st.integers(1, 3))
            other = (batch, m, k) if reflected else (batch, k, m)
        try:
            left, right = (other, a.shape) if reflected else (a.shape, other)
            out_shape = np.matmul(np.zeros(left), np.zeros(right)).shape
        except ValueError:  # batch sizes that do not broadcast: a plain matrix instead
            other = (m, k) if reflected else (k, m)
            left, right = (other, a.shape) if reflected else (a.shape, other)
            out_shape = np.matmul(np.zeros(left), np.zeros(right)).shape
        if math.prod(out_shape) > MAX_SIZE or len(out_shape) > 4:
            return self.unary(i, "tanh")
        if draw(st.booleans()):
            j = self.leaf(other)
            b = self.infos[j]
            bound = k * a.bound * b.bound
            step = Step("binary", (j, i) if reflected else (i, j), ("@", False))
        else:
            c = draw(arrays_of(other))
            bound = k * a.bound * float(np.max(np.abs(c)))
            step = Step("binary", (i,), ("@", reflected), c)
        return self.emit(step, Info(out_shape, False, -bound, bound, a.needs_grad))

    def linear(self, i: int) -> int:
        """x @ W.T (+ b) with new leaves W (m, k) and b (m,): one fused node for 1-d and 2-d x."""
        a = self.infos[i]
        m = self.draw(st.integers(1, 4))
        out_shape = (*a.shape[:-1], m)
        if math.prod(out_shape) > MAX_SIZE:
            return self.unary(i, "tanh")
        w = self.leaf((m, a.shape[-1]))
        bound = a.shape[-1] * a.bound * self.infos[w].bound
        args: tuple[int, ...] = (i, w)
        if self.draw(st.booleans()):
            b = self.leaf((m,))
            bound += self.infos[b].bound
            args = (i, w, b)
        return self.emit(Step("linear", args), Info(out_shape, False, -bound, bound, a.needs_grad))

    def reduce(self, i: int) -> int:
        draw = self.draw
        a = self.infos[i]
        names = ["sum", "mean", "max", "min", "prod"]
        if a.shape:  # scipy's logsumexp gives a number with keepdims the shape (1,)
            names.append("logsumexp")
        name = draw(st.sampled_from(names))
        if name == "prod":  # away from 0 (autograd's prod divides by x) and from overflow
            i = self.nonzero(self.tame(i, 2.5))
            a = self.infos[i]
        axis = None if a.scalar or not a.shape else draw(st.none() | axes_for(len(a.shape)))
        keepdims = draw(st.booleans())
        out_shape = np.sum(np.zeros(a.shape), axis=axis, keepdims=keepdims).shape
        count = a.size // max(1, math.prod(out_shape))
        if name == "sum":
            lo, hi = count * a.lo, count * a.hi
        elif name == "prod":
            hi = a.bound**count
            lo = a.lo**count if a.lo > 0 else -hi
        elif name == "logsumexp":
            lo, hi = a.lo, a.hi + math.log(max(count, 1))
        else:
            lo, hi = a.lo, a.hi
        info = Info(out_shape, False, lo, hi, a.needs_grad)
        return self.emit(Step("reduce", (i,), (name, axis, keepdims)), info)

    def clip(self, i: int) -> int:
        """clip with odd constant bounds (either may be None): no value sits on a bound."""
        draw = self.draw
        lo, hi = sorted(draw(st.lists(st.sampled_from(CLIP_BOUNDS), min_size=2, max_size=2)))
        lo, hi = draw(st.sampled_from([(lo, hi), (lo, None), (None, hi)]))
        a = self.infos[i]
        low, high = (float(np.clip(x, lo, hi)) for x in (a.lo, a.hi))  # clip is monotone
        return self.emit(Step("clip", (i,), (lo, hi)), self.like(i, low, high))

    def pair(self, i: int) -> int:
        """maximum, minimum or where(x > t, x, y) with an earlier node, a new leaf or a constant."""
        draw = self.draw
        a = self.infos[i]
        name = draw(st.sampled_from(["maximum", "minimum", "where"]))
        threshold = draw(st.sampled_from([-0.5, 0.0, 0.3]))
        style = draw(st.sampled_from(["mg", "numpy"]))
        source = draw(st.sampled_from(["node", "leaf", "number", "array"]))
        if source == "node":
            fits = [
                j
                for j, b in enumerate(self.infos)
                if _broadcasts(a.shape, b.shape)
                and math.prod(np.broadcast_shapes(a.shape, b.shape)) <= max(MAX_SIZE, a.size)
            ]
            j = draw(st.sampled_from(fits))
        elif source == "leaf":
            j = self.leaf(None if a.scalar and draw(st.booleans()) else self._other_shape(i))
        else:
            c = float(draw(small_floats)) if source == "number" else None
            if c is None and not a.scalar:
                array = draw(arrays_of(self._other_shape(i)))
                lo, hi = float(array.min()), float(array.max())
                shape = np.broadcast_shapes(a.shape, array.shape)
                step = Step("pair", (i,), (name, threshold, style), array)
                bounds = _pair_bounds(name, a.lo, a.hi, lo, hi)
                return self.emit(step, Info(shape, False, *bounds, a.needs_grad))
            c = 0.25 if c is None else c
            step = Step("pair", (i,), (name, threshold, style), c)
            return self.emit(step, self.like(i, *_pair_bounds(name, a.lo, a.hi, c, c)))
        b = self.infos[j]
        shape = np.broadcast_shapes(a.shape, b.shape)
        bounds = _pair_bounds(name, a.lo, a.hi, b.lo, b.hi)
        info = Info(shape, a.scalar and b.scalar, *bounds, a.needs_grad or b.needs_grad)
        return self.emit(Step("pair", (i, j), (name, threshold, style)), info)

    def join(self, i: int) -> int:
        """concatenate or stack node i with itself, an earlier node, a new leaf or an array."""
        draw = self.draw
        a = self.infos[i]
        ndim = len(a.shape)
        names = ["stack"] if a.scalar or not ndim else ["stack", "concatenate"]
        name = draw(st.sampled_from(names))
        style = draw(st.sampled_from(["mg", "numpy"]))
        if name == "stack":
            axis: Any = draw(st.integers(-ndim - 1, ndim))
            other_shape: tuple[int, ...] | None = None if a.scalar else a.shape
        else:
            axis = draw(st.none() | st.integers(-ndim, ndim - 1))
            other_shape = a.shape
            if axis is not None:
                sized = list(a.shape)
                sized[axis] = draw(st.integers(1, 3))
                other_shape = tuple(sized)
        source = draw(st.sampled_from(["self", "node", "leaf", "array"]))
        args, const = (i, i), None
        lo, hi, needs = a.lo, a.hi, a.needs_grad
        if source == "node":
            same = [
                j for j, b in enumerate(self.infos) if b.shape == a.shape and b.scalar == a.scalar
            ]
            j = draw(st.sampled_from(same))
            args = (i, j)
        elif source == "leaf":
            args = (i, self.leaf(other_shape))
        elif not a.scalar:
            const = draw(arrays_of(other_shape or ()))
            args = (i,)
            lo, hi = min(lo, float(const.min())), max(hi, float(const.max()))
        for j in args:
            lo, hi = min(lo, self.infos[j].lo), max(hi, self.infos[j].hi)
            needs = needs or self.infos[j].needs_grad
        pieces = [np.zeros(self.infos[j].shape) for j in args]
        if const is not None:
            pieces.append(const)
        out_shape = getattr(np, name)(pieces, axis=axis).shape
        if math.prod(out_shape) > MAX_SIZE:
            return self.unary(i, "tanh")
        step = Step("join", args, (name, axis, style), const)
        return self.emit(step, Info(out_shape, False, lo, hi, needs))

    def scan(self, i: int) -> int:
        a = self.infos[i]
        ndim = len(a.shape)
        axis = self.draw(st.none() | st.integers(-ndim, ndim - 1)) if ndim else None
        count = a.size if axis is None else a.shape[axis]
        out_shape = np.cumsum(np.zeros(a.shape), axis=axis).shape
        lo, hi = min(a.lo, count * a.lo), max(a.hi, count * a.hi)
        return self.emit(Step("scan", (i,), axis), Info(out_shape, False, lo, hi, a.needs_grad))

    def stat(self, i: int) -> int:
        """var or std over axes holding at least two entries (std of x plus a spread, so its
        entries differ: std has no derivative where they are all equal)."""
        draw = self.draw
        name = draw(st.sampled_from(["var", "std"]))
        a = self.infos[i]
        ndim = len(a.shape)
        axes = [k for k in range(ndim) if a.shape[k] >= 2]
        axis: Any = None
        if axes and draw(st.booleans()):
            axis = draw(st.sampled_from(axes))
            axis = axis - ndim if draw(st.booleans()) else axis
        count = a.size if axis is None else a.shape[axis]
        ddof = draw(st.integers(0, 1))
        keepdims = draw(st.booleans())
        if name == "std":
            spread = np.arange(a.size, dtype=np.float64).reshape(a.shape) * 0.37
            i = self.emit(
                Step("binary", (i,), ("+", False), spread),
                Info(a.shape, False, a.lo, a.hi + float(spread.max()), a.needs_grad),
            )
            a = self.infos[i]
        width = a.hi - a.lo
        top = width * width * count / (count - ddof)
        out_shape = np.var(np.zeros(a.shape), axis=axis, keepdims=keepdims).shape
        hi = top if name == "var" else math.sqrt(top)
        step = Step("stat", (i,), (name, axis, ddof, keepdims))
        return self.emit(step, Info(out_shape, False, 0.0, hi, a.needs_grad))

    def softmax(self, i: int) -> int:
        a = self.infos[i]
        name = self.draw(st.sampled_from(["softmax", "log_softmax"]))
        axis = self.draw(st.integers(-len(a.shape), len(a.shape) - 1))
        lo, hi = (0.0, 1.0)
        if name == "log_softmax":
            lo, hi = a.lo - a.hi - math.log(a.shape[axis]), 0.0
        return self.emit(Step("softmax", (i,), (name, axis)), self.like(i, lo, hi))

    def reshape2(self, i: int) -> int:
        draw = self.draw
        a = self.infos[i]
        ndim = len(a.shape)
        names = ["ravel", "flatten", "expand_dims"]
        names += ["swapaxes"] if ndim else []
        names += ["squeeze"] if 1 in a.shape else []
        name = draw(st.sampled_from(names))
        args: tuple[Any, ...] = ()
        if name == "expand_dims":
            args = (draw(st.integers(-ndim - 1, ndim)),)
        elif name == "swapaxes":
            args = (draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1)))
        elif name == "squeeze":
            ones = [k for k, n in enumerate(a.shape) if n == 1]
            args = (draw(st.none() | st.sampled_from(ones)),)
        zeros = np.zeros(a.shape)
        out_shape = np.ravel(zeros).shape if not args and name != "squeeze" else None
        if out_shape is None:
            out_shape = getattr(np, name)(zeros, *args).shape
        step = Step("reshape2", (i,), (name, args))
        return self.emit(step, Info(out_shape, False, a.lo, a.hi, a.needs_grad))

    def einsum(self, i: int) -> int:
        """An einsum of node i with a new leaf or array (letters shared, summed or kept), or
        numpy's dot (N-d included) or outer."""
        draw = self.draw
        a = self.infos[i]
        form = draw(st.sampled_from(["einsum", "einsum", "dot", "outer"]))
        if form != "einsum":
            return self.product(i, form)
        mine = "ijk"[: len(a.shape)]
        sizes = dict(zip(mine, a.shape, strict=True))
        shared = draw(st.lists(st.sampled_from(mine), unique=True, max_size=len(mine)))
        theirs = "".join(shared)
        if draw(st.booleans()):
            sizes["z"] = draw(st.integers(1, 3))
            theirs += "z"
        theirs = "".join(draw(st.permutations(theirs)))
        letters = sorted(set(mine + theirs))
        output = "".join(draw(st.permutations(sorted(draw(st.sets(st.sampled_from(letters)))))))
        other_shape = tuple(sizes[c] for c in theirs)
        out_shape = tuple(sizes[c] for c in output)
        if math.prod(out_shape) > MAX_SIZE:
            return self.unary(i, "tanh")
        summed = math.prod(sizes[c] for c in letters if c not in output)
        style = draw(st.sampled_from(["mg", "numpy"]))
        spec = f"{mine},{theirs}->{output}"
        if draw(st.booleans()):
            j = self.leaf(other_shape)
            bound = summed * a.bound * self.infos[j].bound
            step = Step("einsum", (i, j), (spec, style))
        else:
            c = draw(arrays_of(other_shape))
            bound = summed * a.bound * float(np.max(np.abs(c), initial=0.0))
            step = Step("einsum", (i,), (spec, style), c)
        return self.emit(step, Info(out_shape, False, -bound, bound, a.needs_grad))

    def product(self, i: int, form: str) -> int:
        """dot(x, y) or outer(x, y) with y a new leaf or array."""
        draw = self.draw
        a = self.infos[i]
        k, m = a.shape[-1], draw(st.integers(1, 3))
        if form == "outer":
            other: tuple[int, ...] = (m,)
            summed = 1
        else:
            other = draw(st.sampled_from([(k,), (k, m), (draw(st.integers(1, 2)), k, m)]))
            summed = k
        out_shape = getattr(np, form)(np.zeros(a.shape), np.zeros(other)).shape
        if math.prod(out_shape) > MAX_SIZE or len(out_shape) > 4:
            return self.unary(i, "tanh")
        style = draw(st.sampled_from(["mg", "numpy"]))
        if draw(st.booleans()):
            j = self.leaf(other)
            bound = summed * a.bound * self.infos[j].bound
            step = Step("einsum", (i, j), (form, style))
        else:
            c = draw(arrays_of(other))
            bound = summed * a.bound * float(np.max(np.abs(c), initial=0.0))
            step = Step("einsum", (i,), (form, style), c)
        return self.emit(step, Info(out_shape, False, -bound, bound, a.needs_grad))

    def reshape(self, i: int) -> int:
        draw = self.draw
        a = self.infos[i]
        target = draw(reshape_targets(a.size))
        out_shape = np.zeros(a.shape).reshape(target).shape
        style = draw(st.sampled_from(["args", "tuple"]))
        step = Step("reshape", (i,), (target, style))
        return self.emit(step, Info(out_shape, False, a.lo, a.hi, a.needs_grad))

    def transpose(self, i: int) -> int:
        draw = self.draw
        a = self.infos[i]
        ndim = len(a.shape)
        style = draw(st.sampled_from(["args", "tuple", "default", "T"]))
        axes: tuple[int, ...] | None = None
        if style in ("args", "tuple"):
            perm = draw(st.permutations(range(ndim)))
            signs = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
            axes = tuple(p - ndim if neg else p for p, neg in zip(perm, signs, strict=True))
            if style == "args" and not axes:
                style = "tuple"
        out_shape = np.transpose(np.zeros(a.shape), _normal_axes(axes, ndim)).shape
        step = Step("transpose", (i,), (axes, style))
        return self.emit(step, Info(out_shape, False, a.lo, a.hi, a.needs_grad))

    def index(self, i: int) -> int:
        a = self.infos[i]
        index = self.draw(indices(a.shape))
        out_shape = np.zeros(a.shape)[index].shape
        if math.prod(out_shape) == 0 or math.prod(out_shape) > MAX_SIZE:
            index = (Ellipsis,)
            out_shape = a.shape
        info = Info(out_shape, False, a.lo, a.hi, a.needs_grad)
        return self.emit(Step("index", (i,), index), info)


def _pair_bounds(name: str, alo: float, ahi: float, blo: float, bhi: float) -> tuple[float, float]:
    if name == "maximum":
        return max(alo, blo), max(ahi, bhi)
    if name == "minimum":
        return min(alo, blo), min(ahi, bhi)
    return min(alo, blo), max(ahi, bhi)  # where: either side


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _const_bounds(
    symbol: str, a: Info, lo: float, hi: float, reflected: bool
) -> tuple[float, float]:
    """Bounds of `x op y` (or `y op x` when reflected) for x in a, y in [lo, hi]."""
    if symbol == "+":
        return a.lo + lo, a.hi + hi
    if symbol == "-":
        return (lo - a.hi, hi - a.lo) if reflected else (a.lo - hi, a.hi - lo)
    if symbol == "*":
        return _product(a, lo, hi)
    xs, ys = (lo, hi), (a.lo, a.hi)
    if not reflected:
        xs, ys = ys, xs
    if symbol == "/":  # the divisor's interval excludes 0: the corners bound the quotient
        return _interval([x / y for x in xs for y in ys])
    return _interval([x**y for x in xs for y in ys])  # base > 0: monotone in each argument


@st.composite
def axes_for(draw: st.DrawFn, ndim: int) -> Any:
    """One axis or a tuple of distinct axes, each possibly negative."""
    if draw(st.booleans()):
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=0, max_size=ndim, unique=True))
    return tuple(p - ndim if draw(st.booleans()) else p for p in picked)


@st.composite
def reshape_targets(draw: st.DrawFn, size: int) -> tuple[int, ...]:
    """A shape with `size` elements (one entry maybe -1)."""
    ndim = draw(st.integers(0 if size == 1 else 1, 3))
    dims: list[int] = []
    rest = size
    for _ in range(ndim - 1):
        k = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        dims.append(k)
        rest //= k
    if ndim:
        dims.append(rest)
    dims = list(draw(st.permutations(dims)))
    if dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


@st.composite
def indices(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """A basic or advanced numpy index for an array of `shape`."""
    if not shape:
        return draw(st.sampled_from([(), None, Ellipsis, (Ellipsis, None)]))
    n = shape[0]
    kind = draw(st.sampled_from(["int", "slices", "ellipsis", "array", "mask", "row_mask", "pair"]))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "array":
        return np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
    if kind == "row_mask":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "mask":
        return draw(hnp.arrays(np.bool_, shape))
    if kind == "pair" and len(shape) >= 2:
        length = draw(st.integers(1, 3))
        rows = draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length))
        cols = draw(st.lists(st.integers(0, shape[1] - 1), min_size=length, max_size=length))
        return np.array(rows), np.array(cols)
    items: list[Any] = []
    for side in shape[: draw(st.integers(1, len(shape)))]:
        item = draw(st.sampled_from(["int", "slice", "slice"]))
        if item == "int":
            items.append(draw(st.integers(-side, side - 1)))
        else:
            bounds = st.none() | st.integers(-side - 1, side + 1)
            step = draw(st.sampled_from([None, 1, 2, -1, -2]))
            items.append(slice(draw(bounds), draw(bounds), step))
        if draw(st.integers(0, 4)) == 0:
            items.append(None)
    if kind == "ellipsis":  # the last axis, after an Ellipsis
        side = shape[-1]
        last = draw(st.integers(-side, side - 1) | st.just(slice(None, None, -1)) | st.none())
        return Ellipsis, last
    return tuple(items)


def _start(draw: st.DrawFn, builder: Builder) -> int:
    """The first leaf: a Python float (scalar mode) or an array of a random shape."""
    if draw(st.integers(0, 4)) == 0:
        return builder.leaf(None, draw(st.sampled_from(["any", "positive"])))
    return builder.leaf(draw(shapes), draw(st.sampled_from(["any", "any", "positive"])))


@st.composite
def chains(draw: st.DrawFn, max_steps: int = 8) -> Chain:
    """A valid random chain; some earlier nodes get reused, so the graph is a DAG."""
    builder = Builder(draw)
    current = _start(draw, builder)
    for _ in range(draw(st.integers(1, max_steps))):
        if len(builder.infos) > 1 and draw(st.integers(0, 5)) == 0:  # branch off an earlier node
            current = draw(
                st.sampled_from([k for k, a in enumerate(builder.infos) if a.needs_grad])
            )
        current = builder.step(current)
    if current != len(builder.infos) - 1:  # the chain must end at its last node
        current = builder.unary(current, "neg")
    last = builder.infos[current]
    seed = None
    if not last.scalar and last.size > 1 and draw(st.booleans()):
        seed = draw(arrays_of(last.shape))
    return Chain(tuple(builder.leaves), tuple(builder.steps), tuple(builder.infos), seed)


# -- valid chains ------------------------------------------------------------------------------


def describe(chain: Chain) -> None:
    """Hypothesis events (shown by --hypothesis-show-statistics): what the chains exercise."""
    event("scalar mode start" if chain.infos[0].scalar else "tensor mode start")
    event(f"{len(chain.steps) - len(chain.leaves)} ops (guards included)")
    if chain.seed is not None:
        event("backward(seed)")
    for step in chain.steps:
        if step.op == "binary":
            symbol, reflected = step.param
            operand = "Value" if len(step.args) > 1 else type(step.const).__name__
            event(f"op {'reflected ' if reflected else ''}{symbol} with {operand}")
        elif step.op in ("unary", "reduce", "stat", "softmax", "reshape2", "pair", "join"):
            event(f"op {step.op} {step.param if step.op == 'unary' else step.param[0]}")
        elif step.op != "leaf":
            event(f"op {step.op}")


def _kinks(chain: Chain, nodes: Sequence[Any]) -> list[Any]:
    """Which side of every kink the program's values lie on: the signs seen by each relu, the
    ties seen by each max (the derivative jumps where these change)."""
    sides = []
    for step in chain.steps:
        if step.op == "unary" and step.param in ("relu", "abs", "sign"):
            x = np.asarray(nodes[step.args[0]])
            sides += [x > 0, x < 0]
        elif step.op == "reduce" and step.param[0] in ("max", "min"):
            x = np.asarray(nodes[step.args[0]])
            extreme = np.max if step.param[0] == "max" else np.min
            sides.append(x == extreme(x, axis=step.param[1], keepdims=True))
        elif step.op == "clip":
            x = np.asarray(nodes[step.args[0]])
            lo, hi = step.param
            sides += [x >= (-np.inf if lo is None else lo), x <= (np.inf if hi is None else hi)]
        elif step.op == "pair":
            x = np.asarray(nodes[step.args[0]])
            y = np.asarray(nodes[step.args[1]] if len(step.args) > 1 else step.const)
            sides += [x > step.param[1]] if step.param[0] == "where" else [x > y, x == y]
    return sides


def _same_sides(a: list[Any], b: list[Any]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _kinks_agree(chain: Chain, ours: list[Any], numpy_nodes: list[Any]) -> bool:
    """Whether relu and max see the same signs and ties in minigrad as in numpy.

    Scalar mode computes with `math`, which may round differently from numpy in the last bit;
    a value that is exactly 0 (or tied) in one and not in the other puts the two on different
    sides of a kink, where the derivative jumps. Such an example says nothing about minigrad.
    """
    return _same_sides(_kinks(chain, [v.data for v in ours]), _kinks(chain, numpy_nodes))


def central_differences(
    f: Callable[[list[Any]], tuple[Any, list[Any]]], xs: list[Any]
) -> tuple[list[Any], float] | None:
    """d f / d x for each input, by central differences of steps h and h/2 combined
    (Richardson: (4 D(h/2) - D(h)) / 3, error O(h^4)), and the largest |D(h/2) - D(h)| (a
    bound on how far off they may be). `f` returns its value and the sides of its kinks; None
    when a step crosses a kink, where the derivative jumps."""
    _, sides = f(xs)
    grads: list[Any] = []
    spread = 0.0
    for k, x in enumerate(xs):
        point = np.array(x, dtype=np.float64)
        grad = np.zeros_like(point)
        for index in np.ndindex(point.shape):
            h = FD_STEP * max(1.0, abs(float(point[index])))
            estimates = []
            for step in (h, h / 2):
                values = []
                for sign in (1.0, -1.0):
                    moved = point.copy()
                    moved[index] += sign * step
                    trial = list(xs)
                    trial[k] = float(moved) if isinstance(x, float) else moved
                    value, trial_sides = f(trial)
                    if not _same_sides(trial_sides, sides):
                        return None
                    values.append(float(value))
                estimates.append((values[0] - values[1]) / (2 * step))
            grad[index] = (4 * estimates[1] - estimates[0]) / 3
            spread = max(spread, abs(estimates[1] - estimates[0]))
        grads.append(float(grad) if isinstance(x, float) else grad)
    return grads, spread


def _raised_by_autograd(error: BaseException) -> bool:
    """Whether `error` came from inside HIPS autograd's own code (not from the program)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and "autograd" in Path(frames[-1].filename).parts


def _check_node_grads(nodes: Sequence[mg.Value]) -> None:
    """Every gradient that exists has its node's shape and dtype (a float for a float)."""
    for node in nodes:
        g = node.grad
        if type(node.data) is float:
            assert type(g) is float, f"{node!r}: gradient {g!r} of a float node is not a float"
        else:
            # a leaf's gradient is its own array; an op node's may be a numpy scalar when 0-d
            kinds = np.ndarray if node.is_leaf else (np.ndarray, np.generic)
            assert isinstance(g, kinds), f"{node!r}: gradient {g!r} is not an array"
            assert g.shape == node.data.shape, f"{node!r}: gradient shape {g.shape}"
            assert g.dtype == node.data.dtype, f"{node!r}: gradient dtype {g.dtype}"


# x[()] + x + x on a 0-d array: autograd fails inside its own mut_add ("first operand must be
# array"), adding the index's sparse gradient to the numpy scalar the two additions gave.
ORACLE_FAILS = Chain(
    leaves=((np.array(0.75), True),),
    steps=(
        Step("leaf", (), 0),
        Step("index", (0,), ()),
        Step("binary", (1, 0), ("+", False)),
        Step("binary", (2, 0), ("+", False)),
    ),
    infos=(
        Info((), False, 0.75, 0.75),
        Info((), False, 0.75, 0.75),
        Info((), False, 1.5, 1.5),
        Info((), False, 2.25, 2.25),
    ),
    seed=None,
)


@pytest.mark.skipif(anp is None, reason="HIPS autograd (the oracle) is not installed")
@given(chain=chains())
@example(chain=ORACLE_FAILS)
def test_valid_chains_match_autograd(chain: Chain) -> None:
    note(f"leaves: {[(np.shape(d), r) for d, r in chain.leaves]}")
    note(f"steps: {list(chain.steps)}")
    describe(chain)
    raw = [data for data, _ in chain.leaves]
    with np.errstate(all="raise", under="ignore"):
        numpy_nodes = run_steps(AG, raw, chain.steps)
    wanted = [i for i, (_, r) in enumerate(chain.leaves) if r]

    def program(xs: list[Any]) -> tuple[Any, list[Any]]:
        """The chain's output for these values of the wanted leaves, and its kinks' sides."""
        inputs = list(raw)
        for i, x in zip(wanted, xs, strict=True):
            inputs[i] = x
        nodes = run_steps(AG, inputs, chain.steps)
        return final(AG, chain, nodes[-1]), _kinks(chain, nodes)

    def oracle(xs: list[Any]) -> Any:
        return program(xs)[0]

    rtol = RTOL
    with np.errstate(over="ignore"), warnings.catch_warnings():  # tanh' divides by cosh^2 = inf
        # sign's derivative is 0: autograd warns of an output independent of the input
        warnings.filterwarnings("ignore", "Output seems independent of input")
        expected_out = oracle([raw[i] for i in wanted])
        try:
            expected = ag_grad(oracle)([raw[i] for i in wanted])
        except Exception as error:
            if not _raised_by_autograd(error):
                raise
            note(f"autograd failed: {type(error).__name__}: {error}")
            event("oracle: central differences (autograd cannot run the program)")
            with np.errstate(all="raise", under="ignore"):
                differences = central_differences(program, [raw[i] for i in wanted])
            if differences is None:
                event("rejected: central differences would cross a kink")
                reject()
            expected, spread = differences
            rtol = FD_RTOL
    scale = max([1e-3] + [float(np.max(np.abs(e), initial=0.0)) for e in expected])
    if rtol == FD_RTOL and spread > 1e-3 * scale:
        event("rejected: central differences too inaccurate")
        reject()

    for name in STRATEGIES:
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            leaves = mg_leaves(chain)
            nodes = run_steps(MG, leaves, chain.steps)
            for k, (node, info) in enumerate(zip(nodes, chain.infos, strict=True)):
                assert node.shape == info.shape, f"node {k}: shape {node.shape} != {info.shape}"
                assert (type(node.data) is float) == info.scalar, f"node {k}: mode of {node!r}"
                # scalar mode's `math` and numpy may differ in the last bit, and an op like log
                # near 1 turns that into a relative error of 1e-11 on a tiny value: the check is
                # relative to values of at least 1e-3
                assert close(node.data, numpy_nodes[k], 1e-12, 1e-3), f"node {k}: forward value"
            if not _kinks_agree(chain, nodes, numpy_nodes):
                event("rejected: relu or max on the other side of a kink than numpy")
                reject()
            out = final(MG, chain, nodes[-1])
            total = out.data if chain.seed is None else np.sum(out.data * chain.seed)
            assert close(total, expected_out, 1e-10), f"{total} != {expected_out}"
            naive_calls, linear_calls = expected_vjp_calls(out)
            if name == "naive" and naive_calls > NAIVE_MAX_CALLS:
                event(f"naive skipped: more than {NAIVE_MAX_CALLS} paths")
                continue
            stats = out.backward(chain.seed, strategy=name)
        assert stats.vjp_calls == (naive_calls if name == "naive" else linear_calls)
        _check_node_grads(nodes)
        for i, leaf in enumerate(leaves):
            if not leaf.requires_grad:
                assert not leaf.has_grad, f"{name}: constant leaf{i} received a gradient"
                continue
            want = expected[wanted.index(i)]
            assert close(leaf.grad, want, rtol, scale), (
                f"{name}: d/d leaf{i}\nminigrad {leaf.grad!r}\nautograd {want!r}"
            )


# -- invalid chains ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """An invalid op on the last node: `apply(value)` must raise; every needle must appear."""

    description: str
    apply: Callable[[mg.Value], Any]
    needles: tuple[str, ...]
    kind: str = ""

    def __repr__(self) -> str:
        return f"Bad({self.description}, needles={self.needles})"


BAD_OPERANDS: tuple[tuple[Any, str], ...] = (
    ("a", "<U1"),
    (None, "object"),
    (1j, "complex"),
    (True, "bool"),
    (np.bool_(False), "bool"),
    (np.array([True, False]), "bool"),
    (np.array(["x", "y"]), "<U1"),
    (np.array([1.0, None], dtype=object), "object"),
    ({}, "object"),
    (np.ones(2, dtype=complex), "complex128"),
    ([1.0, "a"], "<U32"),
)


def _binary(symbol: str, reflected: bool, other: Any) -> Callable[[mg.Value], Any]:
    f = OPERATORS[symbol]
    return (lambda v: f(other, v)) if reflected else (lambda v: f(v, other))


@st.composite
def bad_ops(draw: st.DrawFn, info: Info) -> Bad:
    """One invalid op for a node described by `info`."""
    kinds = ["operand", "matmul", "axis", "axis_type", "reshape", "transpose", "index", "seed"]
    kinds += ["clip", "numpy", "join", "einsum", "new_axis"]
    kinds += ["stale", "flag"]  # misuse between a forward pass and its backward pass
    if not info.scalar and info.shape:
        kinds.append("linear")
    if any(n != 1 for n in info.shape):
        kinds.append("squeeze")
    if any(n > 1 for n in info.shape):
        kinds.append("broadcast")
    kind = draw(st.sampled_from(kinds))
    return dataclasses.replace(_bad_op(draw, info, kind), kind=kind)


def _bad_op(draw: st.DrawFn, info: Info, kind: str) -> Bad:
    s = info.shape
    symbol = draw(st.sampled_from(["+", "-", "*", "/", "**", "@"]))
    reflected = draw(st.booleans())
    if kind == "operand":
        other, needle = draw(st.sampled_from(BAD_OPERANDS))
        return Bad(f"{symbol} {other!r}", _binary(symbol, reflected, other), (needle,))
    if kind == "broadcast":
        i = draw(st.sampled_from([k for k, n in enumerate(s) if n > 1]))
        wrong = draw(st.integers(2, 4))
        wrong += wrong >= s[i]  # 2..5 without s[i]
        other_shape = (wrong, *s[i + 1 :])
        symbol = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        other = np.ones(other_shape)
        if draw(st.booleans()):
            other = mg.Value(other, requires_grad=draw(st.booleans()))
        needles = (str(s), str(other_shape))
        return Bad(f"{symbol} shape {other_shape}", _binary(symbol, reflected, other), needles)
    if kind == "matmul":
        if info.scalar or not s:
            other_shape = draw(st.sampled_from([(), (3,), (3, 2)]))
        else:
            k = s[-2] if reflected and len(s) >= 2 else s[-1 if not reflected else 0]
            wrong = draw(st.integers(1, 4))
            wrong += wrong >= k  # 1..5 without k
            m = draw(st.integers(1, 3))
            other_shape = draw(
                st.sampled_from([(wrong,), (wrong, m) if not reflected else (m, wrong), ()])
            )
        other = (
            mg.Value(np.ones(other_shape))
            if other_shape
            else draw(st.sampled_from([2.0, mg.Value(2.0)]))
        )
        needles = ("matmul", str(s), str(other_shape))
        return Bad(f"@ shape {other_shape}", _binary("@", reflected, other), needles)
    misuse = _bad_use(info, kind)
    if misuse is not None:
        return misuse
    more = _bad_new_op(draw, info, kind)
    if more is not None:
        return more
    if kind == "linear":
        wrong = draw(st.integers(1, 4))
        wrong += wrong >= s[-1]  # 1..5 without the input's last size
        weight_shape = (draw(st.integers(1, 3)), wrong)
        weight = mg.Value(np.ones(weight_shape))
        return Bad(f"linear weight {weight_shape}", lambda v: linear(v, weight), (str(s),))
    name = draw(st.sampled_from(["sum", "mean", "max"]))
    ndim = len(s)
    if kind == "axis":
        # numpy lets sum and max of a 0-d array take axis 0 or -1 (a legacy allowance)
        choices = [ndim, -ndim - 1, ndim + 2] if ndim else [1, -2, 3]
        if ndim:
            choices += [(0, 0), (0, -ndim)]
        axis = draw(st.sampled_from(choices))
        keepdims = draw(st.booleans())
        return Bad(f"{name}(axis={axis})", lambda v: MG.reduce(v, name, axis, keepdims), (str(s),))
    if kind == "axis_type":
        axis, needle = draw(st.sampled_from([(0.5, "float"), ("0", "str"), ([0], "list")]))
        return Bad(
            f"{name}(axis={axis!r})", lambda v: MG.reduce(v, name, axis, False), (needle, str(s))
        )
    if kind == "reshape":
        size = math.prod(s)
        target, needle = draw(
            st.sampled_from(
                [((size + 1,), str(s)), ((size, 2), str(s)), ((-1, -1), str(s)), ((2.5,), "float")]
            )
        )
        return Bad(f"reshape{target}", lambda v: v.reshape(target), (needle, str(s)))
    if kind == "transpose":
        choices = [(*range(ndim), ndim), (ndim,) * max(ndim, 1)]
        if ndim >= 2:
            choices.append((0,) * ndim)
        axes = draw(st.sampled_from(choices))
        return Bad(f"transpose{axes}", lambda v: v.transpose(axes), (str(s),))
    if kind == "index":
        if info.scalar:
            return Bad("scalar[0]", lambda v: v[0], ("scalar",))
        choices: list[Any] = [(0,) * (ndim + 1), 0.5, "a"]
        if ndim:
            choices += [s[0], -s[0] - 1, np.ones(s[0] + 1, dtype=bool), np.array([0, s[0]])]
        index = draw(st.sampled_from(choices))
        return Bad(f"[{index!r}]", lambda v: v[index], (str(s),))
    # a wrong seed, or none for an output with more than one element
    size = math.prod(s)
    if size > 1 and draw(st.booleans()):
        return Bad("backward() without a seed", lambda v: v.backward(), (str(s),))
    seed_kind = draw(st.sampled_from(["shape", "shape", "str", "bool", "complex"]))
    if seed_kind == "shape":
        wrong_shape = draw(st.sampled_from([(*s, 2), (size + 1,)]))
        return Bad(
            f"backward(seed of shape {wrong_shape})",
            lambda v: v.backward(np.ones(wrong_shape)),
            (str(wrong_shape), str(s)),
        )
    seed = {"str": "1", "bool": np.ones(s, dtype=bool), "complex": np.ones(s, dtype=complex)}[
        seed_kind
    ]
    return Bad(f"backward({seed_kind} seed)", lambda v: v.backward(seed), (str(s), "dtype"))


def _bad_new_op(draw: st.DrawFn, info: Info, kind: str) -> Bad | None:
    """An invalid use of the newer ops and functions, or None for the other kinds."""
    s = info.shape
    ndim = len(s)
    if kind == "clip":
        return Bad("clip()", lambda v: v.clip(), ("clip needs",))
    if kind == "numpy":
        name, call = draw(
            st.sampled_from(
                [
                    ("numpy.sort", lambda v: np.sort(v)),
                    ("numpy.arctan", lambda v: np.arctan(v)),
                    ("numpy.add.reduce", lambda v: np.add.reduce(v)),
                    ("numpy.exp", lambda v: np.exp(v, out=np.empty(s))),
                    ("mg.stack", lambda v: np.array([v, v])),
                ]
            )
        )
        return Bad(name, call, (name,))
    if kind == "join":
        wrong = (*s, 2)  # one axis more: no axis to join along fits both
        other = mg.Value(np.ones(wrong))
        name = draw(st.sampled_from(["concatenate", "stack"]))
        space: Any = draw(st.sampled_from([mg, np]))
        return Bad(
            f"{name} with shape {wrong}",
            lambda v: getattr(space, name)([v, other]),
            (str(s), str(wrong)),
        )
    if kind == "einsum":
        letters = "ijklmn"[: ndim + 1]
        form = draw(st.sampled_from(["rank", "repeat", "ellipsis", "count"]))
        if form == "rank":  # one letter more than the operand has axes
            return Bad(f"einsum {letters}", lambda v: mg.einsum(f"{letters}->", v), (str(s),))
        if form == "repeat":
            return Bad("einsum ii", lambda v: mg.einsum("ii->i", v), ("repeats",))
        if form == "ellipsis":
            return Bad("einsum ...", lambda v: mg.einsum("...->", v), ("not supported",))
        return Bad("einsum count", lambda v: mg.einsum("i,i->", v), ("operands",))
    if kind == "new_axis":
        choices = [ndim + 1, -ndim - 2] if ndim or not info.scalar else [2, -3]
        axis = draw(st.sampled_from(choices))
        name = draw(st.sampled_from(["min", "prod", "logsumexp", "var", "std", "softmax"]))
        if name == "softmax":
            return Bad(f"softmax({axis})", lambda v: v.softmax(axis), (str(s),))
        return Bad(f"{name}(axis={axis})", lambda v: getattr(v, name)(axis=axis), (str(s),))
    if kind == "squeeze":
        axis = draw(st.sampled_from([k for k, n in enumerate(s) if n != 1]))
        return Bad(f"squeeze({axis})", lambda v: v.squeeze(axis), (str(s),))
    return None


def _bad_use(info: Info, kind: str) -> Bad | None:
    """A backward pass refused because its graph changed after the forward pass: an input
    changed in place (as an optimizer step does), or requires_grad turned off on an op node.
    Each builds on the last node without changing the chain's own graph."""

    def total(y: mg.Value) -> mg.Value:
        return y if info.scalar else y.sum()

    if kind == "stale":

        def stale(v: mg.Value) -> Any:
            w = mg.Value(1.5 if info.scalar else np.full(info.shape, 1.5))
            y = total((v * w).tanh())
            bump_version(w)
            return y.backward()

        return Bad("backward after an in-place update", stale, ("changed in place",))
    if kind == "flag":

        def flag(v: mg.Value) -> Any:
            h = v * 2.0
            y = total(h * h)
            h.requires_grad = False
            return y.backward()

        return Bad("requires_grad off on an op node", flag, ("only a leaf's requires_grad",))
    return None


@st.composite
def invalid_chains(draw: st.DrawFn) -> tuple[Chain, Bad]:
    """A valid prefix of up to 4 steps and one invalid op on its last node."""
    chain = draw(chains(max_steps=4))
    return chain, draw(bad_ops(chain.infos[-1]))


@given(case=invalid_chains())
def test_invalid_chains_raise_clear_errors(case: tuple[Chain, Bad]) -> None:
    chain, bad = case
    note(f"steps: {list(chain.steps)}")
    event(f"invalid: {bad.kind}")
    leaves = mg_leaves(chain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nodes = run_steps(MG, leaves, chain.steps)
        last = nodes[-1]
        with pytest.raises((ValueError, TypeError, RuntimeError)) as caught:
            bad.apply(last)
    error = caught.value
    message = str(error)
    assert type(error).__module__ in ("builtins", "minigrad.errors"), (
        f"{bad}: a {type(error).__module__}.{type(error).__name__} escaped: {message}"
    )
    for needle in bad.needles:
        assert needle in message, f"{bad}: {needle!r} not in the message {message!r}"
    rules = [f.name for f in traceback.extract_tb(error.__traceback__) if f.name.endswith("_vjp")]
    assert not rules, f"{bad}: raised from inside backward rule(s) {rules}: {message}"
    assert not any(node.has_grad for node in nodes), f"{bad}: a failed op changed a .grad"

    # the graph built before the error is intact: it still differentiates, with the right shapes
    out = last if chain.infos[-1].scalar else last.sum()
    out.backward()
    _check_node_grads(nodes)


# -- the odd corners, once each ----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["a", None, 1j, True, np.bool_(True), np.array([True]), np.array(["a"]), {}, object()],
    ids=repr,
)
def test_bad_leaf_data_is_a_type_error_naming_the_type(bad: Any) -> None:
    with pytest.raises(TypeError) as caught:
        mg.Value(bad)
    kind = np.asarray(bad).dtype if not isinstance(bad, bool | np.bool_) else "bool"
    assert str(kind) in str(caught.value) or type(bad).__name__ in str(caught.value)


def test_negative_transpose_axes_give_the_inverse_permutation() -> None:
    """A regression the fuzzer found: argsort of (-1, 0) is not the inverse of (1, 0)."""
    data = np.arange(24.0).reshape(2, 3, 4)
    weights = np.linspace(-1.0, 1.0, 24).reshape(4, 2, 3)
    for axes in [(-1, 0, 1), (2, -3, -2), (-1, -3, 1)]:
        x = mg.Value(data)
        (x.transpose(*axes) * weights).sum().backward()
        assert x.grad.shape == data.shape
        np.testing.assert_array_equal(x.grad, np.transpose(weights, np.argsort(np.mod(axes, 3))))
