"""`Embedding`: a table of vectors looked up by integer index."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.data.rng import make_rng
from minigrad.nn._arguments import positive
from minigrad.nn.module import Module
from minigrad.value import Value


class Embedding(Module):
    """PyTorch's `nn.Embedding(num_embeddings, embedding_dim)`: `weight` (num_embeddings,
    embedding_dim) drawn from N(0, 1), as PyTorch does; an index array of any shape S gives
    rows of shape S + (embedding_dim,). The lookup is one indexing node, so the weight's
    gradient adds up over repeated indices.

    Args:
        num_embeddings, embedding_dim: the table's size.
        seed, rng: where the initial weights come from.
        dtype: float64 (default) or float32.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.num_embeddings = positive("num_embeddings", num_embeddings)
        self.embedding_dim = positive("embedding_dim", embedding_dim)
        table = make_rng(seed, rng).standard_normal((num_embeddings, embedding_dim))
        self.weight = Value(table.astype(dtype))

    def forward(self, indices: Any) -> Value:
        index = np.asarray(indices.data if isinstance(indices, Value) else indices)
        if index.dtype.kind not in "iu":
            raise TypeError(
                f"Embedding takes integer indices, got dtype {index.dtype} (convert them with "
                ".astype(int))"
            )
        if index.size and (index.min() < 0 or index.max() >= self.num_embeddings):
            bad = index.min() if index.min() < 0 else index.max()
            raise IndexError(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): index {bad} is out "
                f"of range [0, {self.num_embeddings})"
            )
        return self.weight[index]

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"
