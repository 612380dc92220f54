"""detect_anomaly(): NaN/Inf caught at the op that made it, with the user's line; off by default."""

from __future__ import annotations

import doctest
import io
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import anomaly, hooks


def test_forward_nan_names_op_shapes_and_line() -> None:
    x = mg.Value(np.array([[1.0, -1.0, 2.0]]))
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as caught:
        x.log()  # the line the error must point at
    error = caught.value
    assert error.op == "log" and error.phase == "forward"
    assert "(1, 3)" in str(error)
    assert "test_anomaly.py" in error.site and "x.log()" in error.site


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_backward_inf_is_caught_even_after_the_block() -> None:
    x = mg.Value(np.array([4.0, 0.0]))
    with mg.detect_anomaly():
        y = (x**0.5).sum()  # d/dx sqrt(x) is infinite at 0
    before = x.grad.copy()
    with pytest.raises(mg.AnomalyError) as caught:
        y.backward()
    assert caught.value.phase == "backward" and caught.value.op == "pow"
    assert "x**0.5" in caught.value.site
    np.testing.assert_array_equal(x.grad, before)  # a failed backward writes nothing


def test_an_input_that_already_holds_nan_is_said_so() -> None:
    x = mg.Value(np.array([np.nan, 1.0]))
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="already held NaN"):
        x * 2.0


def test_off_by_default_and_restored_after_nesting() -> None:
    assert not hooks.node_observers and not hooks.backward_observers  # free when off
    x = mg.Value(np.array([0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x.log()  # no error outside the block: numpy's -inf flows through
    assert np.isneginf(y.data).all()
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            assert anomaly.is_detecting()
        assert hooks.node_observers and hooks.backward_observers  # still inside the outer block
        with pytest.raises(mg.AnomalyError):
            x.log()
    assert not hooks.node_observers and not anomaly.is_detecting()
    assert not hooks.backward_observers  # the backward driver's observer is gone again too


def test_finite_graphs_are_unchanged_under_detection() -> None:
    rng = np.random.default_rng(0)
    w = mg.Value(rng.normal(size=(3, 4)))
    x = rng.normal(size=(5, 4))
    (x @ w.T).tanh().sum().backward()
    expected = w.grad.copy()
    w.zero_grad()
    with mg.detect_anomaly():
        stats = (x @ w.T).tanh().sum().backward(strategy="naive")
    np.testing.assert_allclose(w.grad, expected, rtol=1e-12)
    assert stats.vjp_calls == 4


def test_scalar_mode_is_checked_too() -> None:
    a = mg.Value(0.0)
    with mg.detect_anomaly():
        b = a * 1.0
        with pytest.raises(mg.AnomalyError, match="'log'"):
            b.log()
        with pytest.raises(mg.AnomalyError, match="'div'"):
            1.0 / b


def test_docstring_example_runs_under_a_google_style_examples_heading() -> None:
    doc = anomaly.detect_anomaly.__doc__ or ""
    assert "\n    Examples:\n" in doc and "Example:" not in doc
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(anomaly.detect_anomaly, "detect_anomaly", globs={})
    runner = doctest.DocTestRunner(optionflags=0)  # only the flags the example itself sets
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    assert results.attempted >= 4 and results.failed == 0, report.getvalue()
    assert not anomaly.is_detecting()  # the example's block was left, raising or not


# -- graphs made outside the block, differentiated inside it ----------------------------------

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_graph_made_outside_is_checked_by_a_backward_inside(strategy: str) -> None:
    x = mg.Value(np.array([1.0, 0.0]))
    y = (x**0.5).sum()  # made outside the block: its rules carry no check of their own
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as caught:
        y.backward(strategy=strategy)
    error = caught.value
    assert error.op == "pow" and error.phase == "backward"
    assert "input shapes: (2,)" in str(error)
    assert "unknown line" in error.site and "outside" in error.site  # no line was recorded
    assert str(error).endswith(f"the node was made at {error.site}")
    assert "already non-finite" not in str(error)
    assert not x.has_grad  # a failed backward writes nothing


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_same_graph_is_unchecked_after_the_block() -> None:
    x = mg.Value(np.array([1.0, 0.0]))
    y = (x**0.5).sum()
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError):
        y.backward()
    y.backward()  # detection is off again: numpy's answer, as documented
    np.testing.assert_array_equal(x.grad, [0.5, np.inf])


def test_the_first_rule_to_make_inf_is_named_not_the_ones_it_feeds() -> None:
    w = mg.Value(np.array([0.0, 1.0]), label="w")
    u = w * 2.0  # its rule passes the infinite gradient on: not the culprit
    y = (u**0.5).tanh().sum()
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as caught:
        y.backward()
    assert caught.value.op == "pow"
    assert "already non-finite" not in str(caught.value)


def test_a_mixed_graph_names_the_line_of_a_node_made_inside() -> None:
    x = mg.Value(np.array([4.0, 0.0]))
    outside = x * 1.0
    with mg.detect_anomaly():
        y = (outside**0.5).sum()  # made inside: its line is known
        with pytest.raises(mg.AnomalyError) as caught:
            y.backward(strategy="topological")
    assert caught.value.op == "pow"
    assert "test_anomaly.py" in caught.value.site and "outside**0.5" in caught.value.site


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_scalar_graphs_made_outside_are_checked_too() -> None:
    a = mg.Value(0.0)
    b = (a * 1.0).log() * 2.0  # forward: log(0) = -inf, made outside: unchecked
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as caught:
        b.backward()
    assert caught.value.op == "log" and caught.value.phase == "backward"
    assert "input shapes: ()" in str(caught.value)


def test_a_non_finite_seed_is_reported_as_such() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    y = x * 3.0
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as caught:
        y.backward(np.array([np.nan, 1.0]))
    assert caught.value.op == "mul"
    assert "the incoming gradient was already non-finite" in str(caught.value)
    assert not x.has_grad


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_finite_graphs_made_outside_get_the_same_gradients_inside(strategy: str) -> None:
    rng = np.random.default_rng(1)
    w = mg.Value(rng.normal(size=(3, 4)))
    y = (rng.normal(size=(5, 4)) @ w.T).tanh().sum()
    y.backward(strategy=strategy)
    expected = w.grad.copy()
    w.zero_grad()
    with mg.detect_anomaly():
        stats = y.backward(strategy=strategy)
    np.testing.assert_array_equal(w.grad, expected)
    assert stats.strategy == strategy


def test_without_the_hook_a_graph_made_outside_would_pass_unchecked() -> None:
    # What the tests above guard against: with the driver's hook unset, as when detection is
    # off, the rules of nodes made outside the block run unchecked.
    x = mg.Value(np.array([1.0, 0.0]))
    y = (x**0.5).sum()
    with mg.detect_anomaly():
        observers = list(hooks.backward_observers)
        hooks.backward_observers.clear()
        try:
            y.backward()
        finally:
            hooks.backward_observers.extend(observers)
    assert np.isinf(x.grad[1])
