"""Measuring configurations: the one place vtac tune asks a cost model or the simulator.

- ``simulator`` (the default): compile with the configuration's options, run on the bit-exact
  simulator in strict mode, compare with the reference, and time the program (the timed model,
  pynq parameters): cycles and correctness.
- ``model``: the compiler's own estimate of the configuration as vtac-tile plans it (the tile
  walk replayed, :func:`vtac.planning.tiling.replay`; head/tail splits compiled and timed), with
  no simulation; correctness is not checked (``correct`` is None).

Measurements run in this process (``jobs=1``), on ``jobs`` local processes, or on a Ray cluster
(``ray="auto"`` or an address; Ray is an optional extra, imported only then). A configuration
the compiler refuses comes back with its error: the tuners that cannot know validity pay a
measurement for it, as AutoTVM does on the board.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from vtac.backends.vta.dma import DmaError
from vtac.backends.vta.uop_kernels import KernelError
from vtac.compiler import CompileError, run_module
from vtac.passes.isel import IselError
from vtac.passes.schedule import TileOptions, plan
from vtac.planning.contraction import Kernel
from vtac.planning.embedding import EmbeddingError
from vtac.planning.tiling import TilingError
from vtac.runtime.simulator import SimError
from vtac.runtime.timing import TimingError
from vtac.tune.space import TuneError, Workload, compile_options, tvm_verdict

MEASURES = ("simulator", "model")
#: The compiler's refusals: a configuration that raises one of these is invalid.
REFUSALS = (
    CompileError,
    DmaError,
    EmbeddingError,
    IselError,
    KernelError,
    SimError,
    TilingError,
    TimingError,
)
#: The configuration that stands for vtac's built-in search (every choice left to vtac-tile).
BUILTIN: dict[str, object] = {"space": "builtin"}


@dataclass(frozen=True)
class Result:
    """One measurement: cycles (None if the configuration failed), whether the output matched
    the reference (None when not simulated), the error, and the seconds it took."""

    cycles: int | None
    correct: bool | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.cycles is not None and self.correct is not False


def options_of(config: dict[str, object]) -> dict[str, object]:
    """Compile options of a configuration of either space, or of the built-in search."""
    if config.get("space") == "builtin":
        return {"embedding": "auto", "tiling": TileOptions()}
    return compile_options(config)


_KERNELS: dict[tuple[str, str], Kernel] = {}


def _kernel(workload: Workload, embedding: str) -> Kernel:
    """The workload's kernel under ``embedding``, cached per process."""
    key = (workload.key, embedding)
    if key not in _KERNELS:
        _KERNELS[key] = workload.kernel(embedding)
    return _KERNELS[key]


def model_cycles(workload: Workload, options: dict[str, object]) -> int:
    """The compiler's estimate of the schedule ``options`` force."""
    kernel = _kernel(workload, str(options["embedding"]))
    schedule, _ = plan(kernel, options["tiling"])  # type: ignore[arg-type]
    return schedule.cycles


def measure_one(workload: Workload, config: dict[str, object], measure: str) -> Result:
    """Measure one configuration with ``measure`` (see the module's documentation)."""
    start = time.perf_counter()
    options = options_of(config)
    try:
        if config.get("space") == "tvm":  # four threads split every buffer four ways
            verdict = tvm_verdict(_kernel(workload, "fixed"), config)
            if verdict.broken is not None:
                raise TilingError(f"the forced tile sizes break a limit: {verdict.broken}")
        if measure == "model":
            cycles = model_cycles(workload, options)
            return Result(cycles, None, None, time.perf_counter() - start)
        report = run_module(
            workload.module(), config=workload.config, name=workload.function, **options
        )  # type: ignore[arg-type]
        return Result(report.timing.cycles, report.match, None, time.perf_counter() - start)
    except REFUSALS as err:
        return Result(None, None, str(err), time.perf_counter() - start)


class Measurer:
    """Measures batches of configurations of one workload, in parallel when asked."""

    def __init__(
        self, workload: Workload, measure: str = "simulator", jobs: int = 1, ray: str | None = None
    ) -> None:
        if measure not in MEASURES:
            raise TuneError(f"unknown measurement {measure!r}: {', '.join(MEASURES)}")
        self.workload, self.measure, self.jobs = workload, measure, max(1, jobs)
        self._pool: ProcessPoolExecutor | None = None
        self._ray: Callable[[Sequence[dict[str, object]]], list[Result]] | None = None
        if ray:
            self._ray = _ray_runner(workload, measure, ray)
        elif self.jobs > 1:
            self._pool = ProcessPoolExecutor(self.jobs)

    def run(self, configs: Sequence[dict[str, object]]) -> Iterator[Result]:
        """The results of ``configs``, in order, each as soon as it and those before are in."""
        if self._ray is not None:
            yield from self._ray(configs)
        elif self._pool is not None:
            n = len(configs)
            chunk = max(1, n // (8 * self.jobs))
            yield from self._pool.map(
                measure_one,
                [self.workload] * n,
                list(configs),
                [self.measure] * n,
                chunksize=chunk,
            )
        else:
            for config in configs:
                yield measure_one(self.workload, config, self.measure)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> Measurer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ray_runner(
    workload: Workload, measure: str, address: str
) -> Callable[[Sequence[dict[str, object]]], list[Result]]:
    """Measurements as Ray tasks on the cluster at ``address`` ("auto": the local one, started
    if none runs)."""
    try:
        import ray  # noqa: PLC0415  (an optional extra)
    except ImportError:
        raise TuneError("--ray needs Ray: pip install 'vtac[ray]'") from None
    if not ray.is_initialized():
        if address == "auto":
            ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(measure_one)
    handle = ray.put(workload)

    def run(configs: Sequence[dict[str, object]]) -> list[Result]:
        return ray.get([remote.remote(handle, c, measure) for c in configs])

    return run
