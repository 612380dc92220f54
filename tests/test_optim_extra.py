"""AdamW, gradient clipping and learning-rate schedules, step by step against PyTorch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim import lr_scheduler


def quartic(p: Any) -> Any:
    """A loss whose gradient changes along the way: sum(p^4) - sum(p)."""
    return (p**4).sum() - p.sum()


@pytest.mark.parametrize(
    "options", [{}, {"lr": 0.05, "weight_decay": 0.3, "betas": (0.8, 0.99), "eps": 1e-6}]
)
def test_adamw_follows_pytorch(options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    start = np.random.default_rng(0).normal(size=(3, 4))
    p, q = mg.Value(start.copy()), torch.tensor(start, requires_grad=True)
    ours, theirs = mg.optim.AdamW([p], **options), torch.optim.AdamW([q], **options)
    assert (ours.lr, ours.betas, ours.eps, ours.weight_decay) == (
        theirs.defaults["lr"],
        theirs.defaults["betas"],
        theirs.defaults["eps"],
        theirs.defaults["weight_decay"],
    )
    for _ in range(6):
        ours.zero_grad()
        theirs.zero_grad()
        quartic(p).backward()
        quartic(q).backward()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_adamw_decay_is_decoupled_from_the_moments() -> None:
    # With a zero gradient Adam's step is zero, so AdamW only shrinks p by lr * weight_decay;
    # Adam's L2 decay would instead feed the decay through the moments (a step of about lr).
    for optimizer, expected in ((mg.optim.AdamW, 1.0 - 0.1 * 0.5), (mg.optim.Adam, None)):
        p = mg.Value(np.ones(3))
        opt = optimizer([p], lr=0.1, weight_decay=0.5)
        p.grad = np.zeros(3)
        opt.step()
        if expected is not None:
            np.testing.assert_allclose(p.data, expected)
        else:
            np.testing.assert_allclose(p.data, 1.0 - 0.1, rtol=1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_follows_pytorch(norm_type: float, max_norm: float) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    ours = [mg.Value(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    untouched = mg.Value(np.ones(2))  # no gradient: skipped, as in PyTorch
    total = clip_grad_norm_([*ours, untouched], max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)
    assert not untouched.has_grad


def test_clip_grad_norm_replaces_gradients_instead_of_scaling_shared_arrays() -> None:
    x, y = mg.Value(np.array([3.0, 4.0])), mg.Value(np.array([0.0, 0.0]))
    (x + y).sum().backward()  # the two gradients may be one array in memory
    shared = y.grad
    assert clip_grad_norm_(x, max_norm=1.0) == pytest.approx(math.sqrt(2.0))
    np.testing.assert_allclose(np.linalg.norm(x.grad), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(shared, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    with pytest.raises(RuntimeError, match="is nan"):
        x.grad = np.array([np.nan, 1.0])
        clip_grad_norm_([x], 1.0, error_if_nonfinite=True)


def run_schedule(make: Any, optimizer: Any, epochs: int) -> list[float]:
    """The learning rate of each epoch: read from the optimizer, then one optimizer step and one
    scheduler step (PyTorch's order)."""
    scheduler = make(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("StepLR", {"step_size": 3}),
        ("StepLR", {"step_size": 2, "gamma": 0.5}),
        ("CosineAnnealingLR", {"T_max": 5}),
        ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
    ],
)
def test_schedules_follow_pytorch_step_by_step(name: str, args: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    p = mg.Value(np.ones(2))
    p.grad = np.zeros(2)
    ours = mg.optim.SGD([p], lr=0.1)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    mine = run_schedule(lambda o: getattr(lr_scheduler, name)(o, **args), ours, 17)
    expected = run_schedule(
        lambda o: getattr(torch.optim.lr_scheduler, name)(o, **args), theirs, 17
    )
    assert mine == expected  # the same floating-point numbers, beyond T_max too
    assert ours.lr == theirs.param_groups[0]["lr"]


def test_a_schedule_sets_the_rate_the_optimizer_uses() -> None:
    p = mg.Value(np.zeros(1))
    opt = mg.optim.SGD([p], lr=1.0)
    schedule = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        p.grad = np.ones(1)
        before = p.data.copy()
        opt.step()
        schedule.step()
        moves.append(float(before[0] - p.data[0]))
    assert moves == [1.0, 0.5, 0.25]
    with pytest.raises(ValueError, match="step_size must be a positive int"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive int"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)


def test_the_schedulers_import_as_in_pytorch() -> None:
    # `from torch.optim.lr_scheduler import StepLR` has the same spelling here.
    from minigrad.optim.lr_scheduler import CosineAnnealingLR, StepLR

    assert StepLR is mg.optim.lr_scheduler.StepLR
    assert CosineAnnealingLR is lr_scheduler.CosineAnnealingLR
    opt = mg.optim.SGD([mg.Value(1.0)], lr=0.5)
    schedule = StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(2):
        schedule.step()
    assert opt.lr == pytest.approx(0.05)
