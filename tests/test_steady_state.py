"""Steady-state extrapolation: exact on costs multilinear in the sampled loops' counts."""

from __future__ import annotations

import pytest

from vtac.runtime.steady_state import SAMPLE_FROM, extrapolate, sampled_loops, walked_steps


def test_sampled_loops_keep_the_split_edges_walked() -> None:
    trips = {"a": 10, "b": 3, "c": 9}
    assert sampled_loops(trips, ("a", "b", "c")) == {"a": 10, "c": 9}
    # a split over 4 steps: c's iterations are single steps, so c is walked whole
    assert sampled_loops(trips, ("a", "b", "c"), edge=4) == {"a": 10}
    assert sampled_loops({"a": SAMPLE_FROM}, ("a",)) == {}


@pytest.mark.parametrize("trips", [(9, 12), (10, 7), (40, 8)])
def test_extrapolation_of_a_multilinear_cost(trips: tuple[int, int]) -> None:
    sampled = {"a": trips[0], "b": trips[1]}
    walked = []

    def cost(visit: dict[str, list[int]]) -> tuple[float]:
        # a first iteration and a last one that differ, a period of two in the middle
        def loop(indices: list[int], last: int) -> float:
            return sum(7 if i == 0 else 3 if i == last else 5 + (i % 2) for i in indices)

        walked.append(len(visit["a"]) * len(visit["b"]))
        return (loop(visit["a"], trips[0] - 1) * loop(visit["b"], trips[1] - 1),)

    _, total = extrapolate(sampled, cost)
    whole = {n: list(range(t)) for n, t in sampled.items()}
    assert total[0] == pytest.approx(cost(whole)[0])
    assert sum(walked[:-1]) == walked_steps(sampled, sampled)
