"""Where configurations are evaluated: in this process, on local worker processes, on a Ray
cluster (the optional ``ray`` extra), or from a table of values computed before (the
benchmark's replay of the exhaustive pass)."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from vtac.explore.objective import Objective, Workload
from vtac.runtime.config import VTAConfig

#: What one evaluation returns: the objective and each workload's cycles (None: no tiling fits).
Evaluation = tuple[float, dict[str, int | None]]


@dataclass(frozen=True)
class ObjectiveSpec:
    """What a worker needs to build the objective (it is rebuilt, not pickled, per worker)."""

    workloads: tuple[Workload, ...]
    board: str
    per_clock: bool = False

    def build(self) -> Objective:
        return Objective(list(self.workloads), self.board, self.per_clock)


def evaluate(objective: Objective, config: VTAConfig) -> Evaluation:
    cycles = objective.workload_cycles(config)
    if any(c is None for c in cycles.values()):
        return math.inf, cycles
    return objective.value(sum(c for c in cycles.values() if c is not None)), cycles


_WORKER: Objective | None = None


def _init_worker(spec: ObjectiveSpec) -> None:
    global _WORKER
    _WORKER = spec.build()


def _work(config: VTAConfig) -> Evaluation:
    assert _WORKER is not None
    return evaluate(_WORKER, config)


class LocalEvaluator:
    """``workers`` processes (1: this process)."""

    def __init__(self, spec: ObjectiveSpec, workers: int = 1) -> None:
        self.workers = workers
        self.objective = spec.build()
        self.pool = (
            ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(spec,))
            if workers > 1
            else None
        )

    def __call__(self, configs: list[VTAConfig]) -> list[Evaluation]:
        if self.pool is None or len(configs) < 2:
            return [evaluate(self.objective, c) for c in configs]
        # contiguous shares: neighbouring configurations share cached workload stages
        return list(self.pool.map(_work, configs, chunksize=-(-len(configs) // self.workers)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


class RayEvaluator:
    """One actor per CPU of a Ray cluster (``address``: "auto", "local" or host:port), each
    holding its own objective and cache."""

    def __init__(self, spec: ObjectiveSpec, address: str, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ImportError("--ray needs ray: pip install 'vtac[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            if address == "local":
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1)(_RayWorker)
        self.actors = [actor.remote(spec) for _ in range(count)]

    def __call__(self, configs: list[VTAConfig]) -> list[Evaluation]:
        futures = [
            self.actors[i % len(self.actors)].evaluate.remote(c) for i, c in enumerate(configs)
        ]
        return self.ray.get(futures)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)


class _RayWorker:
    def __init__(self, spec: ObjectiveSpec) -> None:
        self.objective = spec.build()

    def evaluate(self, config: VTAConfig) -> Evaluation:
        return evaluate(self.objective, config)


class TableEvaluator:
    """Values looked up in a table of earlier evaluations (``lookup`` maps a configuration to
    its evaluation)."""

    def __init__(self, lookup: Callable[[VTAConfig], Evaluation]) -> None:
        self.lookup = lookup

    def __call__(self, configs: list[VTAConfig]) -> list[Evaluation]:
        return [self.lookup(c) for c in configs]

    def close(self) -> None:
        pass
