"""Tests for minigrad.data: generators, the banknote task, batching, standardisation, loaders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from minigrad import data
from minigrad.data import (
    banknote_split,
    batches,
    load_banknote,
    make_banknote_like,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    standardize,
)

Generator = Callable[..., tuple[NDArray[np.float64], NDArray[np.int64]]]

# name -> (function, number of classes with default arguments, number of features)
GENERATORS: dict[str, tuple[Generator, int, int]] = {
    "moons": (make_moons, 2, 2),
    "circles": (make_circles, 2, 2),
    "spirals": (make_spirals, 2, 2),
    "blobs": (make_blobs, 3, 2),
}
generator_names = pytest.mark.parametrize("name", sorted(GENERATORS))


def least_squares_accuracy(features: NDArray[np.float64], y: NDArray[np.int64]) -> float:
    """Fit a linear classifier by least squares on +-1 targets and return its training accuracy."""
    design = np.column_stack([features, np.ones(len(features))])
    weights = np.linalg.lstsq(design, 2.0 * y - 1.0, rcond=None)[0]
    return float(np.mean((design @ weights > 0.0) == (y == 1)))


@pytest.fixture
def real_banknote() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    try:
        return load_banknote()
    except FileNotFoundError as exc:
        pytest.skip(f"real banknote data not available: {exc}")


# --------------------------------------------------------------------------------------------------
# toy generators: shapes, dtypes, balance, determinism, errors
# --------------------------------------------------------------------------------------------------


@generator_names
def test_generator_shapes_dtypes_and_balance(name: str) -> None:
    make, n_classes, n_features = GENERATORS[name]
    X, y = make(301, seed=0)
    assert X.shape == (301, n_features)
    assert y.shape == (301,)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.all(np.isfinite(X))
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes
    assert counts.sum() == 301
    assert counts.max() - counts.min() <= 1


@generator_names
@settings(deadline=None)
@given(n_samples=st.integers(1, 400), noise=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_generator_any_size_is_balanced_and_reproducible(
    name: str, n_samples: int, noise: float, seed: int
) -> None:
    make, n_classes, n_features = GENERATORS[name]
    kwargs: dict[str, Any] = {"seed": seed}
    if name != "blobs":
        kwargs["noise"] = noise
    X, y = make(n_samples, **kwargs)
    assert X.shape == (n_samples, n_features)
    assert y.shape == (n_samples,)
    assert set(np.unique(y)) <= set(range(n_classes))
    counts = np.bincount(y, minlength=n_classes)
    assert counts.max() - counts.min() <= 1
    X2, y2 = make(n_samples, **kwargs)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@generator_names
def test_generator_same_seed_same_data_other_seed_other_data(name: str) -> None:
    make = GENERATORS[name][0]
    X1, y1 = make(200, seed=7)
    X2, y2 = make(200, seed=7)
    X3, _ = make(200, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@generator_names
def test_generator_rng_matches_seed_and_advances(name: str) -> None:
    make = GENERATORS[name][0]
    X_seed, y_seed = make(100, seed=3)
    rng = np.random.default_rng(3)
    X_rng, y_rng = make(100, rng=rng)
    np.testing.assert_array_equal(X_seed, X_rng)
    np.testing.assert_array_equal(y_seed, y_rng)
    X_next, _ = make(100, rng=rng)  # the generator was advanced: new data
    assert not np.array_equal(X_rng, X_next)


@generator_names
def test_generator_unseeded_calls_differ(name: str) -> None:
    make = GENERATORS[name][0]
    assert not np.array_equal(make(100)[0], make(100)[0])


@generator_names
def test_generator_argument_errors(name: str) -> None:
    make = GENERATORS[name][0]
    with pytest.raises(ValueError, match="not both"):
        make(10, seed=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        make(0, seed=0)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        make(-5, seed=0)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        make(10.0, seed=0)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        make(True, seed=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        make(10, seed=-1)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        make(10, rng=np.random.RandomState(0))


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals])
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf")])
def test_bad_noise_is_a_value_error(make: Generator, noise: float) -> None:
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(10, noise=noise, seed=0)


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals])
def test_numpy_integer_sizes_are_accepted(make: Generator) -> None:
    X, _ = make(np.int64(12), seed=np.int32(1))
    assert X.shape == (12, 2)


@generator_names
def test_shuffle_false_groups_rows_by_class(name: str) -> None:
    make = GENERATORS[name][0]
    _, y = make(50, seed=0, shuffle=False)
    assert np.all(np.diff(y) >= 0)
    _, y_shuffled = make(50, seed=0)
    assert not np.all(np.diff(y_shuffled) >= 0)


def test_moons_without_noise_lie_on_the_two_arcs() -> None:
    X, y = make_moons(101, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    assert (len(upper), len(lower)) == (50, 51)


@settings(deadline=None)
@given(factor=st.floats(0.05, 0.95), n_samples=st.integers(2, 300))
def test_circles_without_noise_have_radii_one_and_factor(factor: float, n_samples: int) -> None:
    X, y = make_circles(n_samples, noise=0.0, factor=factor, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], factor)


@pytest.mark.parametrize("factor", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_circles_factor_must_be_inside_zero_one(factor: float) -> None:
    with pytest.raises(ValueError, match="factor must be strictly between 0 and 1"):
        make_circles(10, factor=factor, seed=0)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_spirals_have_one_arm_per_class(n_classes: int) -> None:
    X, y = make_spirals(300, n_classes=n_classes, noise=0.0, seed=0)
    assert np.array_equal(np.bincount(y), [300 // n_classes] * n_classes)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() == pytest.approx(0.1)
    assert radius.max() == pytest.approx(1.0)
    # Arms are rotated copies of each other: same radii, angles offset by 2*pi*k/n_classes.
    arms = [X[y == k][np.argsort(radius[y == k])] for k in range(n_classes)]
    for k in range(1, n_classes):
        turn = 2.0 * np.pi * k / n_classes
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        np.testing.assert_allclose(arms[0] @ rotation.T, arms[k], atol=1e-12)


@pytest.mark.parametrize("n_classes", [0, 1, 4, 10])
def test_spirals_reject_other_class_counts(n_classes: int) -> None:
    with pytest.raises(ValueError, match="n_classes must be 2 or 3"):
        make_spirals(30, n_classes=n_classes, seed=0)


def test_blobs_with_explicit_centres_and_zero_spread() -> None:
    centers = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    X, y = make_blobs(11, centers=centers, cluster_std=0.0, seed=0)
    assert X.shape == (11, 3)
    np.testing.assert_array_equal(X, centers[y])
    assert np.array_equal(np.bincount(y), [6, 5])


def test_blobs_per_centre_spread_and_random_centres_in_box() -> None:
    X, y = make_blobs(
        3000, centers=3, n_features=4, cluster_std=[0.1, 1.0, 3.0], center_box=(-2.0, 2.0), seed=1
    )
    assert X.shape == (3000, 4)
    spreads = [X[y == k].std(axis=0).mean() for k in range(3)]
    np.testing.assert_allclose(spreads, [0.1, 1.0, 3.0], rtol=0.1)
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    assert np.all(np.abs(means) <= 2.0 + 0.3)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"centers": 0}, ValueError, "centers must be >= 1"),
        ({"n_features": 0}, ValueError, "n_features must be >= 1"),
        ({"cluster_std": -1.0}, ValueError, "cluster_std must be finite and >= 0"),
        ({"cluster_std": [1.0, 2.0]}, ValueError, "one number or one per centre"),
        ({"centers": np.zeros((0, 2))}, ValueError, "non-empty 2-D array"),
        ({"centers": np.zeros(3)}, ValueError, "non-empty 2-D array"),
        ({"center_box": (1.0, -1.0)}, ValueError, "center_box"),
    ],
)
def test_blobs_argument_errors(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_blobs(10, seed=0, **kwargs)


# --------------------------------------------------------------------------------------------------
# the banknote task
# --------------------------------------------------------------------------------------------------


def test_banknote_like_shape_classes_and_ranges() -> None:
    X, y = make_banknote_like()
    assert X.shape == (1372, 4)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [762, 610])
    assert np.array_equal(y, np.repeat([0, 1], [762, 610]))  # ordered by class, like the file
    # The real features' observed ranges (roughly -13.8 to 17.9 overall).
    assert np.all(X >= [-7.05, -13.8, -5.3, -8.55])
    assert np.all(X <= [6.85, 13.0, 17.95, 2.45])
    # Unnormalised, with a spread comparable to the real features'.
    assert np.all(X.std(axis=0) > 1.5)


def test_banknote_like_is_deterministic_by_seed() -> None:
    X0, y0 = make_banknote_like()
    X0b, y0b = make_banknote_like(seed=0)
    X1, _ = make_banknote_like(seed=1)
    np.testing.assert_array_equal(X0, X0b)
    np.testing.assert_array_equal(y0, y0b)
    assert not np.array_equal(X0, X1)


def test_banknote_like_is_nearly_but_not_perfectly_linear() -> None:
    X, y = make_banknote_like()
    linear = least_squares_accuracy(X, y)
    assert 0.95 <= linear < 1.0
    # The true boundary is curved: quadratic features help a least-squares classifier.
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    i, j = np.triu_indices(4)
    assert least_squares_accuracy(np.column_stack([Z, Z[:, i] * Z[:, j]]), y) > linear


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_banknote_like_is_linearly_separable_to_95_percent_for_any_seed(seed: int) -> None:
    X, y = make_banknote_like(seed)
    assert np.array_equal(np.bincount(y), [762, 610])
    assert least_squares_accuracy(X, y) >= 0.95


def test_banknote_like_resembles_the_real_class_means(
    real_banknote: tuple[NDArray[np.float64], NDArray[np.int64]],
) -> None:
    X_real, y_real = real_banknote
    X, y = make_banknote_like()
    for cls in (0, 1):
        gap = np.abs(X[y == cls].mean(axis=0) - X_real[y_real == cls].mean(axis=0))
        assert np.all(gap < 0.5 * X_real.std(axis=0))


def test_real_banknote_loads(real_banknote: tuple[NDArray[np.float64], NDArray[np.int64]]) -> None:
    X, y = real_banknote
    assert X.shape == (1372, 4)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [762, 610])
    assert X.min() == pytest.approx(-13.7731)
    assert X.max() == pytest.approx(17.9274)
    assert 0.95 <= least_squares_accuracy(X, y) < 1.0


def test_load_banknote_reads_explicit_path_and_env_var(
    real_banknote: tuple[NDArray[np.float64], NDArray[np.int64]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = real_banknote
    copy = tmp_path / "copy.csv"
    lines = ["A,B,C,D,Y"] + [
        ",".join([*(repr(float(v)) for v in row), str(label)])
        for row, label in zip(X, y, strict=True)
    ]
    copy.write_text("\n".join(lines) + "\n")
    X_path, y_path = load_banknote(copy)
    np.testing.assert_array_equal(X_path, X)
    np.testing.assert_array_equal(y_path, y)
    monkeypatch.setenv(data.BANKNOTE_ENV_VAR, str(copy))
    X_env, y_env = load_banknote()
    np.testing.assert_array_equal(X_env, X)
    np.testing.assert_array_equal(y_env, y)


def test_load_banknote_column_order_and_headerless_file(tmp_path: Path) -> None:
    reordered = tmp_path / "reordered.csv"
    reordered.write_text("Y,D,C,B,A\n1,4.0,3.0,2.0,1.0\n0,-4.0,-3.0,-2.0,-1.0\n")
    X, y = load_banknote(reordered)
    np.testing.assert_array_equal(X, [[1.0, 2.0, 3.0, 4.0], [-1.0, -2.0, -3.0, -4.0]])
    np.testing.assert_array_equal(y, [1, 0])
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    headerless = tmp_path / "data_banknote_authentication.txt"
    headerless.write_text("3.6216,8.6661,-2.8073,-0.44699,0\n-1.3971,3.3191,-1.3927,-1.9948,1\n")
    X, y = load_banknote(str(headerless))
    np.testing.assert_array_equal(X[0], [3.6216, 8.6661, -2.8073, -0.44699])
    np.testing.assert_array_equal(y, [0, 1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("A,B,C,D,Y\n", "no data rows"),
        ("A,B,C,Z,Y\n1,2,3,4,0\n", r"lacks column\(s\) \['D'\]"),
        ("A,B,C,D,Y\n1,2,3,4,2\n", "labels must be 0 or 1"),
        ("A,B,C,D,Y\n1,2,x,4,0\n", "non-numeric"),
        ("A,B,C,D,Y\n1,2,3\n", "has 3 columns"),
        ("1,2,3,4\n", "needs 5 columns"),
    ],
)
def test_load_banknote_rejects_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_banknote(bad)


def test_load_banknote_missing_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match="make_banknote_like") as info:
        load_banknote(missing)
    assert str(missing) in str(info.value)
    monkeypatch.setenv(data.BANKNOTE_ENV_VAR, str(missing))
    with pytest.raises(FileNotFoundError, match="MINIGRAD_BANKNOTE"):
        load_banknote()
    monkeypatch.delenv(data.BANKNOTE_ENV_VAR)
    monkeypatch.setattr(data.banknote, "_default_banknote_path", lambda: missing)
    with pytest.raises(FileNotFoundError, match="default location"):
        load_banknote()


# The reference copy beside the repository that the shipped one must equal (absent elsewhere).
REFERENCE_BANKNOTE = Path(__file__).resolve().parents[2] / "shared" / "data" / "banknote.csv"


def test_default_banknote_path_is_the_copy_shipped_in_the_package() -> None:
    shipped = data.banknote._default_banknote_path()
    assert shipped.is_file()
    assert Path(str(shipped)) == Path(data.__file__).resolve().parent / "banknote.csv"


def test_the_shipped_banknote_copy_equals_the_reference_file() -> None:
    if not REFERENCE_BANKNOTE.is_file():
        pytest.skip(f"no reference copy at {REFERENCE_BANKNOTE}")
    shipped = resources.files("minigrad.data").joinpath("banknote.csv").read_bytes()
    assert shipped == REFERENCE_BANKNOTE.read_bytes()


def test_load_banknote_with_no_argument_reads_the_shipped_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(data.BANKNOTE_ENV_VAR, raising=False)
    X, y = load_banknote()
    assert X.shape == (1372, 4)
    assert np.array_equal(np.bincount(y), [762, 610])


def test_the_shipped_banknote_data_is_credited_beside_it_and_by_the_loader() -> None:
    readme = resources.files("minigrad.data").joinpath("README.md").read_text(encoding="utf-8")
    docstring = " ".join((load_banknote.__doc__ or "").split())
    for credit in ("UCI Machine Learning Repository", "10.24432/C55P57", "CC BY 4.0"):
        assert credit in readme
        assert credit in docstring


def legacy_permutation() -> NDArray[np.int64]:
    """The blog's shuffle: the global np.random.seed(1234), then np.random.choice."""
    saved = np.random.get_state()
    try:
        np.random.seed(1234)
        return np.asarray(np.random.choice(1372, 1372, replace=False), dtype=np.int64)
    finally:
        np.random.set_state(saved)


def test_private_random_state_matches_the_legacy_global_seed() -> None:
    private = np.random.RandomState(1234).choice(1372, 1372, replace=False)
    np.testing.assert_array_equal(private, legacy_permutation())


def test_banknote_split_reproduces_the_legacy_split() -> None:
    X, y = make_banknote_like()
    order = legacy_permutation()
    X_train, y_train, X_val, y_val = banknote_split(X, y)
    assert X_train.shape == (1096, 4)
    assert X_val.shape == (276, 4)
    assert (y_train.shape, y_val.shape) == ((1096,), (276,))
    assert X_train.dtype == np.float64
    assert y_train.dtype == np.int64
    np.testing.assert_array_equal(X_train, X[order[:1096]])
    np.testing.assert_array_equal(y_train, y[order[:1096]])
    np.testing.assert_array_equal(X_val, X[order[1096:]])
    np.testing.assert_array_equal(y_val, y[order[1096:]])
    # A partition: every row in exactly one split.
    rows = np.vstack([X_train, X_val])
    assert np.array_equal(np.sort(rows, axis=0), np.sort(X, axis=0))


def test_banknote_split_leaves_the_global_random_state_alone() -> None:
    np.random.seed(99)
    expected = np.random.random(3)
    np.random.seed(99)
    banknote_split(*make_banknote_like())
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_banknote_split_on_real_data(
    real_banknote: tuple[NDArray[np.float64], NDArray[np.int64]],
) -> None:
    X, y = real_banknote
    _, y_train, X_val, y_val = banknote_split(X, y)
    order = legacy_permutation()
    np.testing.assert_array_equal(X_val, X[order[1096:]])
    assert len(y_train) + len(y_val) == 1372
    assert np.bincount(y_train).sum() == 1096


@pytest.mark.parametrize("n", [0, 1371, 1373])
def test_banknote_split_needs_1372_rows(n: int) -> None:
    with pytest.raises(ValueError, match="exactly 1372 rows"):
        banknote_split(np.zeros((n, 4)), np.zeros(n))


# --------------------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------------------


def collect(iterator: Iterator[tuple[NDArray[Any], NDArray[Any]]]) -> list[tuple[Any, Any]]:
    return list(iterator)


@settings(deadline=None)
@given(
    n=st.integers(0, 300),
    batch_size=st.integers(1, 350),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_batches_visit_every_sample_exactly_once(
    n: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int
) -> None:
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    out = collect(batches(X, y, batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last))
    sizes = [len(yb) for _, yb in out]
    for Xb, yb in out:
        assert len(Xb) == len(yb)
        np.testing.assert_array_equal(Xb[:, 0], 3 * yb)  # rows stay paired with their labels
        assert Xb.dtype == np.float64
        assert yb.dtype == np.int64
    seen = np.concatenate([yb for _, yb in out]) if out else np.array([], dtype=np.int64)
    assert len(np.unique(seen)) == len(seen)  # no sample twice
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
    else:
        assert np.array_equal(np.sort(seen), y)  # every sample once
        assert sizes == [batch_size] * (n // batch_size) + (
            [n % batch_size] if n % batch_size else []
        )
    if not shuffle:
        assert np.array_equal(seen, y[: len(seen)])


def test_batches_are_reproducible_by_seed_and_vary_by_epoch_with_rng() -> None:
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50)

    def order(it: Iterator[tuple[NDArray[Any], NDArray[Any]]]) -> NDArray[Any]:
        return np.concatenate([yb for _, yb in it])

    np.testing.assert_array_equal(order(batches(X, y, 8, seed=5)), order(batches(X, y, 8, seed=5)))
    assert not np.array_equal(order(batches(X, y, 8, seed=5)), order(batches(X, y, 8, seed=6)))
    assert not np.array_equal(order(batches(X, y, 8, seed=5)), y)
    rng = np.random.default_rng(5)
    epoch1 = order(batches(X, y, 8, rng=rng))
    epoch2 = order(batches(X, y, 8, rng=rng))
    np.testing.assert_array_equal(epoch1, order(batches(X, y, 8, seed=5)))
    assert not np.array_equal(epoch1, epoch2)


def test_batches_accept_lists_and_multidimensional_targets() -> None:
    X = [[float(i), 0.0] for i in range(5)]
    y = np.eye(5)
    out = collect(batches(X, y, 2, shuffle=False))
    assert [len(yb) for _, yb in out] == [2, 2, 1]
    np.testing.assert_array_equal(out[2][1], np.eye(5)[4:])


def test_batches_copy_rows() -> None:
    X = np.zeros((4, 2))
    y = np.zeros(4)
    Xb, _ = next(batches(X, y, 4, shuffle=False))
    Xb += 1.0
    assert np.all(X == 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": -3}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"y": np.zeros(9)}, ValueError, "same length, got 10 and 9"),
        ({"X": np.float64(1.0)}, ValueError, "not scalars"),
        ({"seed": 1, "rng": np.random.default_rng(1)}, ValueError, "not both"),
    ],
)
def test_batches_validate_arguments_eagerly(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments: dict[str, Any] = {"X": np.zeros((10, 2)), "y": np.zeros(10), "batch_size": 4}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        batches(**arguments)  # raised at the call, before any iteration


# --------------------------------------------------------------------------------------------------
# standardize
# --------------------------------------------------------------------------------------------------


@settings(deadline=None)
@given(rows=st.integers(2, 60), cols=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_standardize_uses_training_statistics(rows: int, cols: int, seed: int) -> None:
    gen = np.random.default_rng(seed)
    scale = gen.uniform(0.1, 20.0, cols)
    shift = gen.uniform(-50.0, 50.0, cols)
    train = gen.normal(size=(rows, cols)) * scale + shift
    other = gen.normal(size=(7, cols)) * scale + shift
    train_std, other_std = standardize(train, other)
    np.testing.assert_allclose(train_std.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(train_std.std(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(other_std, (other - train.mean(0)) / train.std(0), rtol=1e-9)
    assert other_std.dtype == np.float64


def test_standardize_constant_column_single_array_and_errors() -> None:
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    result = standardize(train)
    assert isinstance(result, tuple)
    assert len(result) == 1
    np.testing.assert_array_equal(result[0], [[-1.0, 0.0], [1.0, 0.0]])
    (int_std,) = standardize(np.array([[1, 2], [3, 4]]))
    assert int_std.dtype == np.float64
    with pytest.raises(ValueError, match="X_train must be 2-D"):
        standardize(np.zeros(3))
    with pytest.raises(ValueError, match="at least one row"):
        standardize(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"others\[1\] must be 2-D with 2 columns"):
        standardize(train, train, np.zeros((2, 3)))


def test_standardized_banknote_trains_the_same_way() -> None:
    X_train, _, X_val, _ = banknote_split(*make_banknote_like())
    train_std, val_std = standardize(X_train, X_val)
    assert train_std.shape == (1096, 4)
    assert val_std.shape == (276, 4)
    assert np.all(np.abs(val_std.mean(axis=0)) < 0.3)


# --------------------------------------------------------------------------------------------------
# optional scikit-learn loaders, and the numpy-only promise
# --------------------------------------------------------------------------------------------------


def test_sklearn_loaders_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    for loader in (data.load_breast_cancer, data.load_digits):
        with pytest.raises(ImportError, match="pip install scikit-learn"):
            loader()


def test_load_breast_cancer() -> None:
    pytest.importorskip("sklearn")
    X, y = data.load_breast_cancer()
    assert X.shape == (569, 30)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [212, 357])


def test_load_digits() -> None:
    pytest.importorskip("sklearn")
    X, y = data.load_digits()
    assert X.shape == (1797, 64)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    assert X.min() >= 0.0
    assert X.max() <= 16.0


def test_importing_data_needs_only_numpy() -> None:
    code = (
        "import sys, minigrad.data\n"
        "bad = [m for m in ('sklearn', 'scipy', 'pandas', 'torch') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
