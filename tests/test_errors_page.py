"""docs/errors.md stays complete: every error minigrad raises is on the page, as it really reads.

- Every exception class defined in minigrad (minigrad/errors.py and any other module) is named.
- Every exception type raised anywhere in the package (found by parsing every `raise`) is named.
- Representative errors, triggered here, have the start of their real message on the page, in a
  table row or paragraph (or under a heading) that names their type or one of its bases; the
  command line's bad arguments have theirs on the page and exit with status 2.

The checks are plain functions, tested at the end against pages they must reject.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import os
import pkgutil
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import cli, data, layerwise
from minigrad.backward import naive, recursion
from minigrad.nn import functional as F  # noqa: N812 - the usual name
from minigrad.testing import gradcheck
from minigrad.train import fit

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "minigrad"
PREFIX = 40
"""Characters of each message that must appear on the page (messages end in values that vary)."""

# Raised only to be turned into something else: argparse prints an ArgumentTypeError as a usage
# error (exit status 2, on the page by message); a bare `raise ValueError` in the CLI's value
# parser is caught on the next line.
NOT_USER_FACING = {"ArgumentTypeError"}


# -- the checks ---------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """One space for any run of whitespace: the page wraps messages across lines."""
    return " ".join(text.split())


def blocks(page: str) -> Iterator[tuple[str, str]]:
    """(heading, text) for each paragraph and each table row of the page, normalized."""
    heading = ""
    paragraph: list[str] = []
    for line in [*page.splitlines(), ""]:
        if line.startswith("|") or line.startswith("#") or not line.strip():
            if paragraph:
                yield heading, normalize(" ".join(paragraph))
                paragraph = []
            if line.startswith("#"):
                heading = line
            elif line.startswith("|"):
                yield heading, normalize(line)
        else:
            paragraph.append(line)


def missing_names(names: set[str], page: str) -> list[str]:
    """The names that the page never shows as `code`."""
    return sorted(name for name in names if f"`{name}`" not in page)


def undocumented(error: BaseException, page: str) -> str | None:
    """Why `error` is not on the page (None when it is): its message's start must appear in a
    block that, or whose heading, names the error's type or one of its bases."""
    start = normalize(str(error))[:PREFIX]
    kinds = [k.__name__ for k in type(error).__mro__ if k not in (BaseException, Exception, object)]
    found = [(heading, text) for heading, text in blocks(page) if start in text]
    if not found:
        return f"{type(error).__name__}: {start!r}... is not on the page"
    for heading, text in found:
        if any(f"`{kind}`" in text or f"`{kind}`" in heading for kind in kinds):
            return None
    return f"{start!r}... is on the page, but not next to any of {kinds}"


def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a minigrad module, by name."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages([str(PACKAGE)], "minigrad."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == info.name
            ):
                found[name] = obj
    return found


def raised_types() -> dict[str, list[str]]:
    """The name of each exception type raised in the package, with the places that raise it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Attribute):
                name = target.attr
            elif isinstance(target, ast.Name) and target.id[:1].isupper():
                name = target.id
            else:
                continue  # `raise error`, `raise failure[0]`: re-raising something caught
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.setdefault(name, []).append(where)
    return found


# -- every class and every raised type ------------------------------------------------------


def test_every_exception_class_of_minigrad_is_named() -> None:
    classes = exception_classes()
    assert {"MinigradError", "CheckpointError", "AnomalyError"} <= set(classes)
    assert not missing_names(set(classes), PAGE)


def test_every_class_in_minigrad_errors_is_in_the_class_table() -> None:
    from minigrad import errors

    table = [text for heading, text in blocks(PAGE) if "exception classes" in heading]
    names = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == errors.__name__
    }
    for name in names:
        assert any(text.startswith(f"| `{name}` |") for text in table), name


def test_every_raised_exception_type_is_named() -> None:
    raised = raised_types()
    assert "ValueError" in raised and "CheckpointError" in raised  # the parser finds them
    missing = missing_names(set(raised) - NOT_USER_FACING, PAGE)
    assert not missing, {name: raised[name] for name in missing}


# -- representative errors, triggered -----------------------------------------------------------


def model_and_data() -> tuple[mg.nn.MLP, Any, Any]:
    X, y = data.make_moons(16, seed=0)
    return mg.nn.MLP([2, 4, 2], seed=0), X, y


def bad_fit_loss() -> None:
    model, X, y = model_and_data()
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    fit(model, X, y, loss="hinge", optimizer=opt, progress=False)


def bad_fit_epochs() -> None:
    model, X, y = model_and_data()
    fit(model, X, y, epochs=0, optimizer=mg.optim.SGD(model.parameters(), lr=0.1))


def a_cycle() -> None:
    a = mg.Value(1.0, label="a")
    y = a * 2.0
    z = y * 3.0
    w = z + 1.0
    y.label, z.label, w.label = "y", "z", "w"
    y.parents = (w, y.parents[1])  # rewired: y -> z -> w -> y
    w.backward(strategy="topological")


def naive_on_a_dense_net() -> None:
    from minigrad import graphs

    out, _ = graphs.build("dense", 4, 12, "scalar")
    out.backward(strategy="naive")


def outside_graph_inside_anomaly() -> None:
    x = mg.Value(np.array([1.0, 0.0]))
    y = (x**0.5).sum()
    with mg.detect_anomaly():
        y.backward()


def forward_anomaly() -> None:
    x = mg.Value(np.array([1.0, 2.0]))
    with mg.detect_anomaly():
        (x * 0.0).log()


def a_failing_gradcheck() -> None:
    w = mg.Value(np.array([[1.0, 0.0], [2.0, 3.0], [1.0, 1.0]]), label="W")
    gradcheck(lambda v: v.relu().sum(), w)


RAISERS: dict[str, Callable[[], object]] = {
    "fit: unknown loss": bad_fit_loss,
    "fit: epochs": bad_fit_epochs,
    "make_blobs: center_box": lambda: data.make_blobs(10, center_box=(1, 1), seed=0),
    "make_blobs: centers array": lambda: data.make_blobs(10, centers=np.zeros(3), seed=0),
    "make_blobs: centers finite": lambda: data.make_blobs(10, centers=[[0.0, np.nan]], seed=0),
    "make_blobs: cluster_std shape": lambda: data.make_blobs(10, cluster_std=[1.0, 2.0], seed=0),
    "make_blobs: cluster_std value": lambda: data.make_blobs(10, cluster_std=-1.0, seed=0),
    "batches: scalars": lambda: data.batches(np.float64(1.0), np.zeros(2), 2),
    "batches: lengths": lambda: data.batches(np.zeros(3), np.zeros(4), 2),
    "standardize: empty": lambda: data.standardize(np.zeros((0, 2))),
    "standardize: others": lambda: data.standardize(np.zeros((3, 2)), np.zeros((3, 3))),
    "data: noise type": lambda: data.make_moons(10, noise="a"),
    "data: rng type": lambda: data.make_moons(10, rng=0),  # type: ignore[arg-type]
    "layerwise: engine": lambda: layerwise.train(
        mg.nn.MLP([2, 1], seed=0), np.zeros((1, 2)), np.zeros(1), engine="tape"
    ),
    "layerwise: first layer": lambda: layerwise.dense_layers(
        mg.nn.Sequential(mg.nn.ReLU(), mg.nn.Linear(2, 2))
    ),
    "cycle": a_cycle,
    "path explosion": naive_on_a_dense_net,
    "unknown strategy": lambda: (mg.Value(1.0) * 2.0).backward(strategy="memoised"),
    "seed needed": lambda: mg.Value(np.ones(3)).exp().backward(),
    "set_max_calls": lambda: naive.set_max_calls(-1),
    "set_max_calls: nan": lambda: naive.set_max_calls(float("nan")),
    "set_max_calls: str": lambda: naive.set_max_calls("10"),  # type: ignore[arg-type]
    "linear shapes": lambda: mg.nn.Linear(3, 2)(np.ones((4, 5))),
    "bool data": lambda: mg.Value(True),
    "cross_entropy labels": lambda: F.cross_entropy(mg.Value(np.ones((2, 2))), np.array([0, 2])),
    "anomaly: forward": forward_anomaly,
    "anomaly: graph made outside": outside_graph_inside_anomaly,
    "gradcheck": a_failing_gradcheck,
    "optimizer": lambda: mg.optim.Adam([mg.Value(1.0)], betas=(1.0, 0.9)),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", RAISERS)
def test_the_message_is_on_the_page_next_to_its_type(case: str) -> None:
    with pytest.raises(Exception) as caught:  # any type: the page must name it
        RAISERS[case]()
    problem = undocumented(caught.value, PAGE)
    assert problem is None, f"{case}: {problem}"


def test_the_callstack_engine_on_a_net_deeper_than_the_recursion_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real limit is 10^6 layers; a lower one gives the same error on a net built in a blink.
    monkeypatch.setattr(recursion, "MAX_RECURSION_DEPTH", 300)
    X, y = data.make_moons(8, seed=0)
    deep = mg.nn.MLP([2] + [2] * 1200 + [1], seed=0)
    with pytest.raises(mg.GraphTooDeepError) as caught:
        layerwise.train(deep, X, y, engine="callstack", steps=1)
    assert caught.value.strategy == "callstack"
    assert undocumented(caught.value, PAGE) is None
    assert '`engine="cachelist"`' in PAGE


def test_a_bad_naive_cap_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(naive, "_max_calls", None)  # not set in code: the environment decides
    monkeypatch.setenv("MINIGRAD_NAIVE_MAX_CALLS", "abc")
    with pytest.raises(ValueError) as caught:
        (mg.Value(1.0) * 2.0).backward(strategy="naive")
    assert undocumented(caught.value, PAGE) is None


def test_checkpoint_errors_quote_the_real_message_and_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    model = mg.nn.MLP([2, 2], seed=0)
    model.save("m.npz")
    whole = Path("m.npz").read_bytes()
    Path("m.npz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(mg.CheckpointError) as truncated:
        model.load("m.npz")
    assert undocumented(truncated.value, PAGE) is None
    Path("m.npz").write_bytes(b"")
    with pytest.raises(mg.CheckpointError) as empty:
        model.load("m.npz")
    with zipfile.ZipFile("z.npz", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(mg.CheckpointError) as foreign:
        model.load("z.npz")
    deeper = mg.nn.MLP([3, 4, 2], seed=0)  # four arrays, as on the page
    deeper.save("d.npz")
    raw = bytearray(Path("d.npz").read_bytes())
    raw[raw.index(b"PK\x01\x02") + 32] ^= 0xFF  # the first entry's comment swallows the rest
    Path("d.npz").write_bytes(bytes(raw))
    with pytest.raises(mg.CheckpointError) as directory:
        deeper.load("d.npz")
    huge = {"descr": "<f8", "fortran_order": False, "shape": (1 << 20, 1 << 20)}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, huge)
    weights = deeper.state_dict()["0.weight"].tobytes()
    with zipfile.ZipFile("h.npz", "w") as archive:  # '0.weight' claims 8 TiB, holds 96 bytes
        archive.writestr("0.weight.npy", header.getvalue() + weights)
    with pytest.raises(mg.CheckpointError) as crafted:
        deeper.load("h.npz")
    page = normalize(PAGE)
    for error in (empty.value, foreign.value):
        assert f"`{error.reason}`" in page, error.reason
    for error, prefix in (
        (directory.value, "the archive is truncated or damaged ("),
        (crafted.value, "array '0.weight' is damaged ("),
    ):
        inner = error.reason.removeprefix(prefix).removesuffix(")")
        assert f"`{inner}`" in page, inner
    assert "Checkpoints are the .npz files that Module.save writes." in page


def test_the_anomaly_message_for_a_graph_made_outside_says_where_is_unknown() -> None:
    with pytest.raises(mg.AnomalyError) as caught:
        outside_graph_inside_anomaly()
    assert normalize(str(caught.value)) in normalize(PAGE)  # quoted whole


# -- the command line -------------------------------------------------------------------------

CLI_CASES = [
    ["compare", "--depth", "0"],
    ["compare", "--mode", "foo"],
    ["train", "--lr", "0"],
    ["train", "--seed", "-1"],
    ["train", "--sizes", "2"],
    ["train", "--sizes", "3,4,2"],
    ["train", "--engine", "callstack", "--strategy", "naive"],
    ["train", "--engine", "cachelist", "--strategy", "memoized"],
    ["graph", "2*3"],
    ["graph", "a +"],
]


def cli_message(stderr: str) -> str:
    """The message of a usage error: the last line, without `minigrad CMD: [error: ]`."""
    line = stderr.strip().splitlines()[-1]
    return re.sub(r"^minigrad( \w+)?: (error: )?", "", line)


@pytest.mark.parametrize("args", CLI_CASES, ids=" ".join)
def test_cli_usage_errors_exit_2_with_a_message_on_the_page(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = cli.main(args)
    except SystemExit as leaving:  # the argument parser's own errors
        status = leaving.code  # type: ignore[assignment]
    assert status == 2
    message = normalize(cli_message(capsys.readouterr().err))[:PREFIX]
    assert message in normalize(PAGE), message


def test_a_misspelt_minigrad_strategy_exits_2_with_a_message_on_the_page() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MINIGRAD_STRATEGY": "topo"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    message = cli_message(done.stderr)
    assert message.startswith("MINIGRAD_STRATEGY='topo' is not a known strategy")
    assert normalize(message) in normalize(PAGE)  # quoted whole


# -- the checks can fail ----------------------------------------------------------------------


def test_the_checks_reject_a_page_that_lacks_an_entry() -> None:
    without_class = PAGE.replace("`CheckpointError`", "`SomethingElse`")
    assert missing_names({"CheckpointError", "CycleError"}, without_class) == ["CheckpointError"]

    error = ValueError("unknown loss 'hinge'; choose from mse, bce, cross_entropy")
    wrong_type = f"## Training\n\n| `KeyError` | `{error}` |\n"
    assert undocumented(error, wrong_type) is not None  # the page names the wrong type
    right_type = wrong_type.replace("KeyError", "ValueError")
    assert undocumented(error, right_type) is None
    assert undocumented(error, "## Training\n\nNothing about losses.\n") is not None

    # A message wrapped across lines counts, under a heading that names its type.
    wrapped = "### `ValueError`\n\n**Message.** `unknown loss 'hinge'; choose\nfrom mse, bce`\n"
    assert undocumented(error, wrapped) is None
    assert undocumented(error, wrapped.replace("ValueError", "CycleError")) is not None
