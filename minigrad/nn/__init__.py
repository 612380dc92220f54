"""Layers and models: `Module`, `Linear`, `MLP`, `Sequential`, activations, losses, checkpoints."""

from minigrad.nn import functional
from minigrad.nn.layers import (
    MLP,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    activation_module,
    init_weight,
    make_rng,
)
from minigrad.nn.module import Module, load, save

__all__ = [
    "MLP",
    "Linear",
    "Module",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "activation_module",
    "functional",
    "init_weight",
    "load",
    "make_rng",
    "save",
]
