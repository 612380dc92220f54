"""Learning-rate schedules with PyTorch's semantics: `StepLR` and `CosineAnnealingLR`.

`minigrad.optim.lr_scheduler`, like `torch.optim.lr_scheduler`. A scheduler sets its
optimizer's `lr`; call its `step()` once per epoch, after the optimizer's `step()`. Creating a
scheduler counts as epoch 0 and leaves the learning rate as it is. Both use PyTorch's chainable
("recursive") update, which reads the optimizer's current `lr`, so their learning rates agree with
PyTorch's step by step, to the last bit, beyond `T_max` too.
"""

from __future__ import annotations

import math
from typing import Any, Protocol


class HasLearningRate(Protocol):
    """What a scheduler needs of an optimizer: a learning rate it may read and set."""

    lr: float


class LRScheduler:
    """The shared bookkeeping: the base learning rate, the epoch count and the last rate set."""

    def __init__(self, optimizer: HasLearningRate) -> None:
        if not isinstance(getattr(optimizer, "lr", None), float | int):
            raise TypeError(f"{type(optimizer).__name__} is not an optimizer with an lr")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = -1
        self._last_lr = self.base_lr
        self.step()

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        lr = self.optimizer.lr if self.last_epoch == 0 else self._next_lr(self.optimizer.lr)
        self.optimizer.lr = lr
        self._last_lr = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last `step()`, in a list (one per parameter group, as in
        PyTorch; a minigrad optimizer has one group)."""
        return [self._last_lr]

    def _next_lr(self, lr: float) -> float:
        """The learning rate of epoch `last_epoch`, from the current one."""
        raise NotImplementedError


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiplied by `gamma` every `step_size`
    epochs (PyTorch's `StepLR(optimizer, step_size, gamma=0.1)`)."""

    def __init__(self, optimizer: HasLearningRate, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2: from the base rate
    down to `eta_min` over `T_max` epochs, then back up, and so on (PyTorch's
    `CosineAnnealingLR(optimizer, T_max, eta_min=0)`, with its recursive update)."""

    def __init__(self, optimizer: HasLearningRate, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if (epoch - 1 - period) % (2 * period) == 0:  # the bottom of a cycle: start back up
            return lr + (self.base_lr - low) * (1 - math.cos(math.pi / period)) / 2
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return ratio * (lr - low) + low


def _positive_int(name: str, value: Any) -> int:
    """`value` if it is a whole number >= 1 (a bool is not); else a ValueError naming `name`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value
