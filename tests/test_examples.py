"""Every example runs (quick arguments, in a subprocess), exits 0 and prints what it promises."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, cwd: Path | None = None) -> str:
    """Run examples/<name> with `args` (in `cwd`, default the repository root); return its stdout
    after checking the exit code."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLES.parent if cwd is None else cwd,
        check=False,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_train_moons_saves_its_boundary_plot_by_default(tmp_path: Path) -> None:
    out = run_example("train_moons.py", "--epochs", "30", cwd=tmp_path)
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    assert accuracy >= 0.97
    default = tmp_path / "moons_boundary.png"
    if importlib.util.find_spec("matplotlib") is None:
        assert "matplotlib is not installed" in out
        assert not default.exists()
    else:
        assert "decision boundary saved to moons_boundary.png" in out
        assert default.read_bytes().startswith(b"\x89PNG")
        assert [p.name for p in tmp_path.iterdir()] == ["moons_boundary.png"]


def test_train_moons_plot_path_and_no_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "elsewhere" / "moons.png"
    plot.parent.mkdir()
    out = run_example("train_moons.py", "--epochs", "30", "--plot", str(plot), cwd=tmp_path)
    assert f"decision boundary saved to {plot}" in out
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "moons_boundary.png").exists()

    quiet = tmp_path / "quiet"
    quiet.mkdir()
    out = run_example("train_moons.py", "--epochs", "30", "--no-plot", cwd=quiet)
    assert "decision boundary" not in out and "matplotlib" not in out
    assert list(quiet.iterdir()) == []


def test_scalar_vs_tensor() -> None:
    out = run_example("scalar_vs_tensor.py", "--sizes", "2,3,1", "--batch", "4")
    difference = re.search(r"max \|gradient difference\| scalar vs tensor: (\S+)", out)
    assert difference is not None and float(difference.group(1)) < 1e-10
    for strategy in ("naive", "memoized", "cycle_checked", "topological", "tape"):
        assert re.search(rf"^{strategy}\s+scalar\s", out, re.MULTILINE)


def test_recursive_training() -> None:
    out = run_example("recursive_training.py", "--epochs", "30")
    assert re.search(r"^data: the (REAL|GENERATED) banknote", out, re.MULTILINE)
    rows = re.findall(r"^(callstack/\w+|cachelist|graph/\w+)\s.*\s(\S+)$", out, re.MULTILINE)
    assert {engine for engine, _ in rows} >= {"callstack/after", "cachelist", "graph/naive"}
    assert all(float(difference) <= 1e-12 for _, difference in rows)
    assert "the pitfall" in out and "largest difference during the run" in out
    assert "reference for this net is final cost 0.0221416" in out  # and how to reproduce it
    assert "--full" in out


def test_naive_blowup() -> None:
    out = run_example("naive_blowup.py", "--max-width", "2", "--max-depth", "4")
    assert "loss = 0.055878068519" in out
    assert "runs 111 times" in out
    assert re.search(r"^\s+2\s+4\s+59\s+78\s+78\s+38\s+38\s", out, re.MULTILINE)


@pytest.mark.parametrize(
    "name", ["train_moons.py", "scalar_vs_tensor.py", "recursive_training.py", "naive_blowup.py"]
)
def test_help(name: str) -> None:
    assert "usage:" in run_example(name, "--help")


def test_newton_reaches_the_target_loss_in_far_fewer_iterations_than_gradient_descent() -> None:
    assert "--strategy" in run_example("newton.py", "--help")
    out = run_example("newton.py", "--strategy", "memoized")
    assert re.search(r"^data: the REAL banknote data", out, re.MULTILINE)
    assert "backward strategy: memoized" in out
    f_star = float(re.search(r"f\* = ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    target = f_star + 1e-8 + 1e-10  # the default tolerance; the table rounds to 10 decimals
    rows = {
        method: (int(iterations.replace(",", "")), float(loss), int(hvps), int(hessians))
        for method, iterations, loss, hvps, hessians in re.findall(
            r"^(gradient descent|Newton-CG|Newton)\s+([0-9,]+)\s+[0-9.]+\s+([0-9.]+)\s+[0-9.]+"
            r"\s+[0-9,]+\s+([0-9,]+)\s+([0-9,]+)$",
            out,
            re.MULTILINE,
        )
    }
    assert set(rows) == {"gradient descent", "Newton", "Newton-CG"}, out
    assert all(loss <= target for _, loss, _, _ in rows.values())  # the same loss, reached
    descent, newton, newton_cg = rows["gradient descent"], rows["Newton"], rows["Newton-CG"]
    assert 0 < newton[0] <= 10 and newton[0] * 50 < descent[0]
    assert 0 < newton_cg[0] <= 15 and newton_cg[0] * 50 < descent[0]
    assert newton[3] == newton[0] and newton[2] == 0  # one Hessian per Newton step
    assert newton_cg[3] == 0 and newton_cg[2] > 0  # CG never forms the Hessian


@pytest.mark.parametrize("data", ["digits", "generated"])
def test_digits_cnn_trains_a_cnn_and_an_mlp_on_one_split(data: str) -> None:
    if data == "digits":
        pytest.importorskip("sklearn")
    out = run_example("digits_cnn.py", "--data", data, "--epochs", "3")
    assert re.search(r"^data: (scikit-learn's 8x8 digits|generated 8x8 stroke images)", out, re.M)
    cnn = float(re.search(r"CNN test accuracy: ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    mlp = float(re.search(r"MLP test accuracy: ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    assert cnn >= 0.9 and mlp >= 0.6  # three epochs: well above chance (0.1) for both
    assert re.search(r"^CNN\s+2730\s", out, re.M) and re.search(r"^MLP\s+2410\s", out, re.M)
