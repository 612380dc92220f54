"""Every op once: forward and vector-Jacobian product side by side, in a small table.

To add an op: write its forward and its rule side by side in the module of its kind, make it
an `Op` (with `broadcasts=True` if its forward broadcasts), add it to `OPS`, and give `Value`
a method (or `minigrad` a function) that builds its node with `minigrad.value.apply`.
"""

from minigrad.ops.arithmetic import ADD, DIV, MUL, NEG, POW, POWER, SUB
from minigrad.ops.combine import CONCATENATE, MAXIMUM, MINIMUM, STACK, WHERE
from minigrad.ops.contract import EINSUM
from minigrad.ops.conv import (
    AVG_POOL2D,
    AVG_POOL2D_GRAD,
    CONV2D,
    CONV2D_GRAD_INPUT,
    CONV2D_GRAD_WEIGHT,
    MAX_POOL2D,
    MAX_POOL2D_GRAD,
)
from minigrad.ops.core import Grads, Op, Rule, RuleNode, unbroadcast
from minigrad.ops.elementwise import EXP, LOG, RELU, SIGMOID, SOFTPLUS, TANH
from minigrad.ops.linalg import LINEAR, MATMUL
from minigrad.ops.loss import MSE
from minigrad.ops.reduce import CUMSUM, MAX, MEAN, MIN, PROD, SUM
from minigrad.ops.shape import BROADCAST_TO, GETITEM, RESHAPE, SCATTER, TRANSPOSE
from minigrad.ops.unary import ABS, CLIP, COS, EXP2, EXPM1, LOG1P, SIGN, SIN, SQRT

OPS: tuple[Op, ...] = (
    ADD,
    SUB,
    MUL,
    DIV,
    NEG,
    POW,
    POWER,
    EXP,
    LOG,
    TANH,
    SIGMOID,
    RELU,
    SOFTPLUS,
    MATMUL,
    LINEAR,
    MSE,
    SUM,
    MEAN,
    MAX,
    RESHAPE,
    TRANSPOSE,
    GETITEM,
    SCATTER,
    BROADCAST_TO,
    CONV2D,
    CONV2D_GRAD_INPUT,
    CONV2D_GRAD_WEIGHT,
    MAX_POOL2D,
    MAX_POOL2D_GRAD,
    AVG_POOL2D,
    AVG_POOL2D_GRAD,
    ABS,
    SQRT,
    SIN,
    COS,
    EXP2,
    LOG1P,
    EXPM1,
    SIGN,
    CLIP,
    MIN,
    PROD,
    CUMSUM,
    MAXIMUM,
    MINIMUM,
    WHERE,
    CONCATENATE,
    STACK,
    EINSUM,
)
"""Every op minigrad has, once (the op tests check that each one is covered; names may repeat:
`POW`, a ** b with b a Value, and `POWER`, a ** n with n a number, are both "pow")."""

__all__ = [
    "ABS",
    "ADD",
    "CLIP",
    "CONCATENATE",
    "COS",
    "CUMSUM",
    "EINSUM",
    "EXP2",
    "EXPM1",
    "LOG1P",
    "MAXIMUM",
    "MIN",
    "MINIMUM",
    "PROD",
    "SIGN",
    "SIN",
    "SQRT",
    "STACK",
    "WHERE",
    "AVG_POOL2D",
    "AVG_POOL2D_GRAD",
    "BROADCAST_TO",
    "CONV2D",
    "CONV2D_GRAD_INPUT",
    "CONV2D_GRAD_WEIGHT",
    "DIV",
    "EXP",
    "GETITEM",
    "LINEAR",
    "MSE",
    "LOG",
    "MATMUL",
    "MAX",
    "MAX_POOL2D",
    "MAX_POOL2D_GRAD",
    "MEAN",
    "MUL",
    "NEG",
    "OPS",
    "POW",
    "POWER",
    "RELU",
    "RESHAPE",
    "SCATTER",
    "SIGMOID",
    "SOFTPLUS",
    "SUB",
    "SUM",
    "TANH",
    "TRANSPOSE",
    "Grads",
    "Op",
    "Rule",
    "RuleNode",
    "unbroadcast",
]
