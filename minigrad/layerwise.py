"""Graph-free training of dense nets: the call stack as cache, a list of caches, or the graph.

Three engines train the same `MLP`/`Sequential` of Linear layers and activations, full batch,
with plain gradient descent, and produce the same parameters:

- `callstack`: ONE recursive function per step. On the way down each frame computes its layer's
  forward pass and recurses; the base case computes the cost and dA of the output; on the way
  back up each frame still holds its layer's A_prev, Z and A on the call stack (W and b are read
  from the layer), computes dZ, dW, db and dA_prev, and either updates its layer right there
  (`update="inline"`) or hands the gradients back for an update after the whole backward
  (`update="after"`). dA_prev uses W BEFORE the update, so both timings are exactly gradient
  descent.
  `update="inline_pitfall"` reproduces the original blog code, which updates W first and then
  returns W^T dZ: the layer below gets a gradient computed with the already-updated W.
- `cachelist`: the course approach: a forward loop appends each layer's input, pre-activation
  and output (A_prev, Z, A) to a list, a backward loop consumes it in reverse, then the update.
- `graph`: the Value graph and any backward strategy, then the same update.

Rows are samples (A has shape (m, n)); W has PyTorch's (out, in) layout, so Z = A_prev W^T + b.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.backward import get_strategy, use_strategy
from minigrad.backward.recursion import run_recursive
from minigrad.losses import LOSSES as GRAPH_LOSSES
from minigrad.losses import get_loss
from minigrad.nn.layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from minigrad.nn.module import Module
from minigrad.optim import SGD
from minigrad.value import Value, bump_version

Array = NDArray[Any]
ENGINES = ("callstack", "cachelist", "graph")
UPDATES = ("after", "inline", "inline_pitfall")
LOSSES = tuple(GRAPH_LOSSES)
"""The losses every engine computes: the names of the shared table `minigrad.losses.LOSSES`."""


def _relu_grad(z: Array, a: Array) -> Array:
    return (z > 0).astype(z.dtype)


def _tanh_grad(z: Array, a: Array) -> Array:
    return 1.0 - a * a


def _sigmoid_grad(z: Array, a: Array) -> Array:
    return a * (1.0 - a)


def _identity(z: Array) -> Array:
    return z


def _identity_grad(z: Array, a: Array) -> Array:
    return np.ones_like(z)


def _sigmoid(z: Array) -> Array:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# activation name -> (function, derivative given Z and A)
_ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0), _relu_grad),
    "tanh": (np.tanh, _tanh_grad),
    "sigmoid": (_sigmoid, _sigmoid_grad),
    "identity": (_identity, _identity_grad),
}


@dataclass
class Dense:
    """One dense layer as the graph-free engines see it: arrays, shared with the model."""

    W: Array
    b: Array
    activation: str

    def forward(self, A_prev: Array) -> tuple[Array, Array]:
        """Z = A_prev W^T + b, A = g(Z)."""
        Z = A_prev @ self.W.T + self.b
        return Z, _ACTIVATIONS[self.activation][0](Z)

    def backward(self, dA: Array, A_prev: Array, Z: Array, A: Array) -> tuple[Array, ...]:
        """dZ = dA * g'(Z); dW = dZ^T A_prev; db = sum(dZ); dA_prev = dZ W (W before any update)."""
        dZ = dA * _ACTIVATIONS[self.activation][1](Z, A)
        return dZ.T @ A_prev, dZ.sum(axis=0), dZ @ self.W


def dense_layers(model: Module) -> list[Dense]:
    """The model's Linear layers and the activation after each, as `Dense` views of its arrays.

    Accepts a tensor-mode `MLP` or a `Sequential` of Linear layers each followed by at most one
    ReLU/Tanh/Sigmoid; the last layer's output is the logits the loss sees.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"layerwise training needs a Sequential or MLP, got {type(model).__name__}")
    layers: list[Dense] = []
    names = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}
    modules = model.layers
    for i, layer in enumerate(modules):
        if isinstance(layer, Linear):
            if layer.scalar or layer.bias is None:
                problem = "is in scalar mode" if layer.scalar else "has no bias"
                raise ValueError(
                    f"layerwise training needs tensor-mode Linear layers with a bias; "
                    f"{_layer_name(layer, i)} {problem}"
                )
            layers.append(Dense(layer.weight.data, layer.bias.data, "identity"))
        elif type(layer) in names and layers and layers[-1].activation == "identity":
            layers[-1].activation = names[type(layer)]
        else:
            where = f"after {_layer_name(modules[i - 1], i - 1)}" if i else "first"
            raise ValueError(
                f"layerwise training cannot place {_layer_name(layer, i)} {where}: it takes "
                "Linear layers, each followed by at most one ReLU, Tanh or Sigmoid"
            )
    if not layers:
        raise ValueError("the model has no Linear layers")
    return layers


def _layer_name(layer: Module, index: int) -> str:
    """A short, one-line name for the model's `index`-th layer: index, class and shapes."""
    kind = type(layer).__name__
    if isinstance(layer, Linear):
        return f"layer {index} ({kind}, weight {tuple(np.shape(layer.weight))})"
    shapes = [tuple(np.shape(p.data)) for p in layer.parameters()]
    if not shapes:
        return f"layer {index} ({kind})"
    shown = ", ".join(str(s) for s in shapes[:3])
    more = f", ... ({len(shapes)} in all)" if len(shapes) > 3 else ""
    return f"layer {index} ({kind}, parameter shapes {shown}{more})"


def loss_and_grad(logits: Array, Y: Array, loss: str) -> tuple[float, Array]:
    """The cost of the output layer and its gradient dA with respect to the logits."""
    m = logits.shape[0]
    if loss == "bce":  # mean of max(z,0) - z y + log(1 + e^-|z|); d/dz = sigmoid(z) - y
        cost = np.mean(np.maximum(logits, 0) - logits * Y + np.log1p(np.exp(-np.abs(logits))))
        return float(cost), (_sigmoid(logits) - Y) / logits.size
    if loss == "mse":
        diff = logits - Y
        return float(np.mean(diff * diff)), 2.0 * diff / logits.size
    if loss == "cross_entropy":
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        labels = Y.reshape(-1).astype(np.int64)
        cost = -np.mean(log_p[np.arange(m), labels])
        d = np.exp(log_p)
        d[np.arange(m), labels] -= 1.0
        return float(cost), d / m
    get_loss(loss)  # an unknown name raises, listing the known ones
    raise NotImplementedError(f"the graph-free engines have no gradient rule for loss {loss!r}")


def _targets(y: Array, loss: str) -> Array:
    return y if loss == "cross_entropy" else np.asarray(y, dtype=np.float64).reshape(len(y), -1)


def step_callstack(
    layers: list[Dense],
    X: Array,
    Y: Array,
    lr: float,
    loss: str = "bce",
    update: str = "after",
) -> float:
    """One gradient-descent step by one recursive function; the call stack is the cache."""
    if update not in UPDATES:
        raise ValueError(f"unknown update {update!r}; choose from {', '.join(UPDATES)}")
    deferred: list[tuple[Dense, Array, Array]] = []

    def descend(i: int, A_prev: Array) -> tuple[float, Array]:
        if i == len(layers):  # base case: the output layer's cost and dA
            return loss_and_grad(A_prev, Y, loss)
        layer = layers[i]
        Z, A = layer.forward(A_prev)  # this frame now caches A_prev, Z and A
        cost, dA = descend(i + 1, A)
        dW, db, dA_prev = layer.backward(dA, A_prev, Z, A)
        if update == "inline":
            layer.W -= lr * dW
            layer.b -= lr * db
        elif update == "inline_pitfall":  # the blog's order: update W, then use it for dA_prev
            layer.W -= lr * dW
            layer.b -= lr * db
            dA_prev = (dA * _ACTIVATIONS[layer.activation][1](Z, A)) @ layer.W
        else:
            deferred.append((layer, dW, db))
        return cost, dA_prev

    cost, _ = run_recursive("callstack", len(layers) + 1, lambda: descend(0, X))
    for layer, dW, db in deferred:
        layer.W -= lr * dW
        layer.b -= lr * db
    return cost


def step_cachelist(layers: list[Dense], X: Array, Y: Array, lr: float, loss: str = "bce") -> float:
    """One gradient-descent step: forward loop filling a list of caches, backward loop, update."""
    caches: list[tuple[Array, Array, Array]] = []
    A = X
    for layer in layers:
        Z, A_next = layer.forward(A)
        caches.append((A, Z, A_next))
        A = A_next
    cost, dA = loss_and_grad(A, Y, loss)
    grads: list[tuple[Array, Array]] = []
    for layer, (A_prev, Z, A_out) in zip(reversed(layers), reversed(caches), strict=True):
        dW, db, dA = layer.backward(dA, A_prev, Z, A_out)
        grads.append((dW, db))
    for layer, (dW, db) in zip(reversed(layers), grads, strict=True):
        layer.W -= lr * dW
        layer.b -= lr * db
    return cost


def step_graph(
    model: Module,
    X: Array,
    Y: Array,
    lr: float,
    loss: str = "bce",
    strategy: str | None = None,
) -> float:
    """One gradient-descent step through the Value graph with the given backward strategy (the
    default when None); the forward runs under it too, so that `tape` records what it sweeps."""
    model.zero_grad()
    with use_strategy(strategy) if strategy is not None else contextlib.nullcontext():
        value: Value = get_loss(loss)(model(X), Y)
        value.backward()
    SGD(model.parameters(), lr).step()  # (which bumps the versions of what it updates)
    model.zero_grad()
    return value.item()


def train(
    model: Module,
    X: Array,
    y: Array,
    *,
    engine: str = "callstack",
    steps: int = 100,
    lr: float = 0.0075,
    loss: str = "bce",
    update: str = "after",
    strategy: str | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Full-batch gradient descent on `model` in place; returns the cost before each step.

    Args:
        engine: "callstack", "cachelist" or "graph".
        loss: "bce" (one logit per sample, 0/1 targets), "mse", or "cross_entropy" (labels).
        update: for callstack: "after", "inline", or "inline_pitfall" (the blog's bug).
        strategy: for graph: the backward strategy.
        on_step: called as on_step(step, cost) after each step (progress reporting).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    get_loss(loss)  # an unknown name: ValueError listing the known ones
    if update not in UPDATES:
        raise ValueError(f"unknown update {update!r}; choose from {', '.join(UPDATES)}")
    if update != "after" and engine != "callstack":
        raise ValueError(f"update={update!r} is only for engine='callstack', not {engine!r}")
    if strategy is not None:
        if engine != "graph":
            raise ValueError(f"strategy= is only for engine='graph', not {engine!r}")
        get_strategy(strategy)  # an unknown name: UnknownStrategyError (a ValueError), now
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    layers = dense_layers(model)
    parameters = model.parameters()
    X = np.asarray(X, dtype=layers[0].W.dtype)
    Y = _targets(np.asarray(y), loss)
    costs: list[float] = []
    for step in range(steps):
        if engine == "callstack":
            cost = step_callstack(layers, X, Y, lr, loss, update)
        elif engine == "cachelist":
            cost = step_cachelist(layers, X, Y, lr, loss)
        else:
            cost = step_graph(model, X, Y, lr, loss, strategy)
        if engine != "graph":  # the model's arrays changed in place: graphs made before are stale
            bump_version(*parameters)
        costs.append(cost)
        if on_step is not None:
            on_step(step, cost)
    return costs
