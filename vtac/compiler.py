"""The compiler driver: an nn function to a VTA program image, and a checked run of it.

The function must be one contraction (``nn.conv2d``, ``nn.dense`` or ``nn.matmul``) on function
arguments followed by a chain of elementwise epilogue ops (shr, a per-channel bias add, clip,
relu, cast) whose last result is returned. ``vtac-isel`` chooses the embedding; blocking,
tiling, lowering and dependency tokens follow (see :mod:`vtac.passes.lower`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp

from vtac.backends.reference import find_function, run_function
from vtac.dialects import nn
from vtac.dialects.vta import CONFIG_ATTR, config_attr, module_config
from vtac.passes.blocking import block
from vtac.passes.embedding import Embedding, Operand
from vtac.passes.isel import ALU_ATTR, EMBEDDING_ATTR, InstructionSelection, iteration_space
from vtac.passes.lower import Epilogue, Placement, lower
from vtac.passes.tiling import Schedule, plan_tiles
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ImageBuilder, ProgramImage
from vtac.runtime.isa import encode_uops
from vtac.runtime.simulator import SimStats, simulate
from vtac.runtime.timing import TimingReport, time_program

CONTRACTIONS = (nn.Conv2DOp, nn.DenseOp, nn.MatmulOp)
EPILOGUES = (nn.ShrOp, nn.AddOp, nn.ClipOp, nn.ReluOp, nn.CastOp)


class CompileError(ValueError):
    """A program vtac cannot compile (the message says why)."""


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


def _embedding(attr: DictionaryAttr, useful: int) -> Embedding:
    data = attr.data

    def loops(dim: str) -> tuple[str, ...]:
        value = data[dim]
        assert isinstance(value, ArrayAttr)
        return tuple(s.data for s in value.data)  # type: ignore[attr-defined]

    return Embedding(
        inp=data["inp"].data,  # type: ignore[attr-defined]
        wgt=data["wgt"].data,  # type: ignore[attr-defined]
        batch=loops("batch"),
        block_out=loops("block_out"),
        block_in=loops("block_in"),
        useful_macs=useful,
        issued_macs=data["issued_macs"].value.data,  # type: ignore[attr-defined]
        dram_bytes=0,
    )


def _chain(function: func.FuncOp) -> tuple[nn.Conv2DOp | nn.DenseOp | nn.MatmulOp, list]:
    ops = list(function.body.block.ops)
    shape = "one nn.conv2d, nn.dense or nn.matmul followed by elementwise epilogue ops"
    if not ops or not isinstance(ops[0], CONTRACTIONS):
        raise CompileError(f"@{function.sym_name.data}: vtac compiles functions of {shape}")
    contraction, chain = ops[0], []
    value = contraction.results[0]
    for op in ops[1:]:
        if isinstance(op, func.ReturnOp):
            if list(op.arguments) != [value]:
                raise CompileError("the function must return the last epilogue result only")
            return contraction, chain
        if not isinstance(op, EPILOGUES) or op.operands[0] != value:
            raise CompileError(f"{op.name} does not continue the epilogue chain ({shape})")
        if isinstance(op, nn.AddOp) and len(op.rhs.type.get_shape()) != 1:
            raise CompileError("nn.add: only a per-channel bias of shape [C] is supported here")
        chain.append(op)
        value = op.results[0]
    raise CompileError("the function has no return")


def compile_module(
    module: ModuleOp,
    config: VTAConfig | None = None,
    *,
    embedding: str = "auto",
    tiles: dict[str, int] | None = None,
    vthreads: int | None = None,
    name: str | None = None,
) -> Compiled:
    """Compile the function ``name`` (or the only one) of ``module`` to a program image."""
    start = time.perf_counter()
    if config is not None:
        module.attributes[CONFIG_ATTR] = config_attr(config)
    InstructionSelection(embedding=embedding).apply(Context(), module)
    config = module_config(module)
    function = find_function(module, name)
    contraction, chain = _chain(function)
    space = iteration_space(contraction)
    chosen = _embedding(contraction.attributes[EMBEDDING_ATTR], space.macs)  # type: ignore[arg-type]
    args = list(function.body.block.args)
    names = [a.name_hint or f"arg{i}" for i, a in enumerate(args)]
    operand_args = {space.lhs.name: contraction.lhs, space.rhs.name: contraction.rhs}
    for value in operand_args.values():
        if value not in args:
            raise CompileError(f"{contraction.name}: operands must be function arguments")
    steps: list[tuple[str, int | None]] = []
    bias = None
    bias_arg = None
    for op in chain:
        for text in op.attributes[ALU_ATTR].data:  # type: ignore[attr-defined]
            mnemonic, value = text.data.split()
            steps.append((mnemonic, None if mnemonic == "ADD" else int(value)))
        if isinstance(op, nn.AddOp):
            if bias is not None or op.rhs not in args:
                raise CompileError("nn.add: one bias, given as a function argument, is supported")
            axis = 1
            bias = Operand("bias", (space.out.dims[axis],), 4)
            bias_arg = op.rhs
    result_type = function.function_type.outputs.data[0]
    planes = 4 if result_type.element_type == nn.I32 else 1  # type: ignore[attr-defined]
    blocked = block(space, chosen, config, bias)
    problem = blocked.problem(config, alu_passes=len(steps) + planes - 1)
    schedule = plan_tiles(problem, config, forced=tiles, vthreads=vthreads)

    builder = ImageBuilder(config)
    placed: dict[str, int] = {}
    inputs = []
    for role_name, operand in (("inp", blocked.inp), ("wgt", blocked.wgt)):
        arg = operand_args[operand.name]
        arg_name = names[args.index(arg)]
        elem = config.inp_elem_bytes if role_name == "inp" else config.wgt_elem_bytes
        buf = builder.add(
            arg_name, "input", "int8", tuple(arg.type.get_shape()), operand.spec, align=elem
        )
        placed[role_name] = buf.offset // elem
        inputs.append(arg_name)
    if blocked.bias is not None and bias_arg is not None:
        arg_name = names[args.index(bias_arg)]
        buf = builder.add(
            arg_name,
            "input",
            "int32",
            tuple(bias_arg.type.get_shape()),
            blocked.bias.spec,
            align=config.acc_elem_bytes,
        )
        placed["bias"] = buf.offset // config.acc_elem_bytes
        inputs.append(arg_name)
    out = builder.add(
        "result",
        "output",
        "int8",
        tuple(result_type.get_shape()),
        blocked.out.spec,  # type: ignore[attr-defined]
        align=config.out_elem_bytes,
        planes=planes,
    )
    uop_offset = -(-builder.size // 256) * 256
    placement = Placement(
        inp=placed["inp"],
        wgt=placed["wgt"],
        out=out.offset // config.out_elem_bytes,
        bias=placed.get("bias"),
        uops=uop_offset // config.uop_elem_bytes,
    )
    program = lower(blocked, schedule, Epilogue(tuple(steps), planes), config, placement)
    words = encode_uops(program.uops, config) if program.uops else np.zeros(1, np.uint32)
    uop_buf = builder.add("uops", "uop", "uint32", (words.size,), data=words)
    assert uop_buf.offset == uop_offset
    image = builder.build(program.insns)
    seconds = time.perf_counter() - start
    return Compiled(image, chosen, schedule, seconds, inputs, "result", blocked.loops)


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
    **options: object,
) -> RunReport:
    """Compile, simulate in strict mode on ``inputs`` (random by default), compare with the
    reference backend."""
    reference_module = module.clone()
    compiled = compile_module(module, config, **options)  # type: ignore[arg-type]
    function = find_function(reference_module)
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
