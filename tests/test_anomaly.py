"""detect_anomaly(): NaN/Inf caught at the op that made it, with the user's line; off by default."""

from __future__ import annotations

import doctest
import io
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import anomaly
from minigrad import value as value_module


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
    plain = value_module._node
    x = mg.Value(np.array([0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x.log()  # no error outside the block: numpy's -inf flows through
    assert np.isneginf(y.data).all()
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            assert anomaly.is_detecting()
        assert value_module._node is not plain  # still inside the outer block
        with pytest.raises(mg.AnomalyError):
            x.log()
    assert value_module._node is plain and not anomaly.is_detecting()


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
