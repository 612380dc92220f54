"""Optimizers and learning-rate schedules, laid out as in PyTorch.

`minigrad.optim.SGD`, `Adam`, `AdamW` (`optimizers.py`) and `minigrad.optim.lr_scheduler.StepLR`,
`CosineAnnealingLR` (`lr_scheduler.py`), so `from minigrad.optim.lr_scheduler import StepLR`
works as `from torch.optim.lr_scheduler import StepLR` does.
"""

from minigrad.optim import lr_scheduler
from minigrad.optim.optimizers import SGD, Adam, AdamW, Optimizer

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
