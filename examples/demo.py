"""Build one small graph with a reused node and show what each backward strategy does with it."""

from __future__ import annotations

import numpy as np

import minigrad as mg


def main() -> None:
    # The micrograd issue-21 example: a reused node, where plain recursion over `_backward`
    # closures goes wrong. Every strategy here gets d c / d a = 4.
    a = mg.Value(1.0, label="a")
    b = a + a
    c = b + b
    print("c = (a + a) + (a + a), a = 1")
    print(f"{'strategy':<14}{'dc/da':>8}{'vjp_calls':>11}{'nodes':>7}{'max_depth':>11}")
    for name in mg.available_strategies():
        a.zero_grad()
        stats = c.backward(strategy=name)
        print(f"{name:<14}{a.grad:>8.1f}{stats.vjp_calls:>11}{stats.nodes:>7}{stats.max_depth:>11}")

    # A tiny dense tensor net: the same gradients under every strategy.
    rng = np.random.default_rng(0)
    w1 = mg.Value(rng.normal(size=(4, 3)), label="W1")
    w2 = mg.Value(rng.normal(size=(1, 4)), label="W2")
    x = mg.Value(rng.normal(size=(3,)), requires_grad=False)
    loss = (w2 @ (w1 @ x).tanh()).sigmoid().sum()
    print(f"\nloss = sigmoid(W2 tanh(W1 x)) = {loss.item():.6f}")
    print(f"{'strategy':<14}{'|dW1|':>12}{'|dW2|':>12}{'vjp_calls':>11}")
    for name in mg.available_strategies():
        w1.zero_grad()
        w2.zero_grad()
        stats = loss.backward(strategy=name)
        print(
            f"{name:<14}{np.linalg.norm(w1.grad):>12.8f}{np.linalg.norm(w2.grad):>12.8f}"
            f"{stats.vjp_calls:>11}"
        )


if __name__ == "__main__":
    main()
