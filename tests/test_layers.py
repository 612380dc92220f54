"""The layers for real models: convolution, pooling, normalisation, dropout, embeddings.

Each layer is checked three ways: its gradients (input and parameters) against central
differences under every strategy; against PyTorch, with the same weights loaded from a PyTorch
state_dict (outputs, gradients, and parameters and buffers after a few SGD-with-momentum steps,
in training and evaluation mode); and its state round-tripped through save/load. Train/eval
switching, BatchNorm's running statistics and dropout's scaling and reproducibility have tests of
their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.testing import gradcheck, gradgradcheck

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")


@dataclass(frozen=True)
class LayerCase:
    """A minigrad layer, the PyTorch layer it must equal, and the input it gets."""

    name: str
    make: Callable[[], nn.Module]
    make_torch: Callable[[Any], Any]  # given torch.nn
    shape: tuple[int, ...]
    kind: str = "normal"  # "normal", "distinct" (no ties, for max pooling) or "index"
    training: bool = True

    def __str__(self) -> str:
        return self.name

    def input(self, seed: int = 0) -> Any:
        rng = np.random.default_rng(seed)
        if self.kind == "index":
            return rng.integers(0, 7, self.shape)
        if self.kind == "distinct":
            size = int(np.prod(self.shape))
            return (rng.permutation(size) * 0.1 - size * 0.05).reshape(self.shape)
        return rng.normal(size=self.shape)


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, seed=0),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8, 3, seed=1),
    )


def small_torch_cnn(tnn: Any) -> Any:
    return tnn.Sequential(
        tnn.Conv2d(1, 2, 3, padding=1),
        tnn.BatchNorm2d(2),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(8, 3),
    )


CASES = [
    LayerCase(
        "Conv2d",
        lambda: nn.Conv2d(2, 3, 3, padding=1, seed=0),
        lambda t: t.Conv2d(2, 3, 3, padding=1),
        (2, 2, 5, 5),
    ),
    LayerCase(
        "Conv2d-strided-no-bias",
        lambda: nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(0, 1), bias=False, seed=0),
        lambda t: t.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(0, 1), bias=False),
        (2, 2, 5, 6),
    ),
    LayerCase(
        "Conv2d-unbatched",
        lambda: nn.Conv2d(2, 2, 2, seed=0),
        lambda t: t.Conv2d(2, 2, 2),
        (2, 4, 4),
    ),
    LayerCase(
        "Conv1d",
        lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, seed=0),
        lambda t: t.Conv1d(2, 3, 3, stride=2, padding=1),
        (2, 2, 7),
    ),
    LayerCase(
        "MaxPool2d", lambda: nn.MaxPool2d(2), lambda t: t.MaxPool2d(2), (2, 2, 5, 4), "distinct"
    ),
    LayerCase(
        "MaxPool2d-overlapping-padded",
        lambda: nn.MaxPool2d(3, stride=2, padding=1),
        lambda t: t.MaxPool2d(3, stride=2, padding=1),
        (1, 2, 5, 5),
        "distinct",
    ),
    LayerCase("AvgPool2d", lambda: nn.AvgPool2d(2), lambda t: t.AvgPool2d(2), (2, 2, 4, 5)),
    LayerCase(
        "AvgPool2d-overlapping-padded",
        lambda: nn.AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0)),
        lambda t: t.AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0)),
        (1, 2, 5, 4),
    ),
    LayerCase("Flatten", lambda: nn.Flatten(), lambda t: t.Flatten(), (2, 2, 3, 2)),
    LayerCase("Flatten-middle", lambda: nn.Flatten(1, 2), lambda t: t.Flatten(1, 2), (2, 2, 3, 2)),
    LayerCase("LayerNorm", lambda: nn.LayerNorm(4), lambda t: t.LayerNorm(4), (3, 2, 4)),
    LayerCase(
        "LayerNorm-2d", lambda: nn.LayerNorm((2, 4)), lambda t: t.LayerNorm((2, 4)), (3, 2, 4)
    ),
    LayerCase("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda t: t.BatchNorm1d(3), (5, 3)),
    LayerCase("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3), lambda t: t.BatchNorm1d(3), (2, 3, 4)),
    LayerCase("BatchNorm2d", lambda: nn.BatchNorm2d(2), lambda t: t.BatchNorm2d(2), (3, 2, 3, 2)),
    LayerCase(
        "BatchNorm2d-eval",
        lambda: nn.BatchNorm2d(2),
        lambda t: t.BatchNorm2d(2),
        (3, 2, 3, 2),
        training=False,
    ),
    LayerCase(
        "Embedding",
        lambda: nn.Embedding(7, 3, seed=0),
        lambda t: t.Embedding(7, 3),
        (2, 5),
        "index",
    ),
    LayerCase("small-CNN", small_cnn, small_torch_cnn, (3, 1, 4, 4)),
]


def uneven(shape: tuple[int, ...]) -> np.ndarray:
    """Weights that differ from entry to entry, so a misplaced gradient cannot hide."""
    size = int(np.prod(shape))
    return (np.cos(np.arange(size) * 1.3 + 0.4) + 1.5).reshape(shape)


def weighted(out: mg.Value) -> mg.Value:
    return (out * uneven(out.shape)).sum()


# -- central differences, under every strategy ---------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradients_match_central_differences(case: LayerCase, strategy: str) -> None:
    model = case.make().train(case.training)
    x = case.input()
    inputs = model.parameters()
    if case.kind != "index":
        inputs = [mg.Value(x), *inputs]

    def loss(*values: mg.Value) -> mg.Value:
        return weighted(model(values[0] if case.kind != "index" else x))

    assert gradcheck(loss, *inputs, strategy=strategy, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm2d(2), lambda: nn.LayerNorm((2, 2))])
def test_normalisation_has_second_derivatives(make: Callable[[], nn.Module]) -> None:
    layer = make()
    x = mg.Value(np.random.default_rng(3).normal(size=(3, 2, 2, 2)))
    assert gradgradcheck(lambda v, *_: weighted(layer(v)), x, *layer.parameters(), atol=1e-6)


def test_a_cnn_has_second_derivatives() -> None:
    # conv2d, batch norm, relu and max pooling differentiated twice: the rules run on nodes.
    model = small_cnn()
    conv = model[0]
    x = mg.Value(np.random.default_rng(4).normal(size=(3, 1, 4, 4)))
    assert gradgradcheck(lambda v, w: weighted(model(v)), x, conv.weight, atol=1e-6)


# -- PyTorch as the oracle -----------------------------------------------------------------------


def numpy_state(module: Any) -> dict[str, np.ndarray]:
    """A PyTorch state_dict as numpy arrays: what a user converting a model would load."""
    return {key: value.detach().cpu().numpy() for key, value in module.state_dict().items()}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layers_match_pytorch(case: LayerCase) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = case.make_torch(torch.nn).double()
    model = case.make()
    model.load_state_dict(numpy_state(reference))
    x = case.input()
    for training in (True, False):
        reference.train(training)
        model.train(training)
        tx = torch.tensor(x) if case.kind == "index" else torch.tensor(x, requires_grad=True)
        mx = x if case.kind == "index" else mg.Value(x)
        expected, out = reference(tx), model(mx)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        weights = uneven(out.shape)
        (expected * torch.tensor(weights)).sum().backward()
        weighted(out).backward()
        if case.kind != "index":
            np.testing.assert_allclose(mx.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
        torch_grads = {k: p.grad.numpy() for k, p in reference.named_parameters()}
        for name, p in model.named_parameters():
            np.testing.assert_allclose(p.grad, torch_grads[name], rtol=1e-9, atol=1e-12)
        reference.zero_grad()
        model.zero_grad()
    if not model.parameters():
        return
    # A few steps of SGD with momentum in training mode: same parameters and buffers after.
    reference.train()
    model.train()
    torch_sgd = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    sgd = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(3):
        x = case.input(seed=step + 1)
        torch_sgd.zero_grad()
        sgd.zero_grad()
        torch_out = reference(torch.tensor(x))
        (torch_out * torch.tensor(uneven(torch_out.shape))).sum().backward()
        weighted(model(x)).backward()
        torch_sgd.step()
        sgd.step()
    expected_state = numpy_state(reference)
    state = model.state_dict()
    assert list(state) == list(expected_state)
    for key, array in state.items():
        np.testing.assert_allclose(array, expected_state[key], rtol=1e-9, atol=1e-12)


def test_max_pooling_sends_a_tie_to_its_first_entry_like_pytorch() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[[[1.0, 2.0, 2.0], [0.0, 2.0, 1.0], [2.0, 0.0, 2.0]]]])
    for pool, torch_pool in (
        (nn.MaxPool2d(2, stride=1), torch.nn.MaxPool2d(2, stride=1)),
        (nn.MaxPool2d(2, padding=1), torch.nn.MaxPool2d(2, padding=1)),
    ):
        value, tx = mg.Value(x), torch.tensor(x, requires_grad=True)
        weighted(pool(value)).backward()
        out = torch_pool(tx)
        (out * torch.tensor(uneven(out.shape))).sum().backward()
        np.testing.assert_array_equal(value.grad, tx.grad.numpy())
    assert np.count_nonzero(value.grad) < np.count_nonzero(x == 2.0)  # ties really were split off


# -- modes and running statistics --------------------------------------------------------------


def test_train_and_eval_set_training_recursively() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.Dropout(), nn.BatchNorm2d(2)))
    modules = [model, model[0], model[1], model[1][0], model[1][1]]
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    model[1].train()
    assert [m.training for m in modules] == [False, False, True, True, True]
    model.train(False)
    assert not any(m.training for m in modules)


def test_batchnorm_running_statistics_follow_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for momentum in (0.1, 0.5, None):
        layer = nn.BatchNorm1d(3, momentum=momentum)
        reference = torch.nn.BatchNorm1d(3, momentum=momentum).double()
        for _ in range(4):
            x = rng.normal(2.0, 3.0, size=(6, 3, 2))
            layer(x)
            reference(torch.tensor(x))
        for key, array in numpy_state(reference).items():
            np.testing.assert_allclose(layer.state_dict()[key], array, rtol=1e-12)
        assert layer.num_batches_tracked == 4 and layer.num_batches_tracked.dtype == np.int64
        before = layer.state_dict()
        layer.eval()
        out = layer(x)  # evaluation mode reads the running statistics and changes nothing
        expected = (x - before["running_mean"][:, None]) / np.sqrt(
            before["running_var"][:, None] + 1e-5
        )
        np.testing.assert_allclose(out.data, expected, rtol=1e-12)
        for key, array in layer.state_dict().items():
            np.testing.assert_array_equal(array, before[key])


def test_batchnorm_without_running_statistics_uses_the_batch_in_both_modes() -> None:
    layer = nn.BatchNorm2d(2, track_running_stats=False, affine=False)
    assert layer.state_dict() == {} and layer.parameters() == []
    x = np.random.default_rng(0).normal(size=(2, 2, 3, 3))
    train_out = layer(x).data
    np.testing.assert_allclose(layer.eval()(x).data, train_out)
    np.testing.assert_allclose(train_out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)


def test_batchnorm_refuses_one_value_per_channel_in_training() -> None:
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        layer(np.ones((1, 3)))
    assert layer.num_batches_tracked == 0
    assert layer.eval()(np.ones((1, 3))).shape == (1, 3)


# -- dropout ------------------------------------------------------------------------------------


def test_dropout_zeroes_with_probability_p_and_scales_the_rest() -> None:
    x = mg.Value(np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 50)))
    out = nn.Dropout(0.3, seed=1)(x)
    kept = out.data != 0
    assert 0.28 < 1 - kept.mean() < 0.32
    np.testing.assert_allclose(out.data[kept], x.data[kept] / 0.7)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)  # the gradient goes through the same mask


def test_dropout_is_reproducible_from_a_seed_and_the_identity_in_eval() -> None:
    x = np.ones((4, 8))
    first, second, other = nn.Dropout(seed=3), nn.Dropout(seed=3), nn.Dropout(seed=4)
    masks = [first(x).data for _ in range(3)]
    assert [np.array_equal(m, second(x).data) for m in masks] == [True] * 3
    assert not np.array_equal(masks[0], masks[1])  # each call draws a new mask
    assert not np.array_equal(masks[0], other(x).data)
    value = mg.Value(x)
    assert first.eval()(value) is value
    assert nn.Dropout(0.0)(value) is value
    np.testing.assert_array_equal(nn.Dropout(1.0)(value).data, np.zeros((4, 8)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_in_a_model_follows_the_models_mode() -> None:
    model = nn.Sequential(nn.Linear(4, 4, seed=0), nn.Dropout(0.5, seed=0))
    x = np.ones((3, 4))
    assert np.count_nonzero(model(x).data == 0) > 0
    model.eval()
    np.testing.assert_array_equal(model(x).data, model[0](x).data)


# -- embeddings -----------------------------------------------------------------------------------


def test_embedding_adds_up_the_gradient_of_repeated_indices() -> None:
    table = nn.Embedding(5, 2, seed=0)
    out = table(np.array([[1, 3, 1], [1, 0, 0]]))
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.data[0, 1], table.weight.data[3])
    out.sum().backward()
    np.testing.assert_array_equal(table.weight.grad[:, 0], [2.0, 3.0, 0.0, 1.0, 0.0])


def test_embedding_refuses_bad_indices() -> None:
    table = nn.Embedding(5, 2)
    with pytest.raises(TypeError, match="integer indices"):
        table(np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"index 5 is out of range \[0, 5\)"):
        table(np.array([0, 5]))
    with pytest.raises(IndexError, match="index -1"):
        table(np.array([-1]))


# -- state: buffers, save and load --------------------------------------------------------------


def every_layer(seed: int) -> nn.Module:
    """A model with every new layer that has state (and some that have none)."""

    class Everything(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3, padding=1, seed=seed)
            self.conv1d = nn.Conv1d(2, 2, 3, seed=seed)
            self.bn2 = nn.BatchNorm2d(2)
            self.pool = nn.MaxPool2d(2)
            self.avg = nn.AvgPool2d(2)
            self.flat = nn.Flatten()
            self.drop = nn.Dropout(0.2, seed=seed)
            self.bn1 = nn.BatchNorm1d(8)
            self.norm = nn.LayerNorm(8)
            self.embed = nn.Embedding(4, 8, seed=seed)

        def forward(self, x: Any) -> mg.Value:
            h = self.pool(self.bn2(self.conv(x)).relu())  # (N, 2, 2, 2)
            rows = self.conv1d(h.reshape(-1, 2, 4))  # (N, 2, 2)
            h = self.drop(self.flat(h)) + self.flat(rows).sum(axis=1, keepdims=True)
            h = h + self.avg(h.reshape(-1, 2, 2, 2)).reshape(-1, 2).sum(axis=1, keepdims=True)
            return self.norm(self.bn1(h)) + self.embed(np.arange(h.shape[0]) % 4)

    return Everything()


def test_every_layers_state_round_trips_through_save_and_load(tmp_path: Path) -> None:
    model = every_layer(seed=0)
    x = np.random.default_rng(1).normal(size=(3, 1, 4, 4))
    for _ in range(2):
        model(x)  # training-mode passes move the running statistics
    state = model.state_dict()
    assert list(state) == [
        "conv.weight",
        "conv.bias",
        "conv1d.weight",
        "conv1d.bias",
        "bn2.weight",
        "bn2.bias",
        "bn2.running_mean",
        "bn2.running_var",
        "bn2.num_batches_tracked",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
        "norm.weight",
        "norm.bias",
        "embed.weight",
    ]
    assert len(model.parameters()) == len(state) - 6  # buffers are state, not parameters
    assert [name for name, _ in model.named_buffers()][:2] == [
        "bn2.running_mean",
        "bn2.running_var",
    ]
    model.save(tmp_path / "everything")
    copy = every_layer(seed=1)
    assert not np.array_equal(copy.state_dict()["conv.weight"], state["conv.weight"])
    copy.load(tmp_path / "everything")
    loaded = copy.state_dict()
    for key, array in state.items():
        assert loaded[key].dtype == array.dtype
        np.testing.assert_array_equal(loaded[key], array)
    model.eval()
    copy.eval()
    np.testing.assert_array_equal(copy(x).data, model(x).data)


def test_a_buffer_of_the_wrong_shape_is_refused_and_nothing_changes() -> None:
    layer = nn.BatchNorm1d(3)
    state = layer.state_dict()
    state["running_var"] = np.ones(4)
    with pytest.raises(
        ValueError, match=r"'running_var' has shape \(4,\), the model expects \(3,\)"
    ):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    layer.running_mean = np.full(3, 2.0)  # assigning an array to a buffer keeps it a buffer
    assert layer.state_dict()["running_mean"].tolist() == [2.0, 2.0, 2.0]


# -- errors -------------------------------------------------------------------------------------


def test_layers_name_the_shapes_that_do_not_fit() -> None:
    with pytest.raises(mg.ShapeError, match=r"conv2d: input of shape \(1, 3, 5, 5\) does not fit"):
        nn.Conv2d(2, 4, 3)(np.ones((1, 3, 5, 5)))
    with pytest.raises(mg.ShapeError, match=r"input of size \(2, 2\) with padding"):
        nn.Conv2d(1, 1, 3)(np.ones((1, 1, 2, 2)))
    with pytest.raises(mg.ShapeError, match=r"MaxPool2d|max_pool2d expects input with 3 or 4 axes"):
        nn.MaxPool2d(2)(np.ones((4, 4)))
    with pytest.raises(mg.ShapeError, match=r"BatchNorm2d\(3\): input of shape \(2, 2, 2, 2\)"):
        nn.BatchNorm2d(3)(np.ones((2, 2, 2, 2)))
    with pytest.raises(mg.ShapeError, match=r"does not end in \(4,\)"):
        nn.LayerNorm(4)(np.ones((2, 3)))
    with pytest.raises(TypeError, match="scalar mode stops at Linear"):
        nn.Conv1d(1, 1, 1)([mg.Value(1.0)])
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        nn.Conv2d(1, 1, 0)
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints"):
        nn.MaxPool2d(2, stride=(1, 2, 3))
