"""The loss table that `train.fit` and `layerwise` share: a name for each Value-graph loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad.nn import functional
from minigrad.value import Value

LOSSES: dict[str, Callable[[Any, Any], Value]] = {
    "mse": functional.mse_loss,
    "bce": functional.binary_cross_entropy_with_logits,
    "cross_entropy": functional.cross_entropy,
}
"""Loss name -> `(prediction, target) -> Value`: `"bce"` takes one logit and 0/1 targets,
`"cross_entropy"` one row of logits and an integer label per sample."""


def get_loss(name: str) -> Callable[[Any, Any], Value]:
    """The loss function called `name` in `LOSSES`.

    Raises:
        ValueError: If `name` is not in `LOSSES`; the message lists the names.
    """
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
    return LOSSES[name]
