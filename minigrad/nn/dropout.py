"""`Dropout`: PyTorch's inverted dropout, drawn from a seedable generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.data.rng import make_rng
from minigrad.nn._arguments import tensor_input
from minigrad.nn.module import Module
from minigrad.value import Value


class Dropout(Module):
    """PyTorch's `nn.Dropout(p=0.5)`: in training mode each entry is zeroed with probability p
    and the others are scaled by 1 / (1 - p), so the expected output is the input; in
    evaluation mode (`model.eval()`) the input passes unchanged.

    Args:
        p: the probability of zeroing an entry, in [0, 1].
        seed, rng: where the masks come from: the same seed gives the same masks, call after
            call (a model's runs are reproducible); by default a fresh unseeded generator.
    """

    def __init__(
        self, p: float = 0.5, *, seed: int | None = None, rng: np.random.Generator | None = None
    ) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = float(p)
        self.rng = make_rng(seed, rng)

    def forward(self, x: Any) -> Value:
        value = tensor_input("Dropout", x, tuple(range(33)))
        if not self.training or self.p == 0.0:
            return value
        if self.p == 1.0:
            return value * np.zeros(value.shape, value.dtype)
        keep = self.rng.random(value.shape) >= self.p
        return value * (keep / (1.0 - self.p)).astype(value.dtype)  # one node: x * mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
