"""Optimizers with PyTorch's update formulas: SGD (momentum, weight decay), Adam and AdamW.

They see parameters only (Values with `.data` and `.grad`), never a backward strategy. Array
parameters are updated in place; scalar-mode parameters are reassigned. Parameters that no
backward pass reached (no gradient yet) are skipped, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.value import Value, bump_version


class Optimizer:
    """Holds the parameters; `zero_grad()` clears every one of their gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError("optimizer parameters must be Values")
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got {lr}")
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Clear the accumulated gradients of all parameters."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient: `p.data -= change`.

        The updated parameters' versions move on (`bump_version`): a graph made before the step
        refuses a backward pass that would read the new data.
        """
        updated = []
        for p, state in zip(self.params, self.state, strict=True):
            if p.has_grad:
                data = p.data
                change = self._change(data, p.grad, state)
                if isinstance(data, np.ndarray):
                    data -= change  # in place: no temporary the size of the parameter
                else:
                    p.data = float(data - change)
                updated.append(p)
        bump_version(*updated)

    def _change(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        """The amount to subtract from `data` (the update is `data - change`)."""
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * v, where v = g (+ momentum * v_prev), g = grad + weight_decay * p."""

    def __init__(
        self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must be >= 0")
        self.momentum = momentum
        self.weight_decay = weight_decay

    def _change(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        g = grad + self.weight_decay * data if self.weight_decay else grad
        if self.momentum:
            buf = state.get("momentum")
            if buf is None:  # a copy, as in PyTorch: g may be the caller's own array
                buf = g.copy() if isinstance(g, np.ndarray) else g
            else:
                buf = self.momentum * buf + g
            state["momentum"] = buf
            g = buf
        return self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, with L2 weight decay added to the gradient."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError("eps and weight_decay must be >= 0")
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay

    def _change(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        g = grad + self.weight_decay * data if self.weight_decay else grad
        return self._adam_step(g, state)

    def _adam_step(self, g: Any, state: dict[str, Any]) -> Any:
        """lr * m_hat / (sqrt(v_hat) + eps), the moments updated with the gradient g."""
        beta1, beta2 = self.betas
        t = state.get("step", 0) + 1
        m = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        v = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
        state.update(step=t, m=m, v=v)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's `AdamW`: each step
    first shrinks p by lr * weight_decay * p, then takes Adam's step on the plain gradient."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def _change(self, data: Any, grad: Any, state: dict[str, Any]) -> Any:
        adam = self._adam_step(grad, state)  # the decay stays out of the moments
        return self.lr * self.weight_decay * data + adam if self.weight_decay else adam
