"""The compiler driver: an nn function to a VTA program image, and a checked run of it.

``compile_module`` runs the default pipeline (:data:`vtac.passes.registry.DEFAULT_PIPELINE`:
vtac-isel, vtac-layout, vtac-tile, vtac-lower-to-vta, vtac-insert-deps) on the chosen function
and hands the resulting vta module to the backend (:mod:`vtac.backends.vta`). The function must
be one contraction on function arguments followed by an elementwise epilogue chain (see
:mod:`vtac.passes.contraction`).
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
from vtac.passes.contraction import CompileError, kernel_ops, read_embedding, workload_of
from vtac.passes.embedding import Embedding
from vtac.passes.insert_deps import InsertDeps
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.lower_to_vta import LowerToVta
from vtac.passes.schedule import Tile, TileOptions, read_schedule
from vtac.passes.tile_ir import is_tile_kernel
from vtac.passes.tiling import Schedule
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ProgramImage
from vtac.runtime.simulator import SimStats, simulate
from vtac.runtime.timing import TimingReport, time_program

__all__ = ["CompileError", "Compiled", "RunReport", "compile_module", "run_module"]


@dataclass
class Compiled:
    """A compiled program and what the compiler decided."""

    image: ProgramImage
    embedding: Embedding
    schedule: Schedule
    seconds: float
    inputs: list[str]
    output: str
    loops: tuple[tuple[str, int], ...]  # the blocked loops and their extents


def compile_module(
    module: ModuleOp,
    config: VTAConfig | None = None,
    *,
    embedding: str = "auto",
    tiles: dict[str, int] | None = None,
    vthreads: int | None = None,
    tiling: TileOptions | None = None,
    name: str | None = None,
) -> Compiled:
    """Compile the function ``name`` (or the only one) of ``module`` to a program image.

    ``embedding`` ("auto" or "fixed") is vtac-isel's option; ``tiling`` what vtac-tile is told
    to honour (:class:`~vtac.passes.schedule.TileOptions`), of which ``tiles`` and ``vthreads``
    are shortcuts. ``module`` itself is left unchanged."""
    start = time.perf_counter()
    function = find_function(module, name)
    kernel_ops(function)  # a CompileError if vtac cannot compile it
    work = ModuleOp([function.clone()])
    work.attributes.update(module.attributes)
    if config is not None:
        work.attributes[CONFIG_ATTR] = config_attr(config)
    ctx = Context()
    InstructionSelection(embedding=embedding).apply(ctx, work)
    Layout().apply(ctx, work)
    options = tiling or TileOptions()
    if tiles:
        options = dataclasses.replace(options, tiles=tiles)
    if vthreads:
        options = dataclasses.replace(options, vthreads=vthreads)
    Tile.of(options).apply(ctx, work)
    (kernel,) = (op for op in work.body.block.ops if is_tile_kernel(op))
    assert isinstance(kernel, func.FuncOp)
    schedule, loops = read_schedule(kernel)
    chosen = read_embedding(kernel)
    LowerToVta().apply(ctx, work)
    InsertDeps().apply(ctx, work)
    image = build_image(work)
    image.workload = workload_of(function)
    inputs = [b.name for b in image.buffers if b.role == "input"]
    output = next(b.name for b in image.buffers if b.role == "output")
    seconds = time.perf_counter() - start
    return Compiled(image, chosen, schedule, seconds, inputs, output, loops)


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
