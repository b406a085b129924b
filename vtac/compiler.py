"""The compiler driver: an nn function to a VTA program image, and a checked run of it.

``compile_module`` runs the default pipeline (:data:`vtac.passes.registry.DEFAULT_PIPELINE`:
vtac-isel, vtac-layout, vtac-tile, vtac-lower-to-vta, vtac-insert-deps) on the chosen function
and hands the resulting vta module to the backend (:mod:`vtac.backends.vta`). The function must
be a chain of stages, each a contraction followed by an elementwise epilogue, each stage reading
the one before (see :mod:`vtac.planning.contraction`); the stages run one after the other in one
instruction stream, intermediate results in DRAM.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.passes import ModulePass

from vtac.api import print_ir
from vtac.backends.reference import find_function, run_function
from vtac.backends.vta import build_image
from vtac.backends.vta.tile_ir import is_host, is_tile_kernel
from vtac.dialects import nn
from vtac.dialects.common import CONFIG_ATTR, config_attr
from vtac.passes.insert_deps import InsertDeps
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.lower_to_vta import LowerToVta
from vtac.passes.schedule import Tile, TileOptions, read_schedule
from vtac.planning.contraction import (
    CompileError,
    CompileRefusal,
    kernel_stages,
    read_embedding,
    workload_of,
)
from vtac.planning.embedding import Embedding
from vtac.planning.tiling import Schedule
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ARENA_LIMIT_REASON, MAX_ARENA_BYTES, ProgramImage
from vtac.runtime.simulator import SimStats, simulate
from vtac.runtime.timing import TimingReport, time_program

__all__ = ["CompileError", "Compiled", "RunReport", "StagePlan", "compile_module", "run_module"]


@dataclass(frozen=True)
class StagePlan:
    """What the compiler decided for one stage (contraction and epilogue) of a function."""

    embedding: Embedding
    schedule: Schedule
    loops: tuple[tuple[str, int], ...]  # the blocked loops and their extents


@dataclass
class Compiled:
    """A compiled program and what the compiler decided, stage by stage."""

    image: ProgramImage
    stages: list[StagePlan]
    seconds: float
    inputs: list[str]
    output: str

    @property
    def embedding(self) -> Embedding:
        """The first stage's embedding (the only one of a one-stage function)."""
        return self.stages[0].embedding

    @property
    def schedule(self) -> Schedule:
        """The first stage's schedule."""
        return self.stages[0].schedule

    @property
    def loops(self) -> tuple[tuple[str, int], ...]:
        """The first stage's blocked loops and their extents."""
        return self.stages[0].loops

    @property
    def useful_macs(self) -> int:
        """The op's own multiply-accumulates, over every stage."""
        return sum(stage.embedding.useful_macs for stage in self.stages)

    @property
    def utilization(self) -> float:
        """Lane utilisation over every stage: useful MACs over issued MACs."""
        return self.useful_macs / sum(stage.embedding.issued_macs for stage in self.stages)


def compile_module(
    module: ModuleOp,
    config: VTAConfig | None = None,
    *,
    embedding: str = "auto",
    tiles: dict[str, int] | None = None,
    vthreads: int | None = None,
    tiling: TileOptions | None = None,
    name: str | None = None,
    progress: Callable[[str], None] | None = None,
    dump_ir: str | Path | None = None,
    board: str = "pynq",
) -> Compiled:
    """Compile the function ``name`` (or the only one) of ``module`` to a program image.

    ``embedding`` ("auto" or "fixed") is vtac-isel's option; ``tiling`` what vtac-tile is told
    to honour (:class:`~vtac.passes.schedule.TileOptions`), of which ``tiles`` and ``vthreads``
    are shortcuts. ``progress`` is called with the name of each pass as it starts (see
    :class:`vtac.progress.Progress`); with ``dump_ir``, the IR before the first pass and after
    each one is written to that directory (``0-input.mlir``, ``1-vtac-isel.mlir``, ...).
    ``board`` names the timing the search estimates cycles with
    (:data:`~vtac.runtime.timing_params.BOARDS`). ``module`` itself is left unchanged."""
    start = time.perf_counter()
    function = find_function(module, name)
    kernel_stages(function)  # a CompileError if vtac cannot compile it
    check_size(function)
    work = ModuleOp([function.clone()])
    work.attributes.update(module.attributes)
    if config is not None:
        work.attributes[CONFIG_ATTR] = config_attr(config)
    options = tiling or TileOptions()
    if tiles:
        options = dataclasses.replace(options, tiles=tiles)
    if vthreads:
        options = dataclasses.replace(options, vthreads=vthreads)
    steps: list[tuple[str, str, ModulePass]] = [
        ("vtac-isel", "embedding (CP-SAT)", InstructionSelection(embedding=embedding, board=board)),
        ("vtac-layout", "DRAM layouts", Layout()),
        ("vtac-tile", "tile search", Tile.of(options, board)),
        ("vtac-lower-to-vta", "VTA instructions", LowerToVta()),
        ("vtac-insert-deps", "dependency tokens", InsertDeps()),
    ]
    dump = _IRDump(dump_ir)
    dump("input", work)
    ctx = Context()
    stages: list[StagePlan] = []
    for pass_name, what, step in steps:
        if progress:
            progress(f"{pass_name}: {what}")
        step.apply(ctx, work)
        dump(pass_name, work)
        if pass_name == "vtac-tile":
            stages = [_plan_of(kernel) for kernel in _stage_kernels(work)]
    if progress:
        progress("backend: program image")
    image = build_image(work)
    image.workload = workload_of(function)
    inputs = image.inputs()
    output = next(b.name for b in image.buffers if b.role == "output")
    seconds = time.perf_counter() - start
    return Compiled(image, stages, seconds, inputs, output)


class _IRDump:
    """Writes the IR of each step into a directory (nothing without one)."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = None if directory is None else Path(directory)
        self.count = 0
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise CompileError(f"cannot create {directory}: {err.strerror}") from None

    def __call__(self, step: str, module: ModuleOp) -> None:
        if self.directory is None:
            return
        path = self.directory / f"{self.count}-{step}.mlir"
        self.count += 1
        try:
            path.write_text(print_ir(module))
        except OSError as err:
            raise CompileError(f"cannot write {path}: {err.strerror}") from None


def check_size(function: func.FuncOp) -> None:
    """Refuse a function whose DRAM tensors (arguments, the results contractions read or the
    function returns) need more than :data:`~vtac.runtime.image.MAX_ARENA_BYTES` together,
    before any work is done."""
    block = function.body.block
    results = [r for op in block.ops for r in op.results]
    in_dram = list(block.args) + [
        r
        for r in results
        if any(isinstance(u.operation, (func.ReturnOp, *nn.CONTRACTIONS)) for u in r.uses)
    ]
    total = sum(
        math.prod(v.type.get_shape()) * (v.type.element_type.width.data // 8)  # type: ignore[attr-defined]
        for v in in_dram
        if isinstance(v.type, TensorType)
    )
    if total > MAX_ARENA_BYTES:
        raise CompileRefusal(
            f"@{function.sym_name.data} moves {total} bytes of tensors through DRAM, more than "
            f"vtac's limit of {MAX_ARENA_BYTES} bytes ({MAX_ARENA_BYTES >> 20} MiB) per program "
            f"({ARENA_LIMIT_REASON})",
            limit="the DRAM arena's size",
        )


def _stage_kernels(module: ModuleOp) -> list[func.FuncOp]:
    """The tile kernels of a tiled module in the order they run (a chain's host calls them)."""
    functions = {
        op.sym_name.data: op for op in module.body.block.ops if isinstance(op, func.FuncOp)
    }
    host = next((f for f in functions.values() if is_host(f)), None)
    if host is None:
        return [f for f in functions.values() if is_tile_kernel(f)]
    calls = [op for op in host.body.block.ops if isinstance(op, func.CallOp)]
    return [functions[c.callee.root_reference.data] for c in calls]


def _plan_of(kernel: func.FuncOp) -> StagePlan:
    schedule, loops = read_schedule(kernel)
    return StagePlan(read_embedding(kernel), schedule, loops)


@dataclass
class RunReport:
    """The outcome of compiling, simulating and checking a program."""

    compiled: Compiled
    match: bool
    stats: SimStats
    timing: TimingReport
    sim_seconds: float
    outputs: dict[str, np.ndarray] = field(default_factory=dict)


def random_inputs(function: func.FuncOp, seed: int = 0) -> dict[str, np.ndarray]:
    """Random int8 tensors (extremes included) and modest int32 biases, by argument name."""
    rng = np.random.default_rng(seed)
    values = {}
    for i, arg in enumerate(function.body.block.args):
        shape = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
        if arg.type.element_type == nn.I8:  # type: ignore[attr-defined]
            data = rng.integers(-128, 128, shape, dtype=np.int64)
            flat = data.reshape(-1)
            flat[: min(2, flat.size)] = [-128, 127][: min(2, flat.size)]
            values[arg.name_hint or f"arg{i}"] = data.astype(np.int8)
        else:
            values[arg.name_hint or f"arg{i}"] = rng.integers(-(2**12), 2**12, shape).astype(
                np.int32
            )
    return values


def run_module(
    module: ModuleOp,
    inputs: dict[str, np.ndarray] | None = None,
    config: VTAConfig | None = None,
    *,
    seed: int = 0,
    name: str | None = None,
    progress: Callable[[str], None] | None = None,
    **options: object,
) -> RunReport:
    """Compile the function ``name`` (or the only one), simulate it in strict mode on
    ``inputs`` (random by default), compare with the reference backend. ``progress`` is called
    with the name of each phase as it starts; the other options are :func:`compile_module`'s."""
    reference_module = module.clone()
    compiled = compile_module(module, config, name=name, progress=progress, **options)  # type: ignore[arg-type]
    function = find_function(reference_module, name)
    inputs = inputs or random_inputs(function, seed)
    image = compiled.image
    dram = image.dram.copy()
    for name in compiled.inputs:
        image.set_input(name, inputs[name], dram)
    if progress:
        progress(f"simulating {len(image.insns)} instructions (strict)")
    start = time.perf_counter()
    stats = simulate(image.config, image.insns, dram, base=image.base, strict=True)
    sim_seconds = time.perf_counter() - start
    got = image.read_output(compiled.output, dram)
    if progress:
        progress("reference (numpy)")
    (want,) = run_function(function, inputs)
    if progress:
        progress("timing model")
    timing = time_program(image.config, image.insns)
    match = got.shape == want.shape and bool(np.array_equal(got, want))
    return RunReport(
        compiled, match, stats, timing, sim_seconds, {"result": got, "reference": want}
    )
