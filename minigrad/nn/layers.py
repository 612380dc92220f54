"""Layers: Linear (tensor or scalar mode), activations, Sequential and MLP."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.data.rng import make_rng as make_rng  # the one resolver; nn re-exports it
from minigrad.nn.functional import linear
from minigrad.nn.module import Module
from minigrad.value import Value

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def init_weight(
    out_features: int, in_features: int, init: str | float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw an (out, in) weight matrix.

    init: "kaiming" (N(0, 2/in), for relu), "xavier" (N(0, 2/(in+out)), for tanh and sigmoid),
    or a number s: N(0, s^2) (the recursion blog used 0.01).
    """
    if init == "kaiming":
        std = float(np.sqrt(2.0 / in_features))
    elif init == "xavier":
        std = float(np.sqrt(2.0 / (in_features + out_features)))
    elif isinstance(init, int | float) and not isinstance(init, bool) and init >= 0:
        std = float(init)
    else:
        raise ValueError(f"init must be 'kaiming', 'xavier' or a std >= 0, got {init!r}")
    return rng.standard_normal((out_features, in_features)) * std


def value_grid(array: NDArray[Any]) -> NDArray[Any]:
    """An object array holding one scalar Value per entry of `array`."""
    grid = np.empty(array.shape, dtype=object)
    for index, x in np.ndenumerate(array):
        grid[index] = Value(float(x))
    return grid


class Linear(Module):
    """y = x W^T + b, with `weight` (out, in) and `bias` (out,): PyTorch's layout.

    In tensor mode the input is an array or Value with rows as samples. With `scalar=True` every
    weight is its own scalar Value (micrograd-style neurons): `weight` and `bias` are object
    arrays of Values of the same shapes, and the input is one sample (a sequence of numbers or
    Values) or a 2-D batch, giving a list of Values or a list of such lists.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | float = "kaiming",
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        scalar: bool = False,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Linear needs positive sizes, got ({in_features}, {out_features})")
        self.in_features = in_features
        self.out_features = out_features
        self.scalar = scalar
        weight = init_weight(out_features, in_features, init, make_rng(seed, rng))
        if scalar:
            self.weight: Any = value_grid(weight)
            self.bias: Any = value_grid(np.zeros(out_features)) if bias else None
        else:
            self.weight = Value(weight.astype(dtype), label="weight")
            self.bias = Value(np.zeros(out_features, dtype=dtype), label="bias") if bias else None

    def forward(self, x: Any) -> Any:
        if self.scalar:
            return self._forward_scalar(x)
        return linear(x, self.weight, self.bias)

    def _forward_scalar(self, x: Any) -> Any:
        rows = x
        if len(rows) and _is_batch(rows):
            return [self._neuron_outputs(sample) for sample in rows]
        return self._neuron_outputs(rows)

    def _neuron_outputs(self, sample: Sequence[Any]) -> list[Value]:
        if len(sample) != self.in_features:
            raise ValueError(f"Linear expects {self.in_features} inputs, got {len(sample)}")
        outputs = []
        for j, row in enumerate(self.weight):
            act: Any = self.bias[j] if self.bias is not None else 0.0
            for w, xi in zip(row, sample, strict=True):
                act = w * xi + act
            outputs.append(act)
        return outputs

    def __repr__(self) -> str:
        mode = ", scalar=True" if self.scalar else ""
        return f"Linear({self.in_features}, {self.out_features}{mode})"


def _is_batch(rows: Any) -> bool:
    first = rows[0]
    return isinstance(first, list | tuple) or (isinstance(first, np.ndarray) and first.ndim == 1)


def _apply(x: Any, method: str) -> Any:
    """Apply an elementwise Value method to a Value, or to (nested lists of) scalar Values."""
    if isinstance(x, Value):
        return getattr(x, method)()
    if isinstance(x, list | tuple):
        return [_apply(v, method) for v in x]
    return getattr(Value(x, requires_grad=False), method)()


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x: Any) -> Any:
        return _apply(x, "relu")


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Any:
        return _apply(x, "tanh")


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise."""

    def forward(self, x: Any) -> Any:
        return _apply(x, "sigmoid")


_ACTIVATION_MODULES: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def activation_module(name: str) -> Module:
    """The activation layer called `name` ("relu", "tanh" or "sigmoid")."""
    try:
        return _ACTIVATION_MODULES[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}"
        ) from None


class Sequential(Module):
    """Layers applied in order; `model[i]` is the i-th layer, parameters in that order."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Modules, got {type(layer).__name__} at {i}")
            setattr(self, str(i), layer)

    @property
    def layers(self) -> list[Module]:
        return list(self._children.values())

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self._children)

    def forward(self, x: Any) -> Any:
        for layer in self._children.values():
            x = layer(x)
        return x


class MLP(Sequential):
    """A dense net: Linear layers of the given sizes, an activation between them.

    Args:
        sizes: (inputs, hidden..., outputs), e.g. (2, 16, 16, 1).
        activation: "relu", "tanh" or "sigmoid" between layers.
        output_activation: an activation after the last layer, or None.
        init: "kaiming"/"xavier"/a std; by default Kaiming for relu, Xavier otherwise.
        seed, rng: where weights come from; the same seed gives the same weights, in both modes.
        scalar: build micrograd-style scalar neurons instead of matrices.
        dtype: float64 (default) or float32, tensor mode.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        *,
        init: str | float | None = None,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        scalar: bool = False,
        dtype: Any = np.float64,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(f"MLP needs at least two positive sizes, got {sizes}")
        activation_module(activation)
        generator = make_rng(seed, rng)
        chosen_init = (
            init if init is not None else ("kaiming" if activation == "relu" else "xavier")
        )
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(
                Linear(n_in, n_out, init=chosen_init, rng=generator, scalar=scalar, dtype=dtype)
            )
            last = i == len(sizes) - 2
            if not last:
                layers.append(activation_module(activation))
            elif output_activation is not None:
                layers.append(activation_module(output_activation))
        super().__init__(*layers)
        object.__setattr__(self, "sizes", tuple(sizes))
        object.__setattr__(self, "activation", activation)
        object.__setattr__(self, "output_activation", output_activation)
        object.__setattr__(self, "scalar", scalar)

    sizes: tuple[int, ...]
    activation: str
    output_activation: str | None
    scalar: bool

    def linear_layers(self) -> list[Linear]:
        """The Linear layers, first to last."""
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def __repr__(self) -> str:
        output = (
            f", output_activation={self.output_activation!r}"
            if self.output_activation is not None
            else ""
        )
        mode = ", scalar=True" if self.scalar else ""
        return f"MLP({list(self.sizes)}, activation={self.activation!r}{output}{mode})"
