"""Arithmetic expressions as Value graphs: `parse_expression("tanh(a*b + a)", {"a": 2.0})`.

The parser behind `minigrad graph EXPRESSION`; it walks Python's own syntax tree (`ast`) and
never calls `eval`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
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


def parse_expression(text: str, values: dict[str, float]) -> Value:
    """Evaluate an arithmetic expression over named scalar Values, safely (no eval).

    Names become leaves (value from `values`, else 1.0, 2.0, ... in order of appearance);
    allowed: numbers, + - * / **, unary minus, and tanh/exp/log/relu/sigmoid calls.

    Args:
        text: The expression, e.g. `"tanh(a*b + a)"`.
        values: Leaf values by name.

    Returns:
        The output node; each leaf is labelled with its name.

    Raises:
        ValueError: If `text` does not parse, uses other syntax, or has no names.
    """
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ValueError(f"cannot parse expression {text!r}: {error.msg}") from None
    leaves: dict[str, Value] = {}

    def visit(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return visit(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in leaves:
                leaves[node.id] = Value(values.get(node.id, float(len(leaves) + 1)), label=node.id)
            return leaves[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](visit(node.left), visit(node.right))
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
            return _FUNCTIONS[node.func.id](arg if isinstance(arg, Value) else Value(arg))
        raise ValueError(
            f"unsupported syntax in expression: {ast.unparse(node)!r} (use numbers, names, "
            f"+ - * / **, and {', '.join(_FUNCTIONS)})"
        )

    result = visit(tree)
    if not isinstance(result, Value):
        raise ValueError(f"expression {text!r} has no variables to differentiate")
    return result
