"""Second-order training: Newton's method and Newton-CG against plain gradient descent.

    python examples/newton.py
    python examples/newton.py --strategy naive

Logistic regression on the real banknote data (UCI, CC BY 4.0, shipped with minigrad): the
fixed 1,096 / 276 training / validation split (`minigrad.data.banknote_split`), the four
features standardised with the training rows' statistics, five parameters (four weights and a
bias). The loss is the mean binary cross-entropy plus a small L2 term on the weights: the data
is nearly linearly separable, and without it the weights would grow for ever and the Hessian
would tend to zero, so Newton's method would have no minimum to jump to.

The same loss is minimised three ways, each from zero, each until the training loss is within
`--tolerance` of the optimum f* (found first by Newton's method run to a gradient norm below
1e-12):

- gradient descent with the step 1/L, where L = lambda_max(A^T A) / 4n + lambda bounds the
  Hessian of this loss everywhere (A: the rows with a column of ones for the bias);
- Newton's method: the 5 x 5 Hessian from `mg.hessian`, then solve H d = g and step to x - d;
- Newton-CG: solve H d = g by conjugate gradients, reading H only through Hessian-vector
  products (`mg.hvp`, a double backward pass); the Hessian is never formed.

The table counts gradients (`mg.grad`), Hessian-vector products (`mg.hvp` calls) and Hessians
(`mg.hessian` calls; each is one graph-building backward pass and then one backward pass over
the gradient's graph per parameter). Everything but the seconds is deterministic.
"""

from __future__ import annotations

import argparse
import math
import os
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import minigrad as mg
from minigrad.data import BANKNOTE_ENV_VAR, banknote_split, load_banknote, standardize
from minigrad.nn.functional import binary_cross_entropy_with_logits

Array = NDArray[np.float64]
REFERENCE_GRADIENT_NORM = 1e-12


@dataclass
class Counts:
    """How many times each derivative was evaluated."""

    gradients: int = 0
    hvps: int = 0
    hessians: int = 0


@dataclass(frozen=True)
class Problem:
    """L2-regularised logistic regression: the rows A (with a ones column), labels y, lambda."""

    A: Array
    y: Array
    A_val: Array
    y_val: Array
    l2: float

    def loss(self, theta: mg.Value) -> mg.Value:
        """mean(softplus(A theta) - y A theta) + l2/2 * |w|^2 (the bias, theta[-1], is free)."""
        weights_only = np.ones(self.A.shape[1])
        weights_only[-1] = 0.0
        data_term = binary_cross_entropy_with_logits(self.A @ theta, self.y)
        return data_term + (0.5 * self.l2) * (theta * theta * weights_only).sum()

    def loss_and_gradient(self, theta: Array, counts: Counts) -> tuple[float, Array]:
        """The loss at theta and its gradient, by one forward and one backward pass."""
        point = mg.Value(theta.copy())
        out = self.loss(point)
        (gradient,) = mg.grad(out, point)
        counts.gradients += 1
        return float(out.data), np.asarray(gradient.data)

    def accuracy(self, theta: Array) -> float:
        """Validation accuracy of the rule `A_val theta > 0`."""
        return float(np.mean((self.A_val @ theta > 0) == self.y_val))


@dataclass(frozen=True)
class Result:
    """What one method did."""

    method: str
    iterations: int
    seconds: float
    loss: float
    reached: bool
    theta: Array
    counts: Counts


Step = Callable[[Array, Array, Counts], Array]
"""`step(theta, gradient, counts) -> the next theta`."""


def minimise(
    method: str,
    problem: Problem,
    step: Step,
    *,
    target: float = -math.inf,
    gradient_norm: float = 0.0,
    max_iterations: int,
) -> Result:
    """Step from zero until the loss is at most `target` (or the gradient's norm at most
    `gradient_norm`); `iterations` counts the steps taken."""
    counts = Counts()
    theta = np.zeros(problem.A.shape[1])
    started = time.perf_counter()
    for iteration in range(max_iterations + 1):
        loss, gradient = problem.loss_and_gradient(theta, counts)
        done = loss <= target or float(np.linalg.norm(gradient)) <= gradient_norm
        if done or iteration == max_iterations:
            break
        theta = step(theta, gradient, counts)
    seconds = time.perf_counter() - started
    return Result(method, iteration, seconds, loss, done, theta, counts)


def gradient_descent_step(problem: Problem) -> Step:
    """theta - g / L, with L = lambda_max(A^T A) / 4n + lambda: 1/L never overshoots."""
    lipschitz = np.linalg.eigvalsh(problem.A.T @ problem.A).max() / (4 * len(problem.A))
    rate = 1.0 / (lipschitz + problem.l2)

    def step(theta: Array, gradient: Array, counts: Counts) -> Array:
        return theta - rate * gradient

    return step


def newton_step(problem: Problem) -> Step:
    """theta - H^-1 g, with H formed by `mg.hessian`."""

    def step(theta: Array, gradient: Array, counts: Counts) -> Array:
        hessian = mg.hessian(problem.loss, theta)
        counts.hessians += 1
        return theta - np.linalg.solve(hessian, gradient)

    return step


def conjugate_gradient(product: Callable[[Array], Array], b: Array, tolerance: float) -> Array:
    """x with |H x - b| <= tolerance, H symmetric positive definite, known only by `product`."""
    x = np.zeros_like(b)
    residual = b.copy()
    direction = residual.copy()
    squared = float(residual @ residual)
    for _ in range(len(b)):  # exact after len(b) steps, up to rounding
        hd = product(direction)
        alpha = squared / float(direction @ hd)
        x += alpha * direction
        residual -= alpha * hd
        new_squared = float(residual @ residual)
        if math.sqrt(new_squared) <= tolerance:
            break
        direction = residual + (new_squared / squared) * direction
        squared = new_squared
    return x


def newton_cg_step(problem: Problem) -> Step:
    """theta - d, with H d = g solved by conjugate gradients on `mg.hvp` to the relative
    tolerance min(0.5, sqrt|g|) (a truncated Newton step: loose far away, tight near f*)."""

    def step(theta: Array, gradient: Array, counts: Counts) -> Array:
        def product(v: Array) -> Array:
            counts.hvps += 1
            return mg.hvp(problem.loss, theta, v)

        norm = float(np.linalg.norm(gradient))
        return theta - conjugate_gradient(product, gradient, min(0.5, math.sqrt(norm)) * norm)

    return step


def load_problem(l2: float) -> tuple[str, Problem]:
    """(where the data came from, the problem on its fixed split, standardised)."""
    X, y = load_banknote()
    source = os.environ.get(BANKNOTE_ENV_VAR)
    where = f"from ${BANKNOTE_ENV_VAR}={source}" if source else "the copy shipped with minigrad"
    X_train, y_train, X_val, y_val = banknote_split(X, y)
    X_train, X_val = standardize(X_train, X_val)

    def with_ones(rows: Array) -> Array:
        return np.hstack([rows, np.ones((len(rows), 1))])

    problem = Problem(with_ones(X_train), y_train.astype(np.float64), with_ones(X_val), y_val, l2)
    return f"the REAL banknote data (UCI, CC BY 4.0; {where})", problem


def table(results: list[Result], problem: Problem) -> str:
    """The results, one row per method, in aligned columns."""
    headers = ["method", "iterations", "seconds", "train loss", "val acc", "gradients"]
    headers += ["HVPs", "Hessians"]
    rows = [
        [
            r.method,
            f"{r.iterations:,}" + ("" if r.reached else " (not reached)"),
            f"{r.seconds:.3f}",
            f"{r.loss:.10f}",
            f"{problem.accuracy(r.theta):.4f}",
            f"{r.counts.gradients:,}",
            f"{r.counts.hvps:,}",
            f"{r.counts.hessians:,}",
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--strategy",
        choices=mg.available_strategies(),
        default=mg.get_default_strategy(),
        help="backward strategy for every pass, first and second order",
    )
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 weight lambda on the weights")
    parser.add_argument(
        "--tolerance", type=float, default=1e-8, help="stop at a training loss <= f* + this"
    )
    parser.add_argument(
        "--max-iterations", type=int, default=20_000, help="give up after this many steps"
    )
    args = parser.parse_args(argv)
    if args.l2 <= 0 or args.tolerance <= 0 or args.max_iterations < 1:
        parser.error("--l2 and --tolerance must be positive, --max-iterations at least 1")

    described, problem = load_problem(args.l2)
    n_train, n_features = problem.A.shape
    print(f"data: {described},")
    print(
        f"      {n_train:,} training and {len(problem.A_val):,} validation rows (the fixed split), "
        f"{n_features - 1} features standardised"
    )
    print(
        f"model: logistic regression, {n_features} parameters ({n_features - 1} weights and a bias)"
    )
    print(f"loss: mean binary cross-entropy + {args.l2:g}/2 |w|^2 (the bias is not penalised)")
    print(f"backward strategy: {args.strategy}")
    with mg.use_strategy(args.strategy):
        reference = minimise(
            "reference",
            problem,
            newton_step(problem),
            gradient_norm=REFERENCE_GRADIENT_NORM,
            max_iterations=100,
        )
        target = reference.loss + args.tolerance
        how = "reached" if reference.reached else "NOT reached in 100 steps"
        print(
            f"target: training loss <= f* + {args.tolerance:g}, f* = {reference.loss:.12f} "
            f"(Newton, |g| <= {REFERENCE_GRADIENT_NORM:g} {how})"
        )
        methods: list[tuple[str, Callable[[Problem], Step]]] = [
            ("gradient descent", gradient_descent_step),
            ("Newton", newton_step),
            ("Newton-CG", newton_cg_step),
        ]
        results = [
            minimise(
                name, problem, make(problem), target=target, max_iterations=args.max_iterations
            )
            for name, make in methods
        ]
    print()
    print(table(results, problem))
    print()
    note = (
        "gradients: mg.grad calls. HVPs: mg.hvp calls, each a forward pass, a graph-building "
        "backward pass and a backward pass over the gradient's graph. Hessians: mg.hessian "
        "calls, each a forward pass, a graph-building backward pass and "
        f"{n_features} backward passes over the gradient's graph. Everything but the seconds "
        "is the same on every run."
    )
    print(textwrap.fill(note, width=88))


if __name__ == "__main__":
    main()
