"""Every op once: forward and vector-Jacobian product side by side, in a small table."""

from minigrad.ops.arithmetic import ADD, DIV, MUL, NEG, POW, POWER, SUB
from minigrad.ops.core import Op, RuleNode, unbroadcast
from minigrad.ops.elementwise import EXP, LOG, RELU, SIGMOID, SOFTPLUS, TANH
from minigrad.ops.linalg import LINEAR, MATMUL
from minigrad.ops.reduce import MAX, MEAN, SUM
from minigrad.ops.shape import GETITEM, RESHAPE, TRANSPOSE

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        ADD,
        SUB,
        MUL,
        DIV,
        NEG,
        POW,
        EXP,
        LOG,
        TANH,
        SIGMOID,
        RELU,
        SOFTPLUS,
        MATMUL,
        LINEAR,
        SUM,
        MEAN,
        MAX,
        RESHAPE,
        TRANSPOSE,
        GETITEM,
    )
}
"""Ops by name (`POWER`, pow with a constant exponent, shares the name "pow")."""

__all__ = [
    "ADD",
    "DIV",
    "EXP",
    "GETITEM",
    "LINEAR",
    "LOG",
    "MATMUL",
    "MAX",
    "MEAN",
    "MUL",
    "NEG",
    "OPS",
    "POW",
    "POWER",
    "RELU",
    "RESHAPE",
    "SIGMOID",
    "SOFTPLUS",
    "SUB",
    "SUM",
    "TANH",
    "TRANSPOSE",
    "Op",
    "RuleNode",
    "unbroadcast",
]
