"""Layers and models: `Module`, `Linear`, `MLP`, `Sequential`, activations, convolution, pooling,
normalisation, dropout, embeddings, losses, checkpoints."""

from minigrad.nn import functional, utils
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.nn.dropout import Dropout
from minigrad.nn.embedding import Embedding
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
from minigrad.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from minigrad.nn.pooling import AvgPool2d, Flatten, MaxPool2d

__all__ = [
    "MLP",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "LayerNorm",
    "Linear",
    "MaxPool2d",
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
    "utils",
]
