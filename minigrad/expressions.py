"""Arithmetic expressions as Value graphs: `parse_expression("tanh(a*b + a)", {"a": 2.0})`.

The parser behind `minigrad graph EXPRESSION`; it walks Python's own syntax tree (`ast`) and
never calls `eval`. Every way an expression can fail — bad syntax, a name given a value that it
does not use, a division by zero, an overflow, a result that is not a real number, an expression
too long or too deeply nested to draw — is a `ValueError` with a one-line message.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from minigrad.value import Value

_FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "tanh": Value.tanh, "exp": Value.exp, "log": Value.log, "relu": Value.relu,
    "sigmoid": Value.sigmoid,
}  # fmt: skip
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}  # fmt: skip

MAX_LENGTH = 1_000
"""Characters an expression may have: a drawing of more would not be read anyway."""
MAX_OPERATIONS = 200
"""Operations (+ - * / **, unary minus, function calls) an expression may have."""


def parse_expression(text: str, values: Mapping[str, float]) -> Value:
    """Evaluate an arithmetic expression over named scalar Values, safely (no eval).

    Names become leaves (value from `values`, else 1.0, 2.0, ... by position among the
    expression's names in order of first appearance); allowed: numbers, + - * / **, unary minus,
    and tanh/exp/log/relu/sigmoid calls.

    Args:
        text: The expression, e.g. `"tanh(a*b + a)"`.
        values: Leaf values by name; every name must occur in the expression.

    Returns:
        The output node; each leaf is labelled with its name.

    Raises:
        ValueError: If `text` does not parse, uses other syntax, has no names, is longer than
            `MAX_LENGTH` characters, nests too deeply to parse or has more than
            `MAX_OPERATIONS` operations; if `values` names a variable the expression does not
            use; or if evaluating it divides by zero, overflows or leaves the real numbers.
    """
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"expression too long to draw: {len(text):,} characters (at most {MAX_LENGTH:,})"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ValueError(f"cannot parse expression {_short(text)!r}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("expression nests too deeply to parse") from None
    _count_operations(tree)
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = list(
        dict.fromkeys(
            n.id for n in _in_order(tree) if isinstance(n, ast.Name) and id(n) not in functions
        )
    )
    unused = [name for name in values if name not in names]
    if unused:
        raise ValueError(
            f"--values names {', '.join(unused)}, which the expression does not use "
            f"(its names: {', '.join(names) or 'none'})"
        )
    leaves: dict[str, Value] = {}

    def visit(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return _finite(float(node.value), node, "number")
        if isinstance(node, ast.Name):
            if node.id not in leaves:
                start = values.get(node.id, float(names.index(node.id) + 1))
                leaves[node.id] = Value(start, label=node.id)
            return leaves[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = visit(node.left), visit(node.right)
            if isinstance(node.op, ast.Div) and _data(right) == 0.0:
                raise ValueError(f"division by zero in {source(node)!r}{_at(leaves)}")
            return _finite(_apply(_BINARY[type(node.op)], left, right), node, "result")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -visit(node.operand)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            arg = visit(node.args[0])
            result = _apply(_FUNCTIONS[node.func.id], arg if isinstance(arg, Value) else Value(arg))
            return _finite(result, node, "result")
        raise ValueError(
            f"unsupported syntax in expression: {source(node)!r} (use numbers, names, "
            f"+ - * / **, and {', '.join(_FUNCTIONS)})"
        )

    def source(node: ast.AST) -> str:
        """The part of `text` that `node` was parsed from, shortened for a one-line message."""
        return _short(ast.get_source_segment(text, node) or ast.unparse(node))

    def _finite(x: Any, node: ast.AST, what: str) -> Any:
        number = _data(x)
        if math.isfinite(number):
            return x
        part, at = source(node), _at(leaves)
        if math.isnan(number):
            raise ValueError(f"the {what} {part!r} is not a real number (nan){at}")
        if what == "number":
            raise ValueError(f"the number {part!r} overflows a float (inf)")
        raise ValueError(f"the {what} {part!r} is {number}{at}: an overflow, a pole or log(0)")

    result = visit(tree)
    if not isinstance(result, Value):
        raise ValueError(f"expression {text!r} has no variables to differentiate")
    return result


def _apply(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, with Python's arithmetic errors (e.g. 0.0 ** -1) as ValueError."""
    try:
        return fn(*args)
    except (ArithmeticError, ValueError) as error:
        raise ValueError(f"cannot evaluate: {error}") from None


def _in_order(tree: ast.AST) -> list[ast.AST]:
    """The tree's nodes in source order (depth first, left to right), without recursion."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _data(x: Any) -> float:
    return float(x.data) if isinstance(x, Value) else float(x)


def _at(leaves: Mapping[str, Value]) -> str:
    """' at a = 1, b = 2': the leaf values that led there."""
    if not leaves:
        return ""
    return " at " + ", ".join(f"{name} = {leaf.data:g}" for name, leaf in leaves.items())


def _count_operations(tree: ast.AST) -> None:
    """Refuse trees of more than MAX_OPERATIONS operations (counted without recursion), which
    also bounds how deep the evaluation and the backward walks recurse."""
    operations = sum(isinstance(n, ast.BinOp | ast.UnaryOp | ast.Call) for n in ast.walk(tree))
    if operations > MAX_OPERATIONS:
        raise ValueError(
            f"expression too large to draw: {operations:,} operations (at most {MAX_OPERATIONS})"
        )
