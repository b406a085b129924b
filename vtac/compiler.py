"""The compiler driver: an nn function to a VTA program image, and a checked run of it.

``compile_module`` runs the default pipeline (:data:`vtac.passes.registry.DEFAULT_PIPELINE`:
vtac-isel, vtac-layout, vtac-tile, vtac-lower-to-vta, vtac-insert-deps) on the chosen function
and hands the resulting vta module to the backend (:mod:`vtac.backends.vta`). The function must
be a chain of stages, each a contraction followed by an elementwise epilogue, each stage reading
the one before (see :mod:`vtac.passes.contraction`); the stages run one after the other in one
instruction stream, intermediate results in DRAM.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from vtac.backends.reference import find_function, run_function
from vtac.backends.vta import build_image
from vtac.dialects import nn
from vtac.dialects.vta import CONFIG_ATTR, config_attr
from vtac.passes.contraction import CompileError, kernel_stages, read_embedding, workload_of
from vtac.passes.embedding import Embedding
from vtac.passes.insert_deps import InsertDeps
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.lower_to_vta import LowerToVta
from vtac.passes.schedule import Tile, TileOptions, read_schedule
from vtac.passes.tile_ir import is_host, is_tile_kernel
from vtac.passes.tiling import Schedule
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ProgramImage
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
    board: str = "pynq",
) -> Compiled:
    """Compile the function ``name`` (or the only one) of ``module`` to a program image.

    ``embedding`` ("auto" or "fixed") is vtac-isel's option; ``tiling`` what vtac-tile is told
    to honour (:class:`~vtac.passes.schedule.TileOptions`), of which ``tiles`` and ``vthreads``
    are shortcuts; ``board`` names the timing the search estimates cycles with
    (:data:`~vtac.runtime.timing_params.BOARDS`). ``module`` itself is left unchanged."""
    start = time.perf_counter()
    function = find_function(module, name)
    kernel_stages(function)  # a CompileError if vtac cannot compile it
    work = ModuleOp([function.clone()])
    work.attributes.update(module.attributes)
    if config is not None:
        work.attributes[CONFIG_ATTR] = config_attr(config)
    ctx = Context()
    InstructionSelection(embedding=embedding, board=board).apply(ctx, work)
    Layout().apply(ctx, work)
    options = tiling or TileOptions()
    if tiles:
        options = dataclasses.replace(options, tiles=tiles)
    if vthreads:
        options = dataclasses.replace(options, vthreads=vthreads)
    Tile.of(options, board).apply(ctx, work)
    stages = [_plan_of(kernel) for kernel in _stage_kernels(work)]
    LowerToVta().apply(ctx, work)
    InsertDeps().apply(ctx, work)
    image = build_image(work)
    image.workload = workload_of(function)
    inputs = [b.name for b in image.buffers if b.role == "input"]
    output = next(b.name for b in image.buffers if b.role == "output")
    seconds = time.perf_counter() - start
    return Compiled(image, stages, seconds, inputs, output)


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
    **options: object,
) -> RunReport:
    """Compile the function ``name`` (or the only one), simulate it in strict mode on
    ``inputs`` (random by default), compare with the reference backend."""
    reference_module = module.clone()
    compiled = compile_module(module, config, name=name, **options)  # type: ignore[arg-type]
    function = find_function(reference_module, name)
    inputs = inputs or random_inputs(function, seed)
    image = compiled.image
    dram = image.dram.copy()
    for name in compiled.inputs:
        image.set_input(name, inputs[name], dram)
    start = time.perf_counter()
    stats = simulate(image.config, image.insns, dram, base=image.base, strict=True)
    sim_seconds = time.perf_counter() - start
    got = image.read_output(compiled.output, dram)
    (want,) = run_function(function, inputs)
    timing = time_program(image.config, image.insns)
    match = got.shape == want.shape and bool(np.array_equal(got, want))
    return RunReport(
        compiled, match, stats, timing, sim_seconds, {"result": got, "reference": want}
    )
