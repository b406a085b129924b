"""Steady-state extrapolation over a tile walk's loops (Lübeck et al. 2024).

A tile walk is a loop nest whose middle iterations repeat the same work; once the accelerator's
pipeline has settled, two more iterations of a loop add the same cycles wherever they fall.
So a cost model need not walk a loop of many trips: it walks the loop's first ``k`` iterations
and its last, for ``k`` and ``k + 2`` (``k`` of the parity of the trips before the last, so a
pipeline with a period of two iterations is sampled in phase), and the cycles are multilinear
in the sampled loops' counts. :func:`extrapolate` evaluates the ``2^m`` corners of ``m``
sampled loops and interpolates the whole walk, at a cost that does not grow with the trips.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

#: Iterations of a sampled loop walked before its last one (or one more, for the parity).
SAMPLED = 2
#: Loops of more trips than this are sampled.
SAMPLE_FROM = SAMPLED + 4

#: Tile indices walked per loop (loops not named are walked whole).
Visit = dict[str, list[int]]


def sampled_loops(trips: Mapping[str, int], order: Sequence[str], edge: int = 1) -> dict[str, int]:
    """The loops of ``order`` (outermost first) worth sampling, with their trips: those of
    more than ``SAMPLE_FROM`` trips whose every iteration spans at least ``edge`` steps (so the
    walk's first and last ``edge`` steps, which may be split, are walked as they are)."""
    inner = 1
    sampled = {}
    for name in reversed(order):
        if trips[name] > SAMPLE_FROM and inner >= edge:
            sampled[name] = trips[name]
        inner *= trips[name]
    return sampled


def extrapolate(
    sampled: Mapping[str, int], evaluate: Callable[[Visit], Sequence[float]]
) -> tuple[Sequence[float], list[float]]:
    """The costs ``evaluate`` gives the base sample (every sampled loop at its first count),
    and those of the whole walk, interpolated multilinearly from the corners."""
    names = list(sampled)
    first = {n: SAMPLED + (sampled[n] - 1 - SAMPLED) % 2 for n in names}
    corners: dict[tuple[int, ...], Sequence[float]] = {}
    for corner in itertools.product((0, 1), repeat=len(names)):
        visit = {
            n: [*range(first[n] + 2 * c), sampled[n] - 1]
            for n, c in zip(names, corner, strict=True)
        }
        corners[corner] = evaluate(visit)
    # pairs of iterations the whole loop has beyond the base sample
    x = [(sampled[n] - 1 - first[n]) // 2 for n in names]
    base = corners[(0,) * len(names)]
    total = [0.0] * len(base)
    for corner, costs in corners.items():
        weight = math.prod(xi if c else 1 - xi for xi, c in zip(x, corner, strict=True))
        for i, value in enumerate(costs):
            total[i] += weight * value
    return base, total


def walked_steps(trips: Mapping[str, int], sampled: Mapping[str, int]) -> int:
    """Tile steps :func:`extrapolate` walks over all its corners."""
    whole = math.prod(t for n, t in trips.items() if n not in sampled)
    for t in sampled.values():
        k = SAMPLED + (t - 1 - SAMPLED) % 2
        whole *= (k + 1) + (k + 3)  # the loop's iterations walked at both corners
    return whole
