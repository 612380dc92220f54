"""Misuse mixed with valid training work never disturbs the valid work.

A hypothesis state machine drives one small model through forward passes, backward passes,
optimizer steps, zero_grad and load_state_dict, interleaved with misuse: a backward pass through
a graph whose inputs an update has changed since, requires_grad turned off on an op node, a user
strategy that returns a bad gradient map, gradcheck with a step of 0, and the truth value of an
array Value. After every step it checks that each misuse raised its clear error, that no failed
call changed any `.grad`, and that every gradient equals a fresh computation: a new model loaded
with the parameters the graph was built from, differentiated on its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import minigrad as mg
from minigrad.backward import register_strategy, unregister_strategy
from minigrad.errors import GradientMapError, InplaceModificationError, RequiresGradError
from minigrad.optim import SGD
from minigrad.testing import gradcheck

SIZES = [2, 3, 1]
X = np.random.default_rng(1).normal(size=(5, 2))
Y = np.random.default_rng(2).normal(size=(5, 1))
STRATEGIES = ["topological", "tape", "memoized", "cycle_checked", "naive"]


def _loss(model: mg.nn.MLP) -> mg.Value:
    return ((model(X) - Y) ** 2).mean()


def _reference_grads(state: dict[str, Any]) -> dict[str, Any]:
    """The gradients of a fresh model holding `state`, by a backward pass of its own."""
    fresh = mg.nn.MLP(SIZES, seed=0)
    fresh.load_state_dict(state)
    _loss(fresh).backward(strategy="topological")
    return {name: np.array(p.grad) for name, p in fresh.named_parameters()}


class Misuse(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = mg.nn.MLP(SIZES, seed=0)
        self.optimizer = SGD(self.model.parameters(), lr=0.05)
        self.expected: dict[str, Any] = {n: None for n, _ in self.model.named_parameters()}
        self.graph: mg.Value | None = None  # the pending forward pass
        self.built_from: dict[str, Any] = {}  # the parameters it was built from
        self.stale = False  # the parameters changed since it was built

    # -- valid work --------------------------------------------------------------------------

    @rule()
    def forward(self) -> None:
        self.graph = _loss(self.model)
        self.built_from = self.model.state_dict()
        self.stale = False

    @precondition(lambda self: self.graph is not None and not self.stale)
    @rule(strategy=st.sampled_from(STRATEGIES))
    def backward(self, strategy: str) -> None:
        assert self.graph is not None
        self.graph.backward(strategy=strategy)
        for name, grad in _reference_grads(self.built_from).items():
            old = self.expected[name]
            self.expected[name] = grad if old is None else old + grad

    @rule()
    def step(self) -> None:
        if any(p.has_grad for p in self.model.parameters()):
            self.optimizer.step()
            self.stale = True

    @rule()
    def zero_grad(self) -> None:
        self.optimizer.zero_grad()
        self.expected = {name: None for name in self.expected}

    @rule()
    def reload(self) -> None:
        self.model.load_state_dict(self.model.state_dict())  # same numbers, a new version
        self.stale = True

    # -- misuse ------------------------------------------------------------------------------

    @precondition(lambda self: self.graph is not None and self.stale)
    @rule()
    def backward_after_an_update(self) -> None:
        assert self.graph is not None
        with pytest.raises(InplaceModificationError, match="changed in place"):
            self.graph.backward()

    @rule()
    def requires_grad_off_on_an_op_node(self) -> None:
        hidden = self.model(X)
        out = (hidden * hidden).sum()
        hidden.requires_grad = False
        with pytest.raises(RequiresGradError, match="only a leaf's requires_grad"):
            out.backward()

    @rule(junk=st.sampled_from(["shape", "type", "foreign"]))
    def a_strategy_with_a_bad_map(self, junk: str) -> None:
        params = self.model.parameters()
        out = _loss(self.model)

        def walk(root: Any, seed: Any, *, trace: Any = None) -> dict[Any, Any]:
            grads: dict[Any, Any] = {p: np.ones(p.shape) for p in params}  # fine so far
            bad = {"shape": np.ones(7), "type": "junk", "foreign": None}[junk]
            if junk == "foreign":
                grads[mg.Value(1.0)] = 1.0
            else:
                grads[params[-1]] = bad
            return grads

        register_strategy("bad_map", walk, replace=True)
        try:
            with pytest.raises(GradientMapError, match="'bad_map'"):
                out.backward(strategy="bad_map")
        finally:
            unregister_strategy("bad_map")

    @rule()
    def gradcheck_with_no_step(self) -> None:
        w = self.model.parameters()[0]
        with pytest.raises(ValueError, match="eps must be"):
            gradcheck(lambda v: (v * v).sum(), w, eps=0.0)

    @rule()
    def truth_value_of_an_array(self) -> None:
        with pytest.raises(ValueError, match="ambiguous"):
            bool(self.model.parameters()[0])

    # -- what must always hold ---------------------------------------------------------------

    @invariant()
    def gradients_are_the_reference_ones(self) -> None:
        for name, p in self.model.named_parameters():
            want = self.expected[name]
            if want is None:
                assert not p.has_grad, f"{name} got a gradient from a call that failed"
            else:
                np.testing.assert_allclose(p.grad, want, rtol=1e-10, atol=1e-12, err_msg=name)


Misuse.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
test_misuse_never_disturbs_valid_work = Misuse.TestCase
