import minigrad as mg


def test_reused_node_gets_the_sum_of_its_paths() -> None:
    for name in mg.available_strategies():
        a = mg.Value(1.0)
        b = a + a
        c = b + b
        c.backward(strategy=name)
        assert a.grad == 4.0
