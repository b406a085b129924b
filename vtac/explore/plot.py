"""Plots of an exploration (matplotlib, the optional ``explore`` extra): the best objective
against evaluations, and every evaluated configuration's cycles against its memory blocks with
the Pareto front marked."""

from __future__ import annotations

import math

from vtac.explore.resources import estimate
from vtac.explore.runner import Run


def plot(run: Run, path: str, default: float | None = None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'vtac[explore]'") from None
    board = run.space.board
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    best, curve = math.inf, []
    for record in run.history:
        best = min(best, record.value)
        curve.append(best)
    left.plot(range(1, len(curve) + 1), curve, label=f"{run.algorithm} (seed {run.seed})")
    if default is not None and math.isfinite(default):
        left.axhline(default, color="grey", linestyle="--", label="VTA's default")
    left.set_xlabel("evaluations")
    left.set_ylabel("best objective")
    left.set_title("convergence")
    left.legend()
    finite = [r for r in run.history if math.isfinite(r.value)]
    blocks = [estimate(run.space.config(r.point), board).memory_blocks for r in finite]
    dsp = [estimate(run.space.config(r.point), board).dsp for r in finite]
    points = right.scatter(blocks, [r.value for r in finite], c=dsp, s=12, cmap="viridis")
    fig.colorbar(points, ax=right, label="DSP slices")
    front = run.pareto_front()
    right.scatter(
        [estimate(run.space.config(r.point), board).memory_blocks for r in front],
        [r.value for r in front],
        facecolors="none",
        edgecolors="red",
        s=60,
        label="Pareto front",
    )
    right.set_xlabel(f"{board.block_name} blocks")
    right.set_ylabel("objective")
    right.set_title(f"configurations on {board.name}")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
