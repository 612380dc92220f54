"""Named, bounded hypothesis strategies for minigrad's tests, and the helpers that use them.

Strategies (in the style of minitorch's `small_floats` and `@composite def tensors`):
    `small_floats`, `shapes`, `arrays_of`, `broadcastable_to`, `broadcastable_shape_pairs`,
    `mlp_specs` (random dense nets) and `dags` (random expression DAGs with shared subexpressions).
Builders turn a drawn spec into minigrad Values: `build_mlp`, `build_dag`.
Independent bookkeeping, written here and NOT taken from minigrad: `reachable_nodes`,
`count_paths` (Kahn's algorithm over consumer edges), `enumerate_paths` (brute force) and
`expected_vjp_calls`; plus `close`, the relative comparison every agreement test uses.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

import minigrad as mg

Mode = Literal["scalar", "tensor"]
MODES: tuple[Mode, ...] = ("scalar", "tensor")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
BUILTIN_STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "@": operator.matmul,
}
"""Python's binary operators by symbol, as Values and arrays both support them."""

# -- basic strategies --------------------------------------------------------------------------

small_floats = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
"""Floats in [-2, 2]: big enough to leave the linear part of tanh/sigmoid, small enough to stay
finite through a few multiplications."""

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
"""Array shapes of 0 to 3 dimensions, each of size 1 to 4."""

broadcastable_shape_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4
).map(lambda shapes: shapes.input_shapes)
"""Pairs of shapes that numpy can broadcast together, e.g. ((2, 1, 3), (4, 1))."""


def arrays_of(
    shape: tuple[int, ...], elements: st.SearchStrategy[float] = small_floats
) -> st.SearchStrategy[NDArray[np.float64]]:
    """float64 arrays of `shape` whose entries are `small_floats`."""
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def broadcastable_to(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to `shape`: some leading axes dropped, some sizes set to 1."""
    kept = shape[draw(st.integers(0, len(shape))) :]
    ones = draw(st.lists(st.booleans(), min_size=len(kept), max_size=len(kept)))
    return tuple(1 if one else n for n, one in zip(kept, ones, strict=True))


# -- dense nets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MLPSpec:
    """A dense net: `sizes` = (inputs, hidden..., 1); layer i maps sizes[i] -> sizes[i + 1].

    Weights follow PyTorch's convention, (out, in); inputs are rows of `x` (scalar mode uses the
    first row only). The loss is the mean squared difference between the output and `target`.
    """

    sizes: tuple[int, ...]
    activation: str
    mode: Mode
    x: NDArray[np.float64]
    weights: tuple[NDArray[np.float64], ...]
    biases: tuple[NDArray[np.float64], ...]
    target: float
    inputs_require_grad: bool

    @property
    def depth(self) -> int:
        return len(self.weights)


@st.composite
def mlp_specs(
    draw: st.DrawFn,
    mode: Mode | None = None,
    max_depth: int = 6,
    max_width: int = 8,
    max_scalar_paths: int = 512,
) -> MLPSpec:
    """Random dense nets: depth 1..max_depth, widths 1..max_width, relu/tanh/sigmoid.

    In scalar mode every weight is its own node and `naive` runs once per path, about the product
    of the widths; the widths are drawn so that this product stays within `max_scalar_paths`
    (deep nets are narrower) and naive stays fast. Tensor-mode nets are chains: no bound needed.
    """
    mode_: Mode = draw(st.sampled_from(MODES)) if mode is None else mode
    depth = draw(st.integers(1, max_depth))
    sizes: list[int] = []
    product = 1
    for _ in range(depth):
        cap = (
            max_width if mode_ == "tensor" else max(1, min(max_width, max_scalar_paths // product))
        )
        width = draw(st.integers(1, cap))
        sizes.append(width)
        product *= width
    sizes.append(1)
    batch = draw(st.integers(1, 3)) if mode_ == "tensor" else 1
    weight_entries = st.floats(-1.5, 1.5, allow_nan=False, allow_subnormal=False)
    weights = tuple(draw(arrays_of((sizes[i + 1], sizes[i]), weight_entries)) for i in range(depth))
    biases = tuple(draw(arrays_of((sizes[i + 1],), weight_entries)) for i in range(depth))
    return MLPSpec(
        sizes=tuple(sizes),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        mode=mode_,
        x=draw(arrays_of((batch, sizes[0]))),
        weights=weights,
        biases=biases,
        target=draw(small_floats),
        inputs_require_grad=draw(st.booleans()),
    )


class Built(NamedTuple):
    """A graph built from a spec: its scalar output and its leaves, in creation order."""

    output: mg.Value
    leaves: list[mg.Value]


def tensor_mlp_loss(
    x: Any,
    weights: Sequence[Any],
    biases: Sequence[Any],
    target: float,
    activate: Callable[[Any], Any],
    mean: Callable[[Any], Any],
) -> Any:
    """mean((net(x) - target)^2), net = Linear -> act -> ... -> Linear, batches as rows.

    Written with operators only (plus `activate` and `mean`), so the same code builds the
    minigrad graph and the HIPS autograd function of the oracle tests.
    """
    h = x
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ w.T + b
        if i < len(weights) - 1:
            h = activate(h)
    d = h - target
    return mean(d * d)


def build_mlp(spec: MLPSpec) -> Built:
    """The net's loss as a minigrad graph (one node per number in scalar mode)."""
    act: Callable[[mg.Value], mg.Value] = getattr(mg.Value, spec.activation)
    if spec.mode == "tensor":
        x = mg.Value(spec.x, label="x", requires_grad=spec.inputs_require_grad)
        ws = [mg.Value(w, label=f"W{i}") for i, w in enumerate(spec.weights)]
        bs = [mg.Value(b, label=f"b{i}") for i, b in enumerate(spec.biases)]
        loss = tensor_mlp_loss(x, ws, bs, spec.target, act, mg.Value.mean)
        return Built(loss, [x, *[p for pair in zip(ws, bs, strict=True) for p in pair]])
    h = [
        mg.Value(float(v), label=f"x{j}", requires_grad=spec.inputs_require_grad)
        for j, v in enumerate(spec.x[0])
    ]
    leaves = list(h)
    for layer, (w, b) in enumerate(zip(spec.weights, spec.biases, strict=True)):
        rows = [[mg.Value(float(v)) for v in row] for row in w]
        bias = [mg.Value(float(v)) for v in b]
        leaves += [v for row in rows for v in row] + bias
        out = []
        for row, b_i in zip(rows, bias, strict=True):
            z = row[0] * h[0]
            for w_ij, h_j in zip(row[1:], h[1:], strict=True):
                z = z + w_ij * h_j
            z = z + b_i
            out.append(act(z) if layer < spec.depth - 1 else z)
        h = out
    return Built((h[0] - spec.target) ** 2, leaves)


# -- expression DAGs -----------------------------------------------------------------------------

UNARY_OPS = ("tanh", "sigmoid", "relu", "neg", "square", "cube", "scale", "sin", "abs", "clip")
BINARY_OPS = ("add", "sub", "mul", "div", "maximum", "minimum")
STEP_KINDS = ("unary", "binary", "diamond", "residual")


def apply_unary(name: str, x: mg.Value) -> mg.Value:
    """One of UNARY_OPS; "square" is x * x (two edges to x), "cube" is x ** 3."""
    if name == "neg":
        return -x
    if name == "clip":
        return x.clip(-1.5, 1.5)
    if name == "square":
        return x * x
    if name == "cube":
        return x**3
    if name == "scale":
        return 0.5 * x
    result: mg.Value = getattr(x, name)()
    return result


def apply_binary(name: str, a: mg.Value, b: mg.Value) -> mg.Value:
    """One of BINARY_OPS; "div" divides by 1.5 + tanh(b), which stays in (0.5, 2.5)."""
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name in ("maximum", "minimum"):
        result: mg.Value = getattr(mg, name)(a, b)
        return result
    return a / (1.5 + b.tanh())


@dataclass(frozen=True)
class Step:
    """One DAG step on earlier nodes (by index):

    unary u(x); binary b(x, y); diamond b(u1(x), u2(x)); residual x + u(x).
    """

    kind: str
    ops: tuple[str, ...]
    args: tuple[int, ...]


@dataclass(frozen=True)
class DagSpec:
    """Leaves (data, requires_grad) and steps; the output is the sum of the nodes nobody uses."""

    shape: tuple[int, ...]  # () is scalar mode
    leaves: tuple[Any, ...]
    requires_grad: tuple[bool, ...]
    steps: tuple[Step, ...]


@st.composite
def dags(
    draw: st.DrawFn, mode: Mode | None = None, max_leaves: int = 4, max_steps: int = 12
) -> DagSpec:
    """Random expression DAGs: each step reads earlier nodes (recent ones by preference, so
    chains form), and operands are shared freely, so diamonds and residual-style reuse abound.

    Scalar mode leaves are floats; tensor mode leaves have shapes broadcastable to one shape.
    """
    mode = draw(st.sampled_from(MODES)) if mode is None else mode
    shape: tuple[int, ...] = ()
    if mode == "tensor":
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    n_leaves = draw(st.integers(1, max_leaves))
    leaves: list[Any] = []
    for _ in range(n_leaves):
        if mode == "scalar":
            leaves.append(draw(small_floats))
        else:
            leaves.append(draw(arrays_of(draw(broadcastable_to(shape)))))
    requires = draw(st.lists(st.booleans(), min_size=n_leaves, max_size=n_leaves))
    requires[0] = True
    steps: list[Step] = []
    for k in range(draw(st.integers(1, max_steps))):
        available = n_leaves + k

        def operand(available: int = available) -> int:
            return available - 1 - draw(st.integers(0, available - 1))

        kind = draw(st.sampled_from(STEP_KINDS))
        unary = st.sampled_from(UNARY_OPS)
        binary = st.sampled_from(BINARY_OPS)
        if kind == "unary":
            steps.append(Step(kind, (draw(unary),), (operand(),)))
        elif kind == "binary":
            steps.append(Step(kind, (draw(binary),), (operand(), operand())))
        elif kind == "diamond":
            steps.append(Step(kind, (draw(unary), draw(unary), draw(binary)), (operand(),)))
        else:
            steps.append(Step(kind, (draw(unary),), (operand(),)))
    return DagSpec(shape, tuple(leaves), tuple(requires), tuple(steps))


def tame(v: mg.Value, bound: float = 100.0) -> mg.Value:
    """tanh(v) when v has left [-bound, bound], so repeated squaring cannot overflow."""
    return v.tanh() if float(np.max(np.abs(v.data))) > bound else v


def build_dag(spec: DagSpec) -> Built:
    """The DAG as minigrad Values; the output adds up every node no step uses (then sums)."""
    nodes = [
        mg.Value(d, label=f"leaf{i}", requires_grad=r)
        for i, (d, r) in enumerate(zip(spec.leaves, spec.requires_grad, strict=True))
    ]
    leaves = list(nodes)
    used: set[int] = set()
    for step in spec.steps:
        used.update(step.args)
        x = nodes[step.args[0]]
        if step.kind == "unary":
            v = apply_unary(step.ops[0], x)
        elif step.kind == "binary":
            v = apply_binary(step.ops[0], x, nodes[step.args[1]])
        elif step.kind == "diamond":
            u1, u2, b = step.ops
            v = apply_binary(b, apply_unary(u1, x), apply_unary(u2, x))
        else:
            v = x + apply_unary(step.ops[0], x)
        nodes.append(tame(v))
    sinks = [v for i, v in enumerate(nodes) if i not in used]
    out = sinks[0]
    for s in sinks[1:]:
        out = out + s
    if spec.shape:
        out = out.sum()
    return Built(out, leaves)


# -- independent bookkeeping ---------------------------------------------------------------------


def reachable_nodes(output: mg.Value) -> list[mg.Value]:
    """Every node that gets a gradient from `output` (itself included), in a fixed DFS order.

    Only edges into nodes with requires_grad count; constants are skipped.
    """
    seen = {id(output)}
    order = [output]
    stack = [output]
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
                stack.append(parent)
    return order


def count_paths(output: mg.Value) -> dict[int, int]:
    """id(node) -> number of output-to-node paths, by Kahn's algorithm on consumer edges.

    Edges are counted with multiplicity (x * x has two edges to x). A node is processed once all
    its consumers have been, so its count is final when it passes it on to its parents.
    """
    nodes = reachable_nodes(output)
    waiting = {id(n): 0 for n in nodes}  # consumer edges not yet processed
    for node in nodes:
        for parent in node.parents:
            if parent.requires_grad:
                waiting[id(parent)] += 1
    paths = {id(n): 0 for n in nodes}
    paths[id(output)] = 1
    ready = deque([output])
    while ready:
        node = ready.popleft()
        for parent in node.parents:
            if not parent.requires_grad:
                continue
            paths[id(parent)] += paths[id(node)]
            waiting[id(parent)] -= 1
            if waiting[id(parent)] == 0:
                ready.append(parent)
    assert all(w == 0 for w in waiting.values()), "count_paths needs an acyclic graph"
    return paths


def enumerate_paths(output: mg.Value) -> dict[int, int]:
    """The same counts by walking every path one by one (exponential: small graphs only)."""
    counts: dict[int, int] = {}

    def walk(node: mg.Value) -> None:
        counts[id(node)] = counts.get(id(node), 0) + 1
        for parent in node.parents:
            if parent.requires_grad:
                walk(parent)

    walk(output)
    return counts


def expected_vjp_calls(output: mg.Value) -> tuple[int, int]:
    """(naive's vjp_calls, the other strategies' vjp_calls) as DESIGN.md defines them:
    output-to-node paths summed over op nodes, and the number of op nodes."""
    nodes = reachable_nodes(output)
    paths = count_paths(output)
    op_nodes = [n for n in nodes if n.op is not None]
    return sum(paths[id(n)] for n in op_nodes), len(op_nodes)


def close(a: Any, b: Any, rtol: float = 1e-10, scale: float = 0.0) -> bool:
    """|a - b| <= rtol * max(|a|, |b|, scale), elementwise, with |.| the largest entry of each.

    `scale` (e.g. the largest gradient in the graph) keeps a sum that cancels to almost zero
    from failing on rounding alone; pass 0 for a purely relative check.
    """
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    if a_arr.shape != b_arr.shape:
        return False
    if not (np.all(np.isfinite(a_arr)) and np.all(np.isfinite(b_arr))):
        return bool(np.array_equal(a_arr, b_arr, equal_nan=True))
    size = max(float(np.max(np.abs(a_arr), initial=0.0)), float(np.max(np.abs(b_arr), initial=0.0)))
    return bool(np.all(np.abs(a_arr - b_arr) <= rtol * max(size, scale)))


# -- numerics --------------------------------------------------------------------------------------

large_floats = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
"""Floats with |x| <= 1e4: far past where exp overflows (709.8), so naive formulas break."""

positive_large_floats = st.floats(1e-300, 1e4, allow_nan=False, allow_subnormal=False)
"""The domain of log, from just above 0 (1/x still finite) up to 1e4."""
