"""The same net in scalar mode (one Value per weight) and tensor mode (one Value per matrix).

    python examples/scalar_vs_tensor.py
    python examples/scalar_vs_tensor.py --sizes 4,8,8,1 --batch 16

Both models come from the same seed, so they hold the same weights; the example shows that they
give the same loss and gradients (the max difference), and what each costs per backward strategy:
time, how many nodes get a gradient, and how many backward rules run (vjp_calls).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

import minigrad as mg
from minigrad.backward.naive import predict_calls
from minigrad.nn import MLP, functional

Array = NDArray[Any]


def layer_grads(model: MLP) -> list[Array]:
    """Every Linear layer's weight and bias gradient as arrays, scalar mode or tensor mode."""
    grads: list[Array] = []
    for layer in model.linear_layers():
        for param in (layer.weight, layer.bias):
            if isinstance(param, mg.Value):
                grads.append(np.asarray(param.grad, dtype=np.float64))
            else:  # an object array of scalar Values
                grads.append(np.array([v.grad for v in param.flat]).reshape(param.shape))
    return grads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,4,4,1", help="layer sizes (default 3,4,4,1)")
    parser.add_argument("--activation", default="tanh", choices=["relu", "tanh", "sigmoid"])
    parser.add_argument("--batch", type=int, default=8, help="samples in the batch (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--naive-cap", type=int, default=1_000_000, help="skip naive above this many vjp calls"
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))

    rng = np.random.default_rng(args.seed + 1)
    X = rng.normal(size=(args.batch, sizes[0]))
    Y = rng.normal(size=(args.batch, sizes[-1]))
    tensor = MLP(sizes, args.activation, seed=args.seed)
    scalar = MLP(sizes, args.activation, seed=args.seed, scalar=True)
    weights_differ = max(
        float(np.max(np.abs(np.asarray(t, dtype=np.float64) - s)))
        for t, s in zip(tensor.state_dict().values(), scalar.state_dict().values(), strict=True)
    )
    print(f"net {list(sizes)}, {args.activation}, batch {args.batch}, MSE loss, seed {args.seed}")
    print(
        f"parameters: {sum(np.size(p.data) for p in tensor.parameters())} numbers; "
        f"tensor mode {len(tensor.parameters())} Values, scalar mode {len(scalar.parameters())}"
        f" Values; max weight difference {weights_differ:.1e}"
    )
    print()
    header = (
        f"{'strategy':<14}{'mode':<8}{'loss':>14}{'forward s':>11}{'backward s':>12}"
        f"{'nodes':>8}{'vjp_calls':>11}{'max_depth':>11}"
    )
    print(header)
    print("-" * len(header))
    worst_loss = 0.0
    worst_grad = 0.0
    costs: dict[tuple[str, str], tuple[float, int]] = {}  # (strategy, mode) -> (seconds, nodes)
    for strategy in mg.available_strategies():
        results: dict[str, tuple[float, list[Array]]] = {}
        for mode, model in (("tensor", tensor), ("scalar", scalar)):
            model.zero_grad()
            started = time.perf_counter()
            loss = functional.mse_loss(model(X), Y)
            forward = time.perf_counter() - started
            if strategy == "naive" and (calls := predict_calls(loss)) > args.naive_cap:
                print(f"{strategy:<14}{mode:<8}  skipped: naive would make {calls:,} vjp calls")
                continue
            stats = loss.backward(strategy=strategy)
            results[mode] = loss.item(), layer_grads(model)
            costs[strategy, mode] = forward + stats.seconds, stats.nodes
            print(
                f"{strategy:<14}{mode:<8}{loss.item():>14.10f}{forward:>11.5f}{stats.seconds:>12.5f}"
                f"{stats.nodes:>8}{stats.vjp_calls:>11}{stats.max_depth:>11}"
            )
        if len(results) == 2:
            (loss_t, grads_t), (loss_s, grads_s) = results["tensor"], results["scalar"]
            worst_loss = max(worst_loss, abs(loss_t - loss_s))
            worst_grad = max(
                worst_grad,
                max(float(np.max(np.abs(a - b))) for a, b in zip(grads_t, grads_s, strict=True)),
            )
    print()
    print(f"max |loss difference| scalar vs tensor: {worst_loss:.2e}")
    print(f"max |gradient difference| scalar vs tensor: {worst_grad:.2e}")
    if ("topological", "scalar") in costs and ("topological", "tensor") in costs:
        (s_time, s_nodes), (t_time, t_nodes) = (
            costs["topological", "scalar"],
            costs["topological", "tensor"],
        )
        print(
            f"topological, forward + backward: scalar mode {s_time * 1e3:.2f} ms over {s_nodes} "
            f"nodes, tensor mode {t_time * 1e3:.2f} ms over {t_nodes} nodes "
            f"({s_time / t_time:.1f}x the time, {s_nodes / t_nodes:.0f}x the nodes)"
        )
    print(
        "Scalar mode builds a node per multiply-add and per sample; tensor mode does the same "
        "arithmetic\nin a few numpy calls, and its graph does not grow with the batch."
    )
    return 0 if worst_grad < 1e-10 and worst_loss < 1e-10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
