"""The vta dialect: records in and out, configurations, the documented program run on the
simulator, and lit coverage of every op."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.utils.exceptions import VerifyException

import vtac.dialects.vta as vta
from vtac.api import parse_ir, print_ir
from vtac.dialects.common import CONFIG_ATTR, config_attr
from vtac.runtime.config import LOOP_ITER_BITS, VTAConfig, shipped_configs
from vtac.runtime.isa import (
    Alu,
    AluOp,
    Finish,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    Uop,
    encode_uops,
)
from vtac.runtime.simulator import simulate

LIT = Path(__file__).parent / "filecheck" / "dialects" / "vta"
DOC_EXAMPLE = vta.__doc__[
    vta.__doc__.index("builtin.module") : vta.__doc__.index("Instruction ops")
]


def parse_module(text: str) -> ModuleOp:
    module = parse_ir(text)
    module.verify()
    return module


def program_of(module: ModuleOp) -> vta.ProgramOp:
    return next(op for op in module.walk() if isinstance(op, vta.ProgramOp))


def test_documented_program_runs_on_the_simulator() -> None:
    """The docstring's program, placed and converted with program_records, computes
    y = (x . w^T >> 4) narrowed to int8 on the functional simulator."""
    module = parse_module(DOC_EXAMPLE)
    config = vta.module_config(module)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    w = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    (kernel,) = (op for op in module.walk() if isinstance(op, vta.UopKernelOp))
    uops = encode_uops(kernel.uop_list, config).tobytes()
    placement = {"k": 0, "x": 256, "w": 512, "y": 768}
    dram = np.zeros(1024, dtype=np.uint8)
    dram[: len(uops)] = np.frombuffer(uops, dtype=np.uint8)
    dram[256:512] = x.view(np.uint8).ravel()
    dram[512:768] = w.view(np.uint8).ravel()
    records = vta.program_records(program_of(module), placement)
    simulate(config, records, dram, strict=True)
    expected = ((x.astype(np.int32) @ w.astype(np.int32).T) >> 4).astype(np.int8)
    np.testing.assert_array_equal(dram[768:].view(np.int8).reshape(16, 16), expected)


def test_program_records_need_placed_aligned_buffers() -> None:
    program = program_of(parse_module(DOC_EXAMPLE))
    with pytest.raises(ValueError, match="no DRAM address given for buffer @w"):
        vta.program_records(program, {"k": 0, "x": 256, "y": 768})
    with pytest.raises(ValueError, match="@x at byte 8 is not aligned to its 16-byte INP"):
        vta.program_records(program, {"k": 0, "x": 8, "w": 512, "y": 768})


small = st.integers(0, 7)
deps = {name: st.integers(0, 1) for name in ("pop_prev_dep", "pop_next_dep")}
records = st.one_of(
    st.builds(
        Load,
        memory_type=st.sampled_from([MemType.INP, MemType.WGT, MemType.ACC, MemType.UOP]),
        sram_base=small,
        dram_base=st.integers(100, 120),
        y_size=st.integers(1, 3),
        x_size=st.integers(1, 4),
        x_stride=st.integers(4, 6),
        y_pad_0=small,
        x_pad_1=small,
        pop_next_dep=st.integers(0, 1),
        push_next_dep=st.integers(0, 1),
    ),
    st.builds(
        Store,
        memory_type=st.just(MemType.OUT),
        sram_base=small,
        dram_base=st.integers(100, 120),
        y_size=st.integers(1, 3),
        x_size=st.integers(1, 4),
        x_stride=st.integers(4, 6),
        pop_prev_dep=st.integers(0, 1),
        push_prev_dep=st.integers(0, 1),
    ),
    st.builds(
        Gemm,
        reset_reg=st.integers(0, 1),
        uop_bgn=small,
        uop_end=st.integers(8, 100),
        iter_out=st.integers(0, (1 << LOOP_ITER_BITS) - 1),
        iter_in=small,
        dst_factor_out=small,
        src_factor_in=small,
        wgt_factor_out=small,
        **deps,
    ),
    st.builds(
        Alu,
        alu_opcode=st.sampled_from(list(AluOp)),
        uop_end=st.integers(8, 100),
        iter_out=small,
        iter_in=small,
        src_factor_out=small,
        use_imm=st.integers(0, 1),
        imm=st.integers(-(2**15), 2**15 - 1),
        **deps,
    ),
    st.builds(Finish),
)


def wrap(ops: list[vta.InstructionOp]) -> ModuleOp:
    """A module holding the ops in a program, with a buffer @b and a kernel @k for transfers."""
    kernel = vta.UopKernelOp("k", [Uop()] * 200)
    return ModuleOp([vta.BufferOp("b", "scratch", 1 << 16), kernel, vta.ProgramOp("p", ops)])


@given(record=records)
def test_records_round_trip_through_ops_and_text(record: Instruction) -> None:
    buffer = "k" if getattr(record, "memory_type", None) == MemType.UOP else "b"
    is_mem = isinstance(record, Load | Store)
    op = vta.InstructionOp.from_record(record, buffer if is_mem else None, buffer_base=100)
    module = wrap([op])
    module.verify()
    assert op.to_record(buffer_base=100) == record
    reparsed = program_of(parse_module(print_ir(module)))
    (again,) = reparsed.body.block.ops
    assert isinstance(again, vta.InstructionOp)
    assert again.to_record(buffer_base=100) == record


def test_from_record_needs_a_buffer_for_a_dram_address() -> None:
    with pytest.raises(ValueError, match="LOAD at dram_base 5 needs a buffer"):
        vta.InstructionOp.from_record(Load(memory_type=MemType.INP, dram_base=5))


def test_omitted_fields_are_zero() -> None:
    module = parse_module("vta.program @p {\n  vta.alu min {}\n  vta.finish\n}")
    alu, finish = program_of(module).body.block.ops
    assert isinstance(alu, vta.AluOp) and isinstance(finish, vta.FinishOp)
    assert alu.to_record() == Alu(alu_opcode=AluOp.MIN)
    assert finish.to_record() == Finish()


@pytest.mark.parametrize("name", shipped_configs())
def test_config_attribute_round_trips(name: str) -> None:
    config = VTAConfig.named(name)
    module = ModuleOp([])
    module.attributes[CONFIG_ATTR] = config_attr(config)
    assert vta.module_config(module) == config
    assert vta.module_config(parse_ir(print_ir(module))) == config


@pytest.mark.parametrize("name", shipped_configs())
def test_sram_limits_follow_the_configuration(name: str) -> None:
    """An INP load filling the buffer exactly verifies; one entry more does not."""
    config = VTAConfig.named(name)
    size = config.inp_depth * config.inp_elem_bytes

    def module(entries: int) -> ModuleOp:
        load = Load(memory_type=MemType.INP, y_size=1, x_size=entries, x_stride=entries)
        result = wrap([vta.InstructionOp.from_record(load, "b")])
        result.body.block.first_op.attributes["size"] = IntegerAttr(size + 256, i64)
        result.attributes[CONFIG_ATTR] = config_attr(config)
        return result

    module(config.inp_depth).verify()
    with pytest.raises(VerifyException, match=f"exceed the INP buffer's {config.inp_depth}"):
        module(config.inp_depth + 1).verify()


def test_every_op_has_round_trip_and_invalid_lit_tests() -> None:
    ops = (LIT / "ops.mlir").read_text()
    invalid = (LIT / "invalid.mlir").read_text()
    for op in vta.VTA.operations:
        assert re.search(rf"^\s*{op.name}\b", ops, re.MULTILINE), op.name
        assert re.search(rf'{op.name}\b|"{op.name}"', invalid), op.name
    for kind in vta.MEMORY_TYPES.values():
        assert f"vta.load {kind} " in ops or f"vta.store {kind} " in ops, kind
    for opcode in vta.ALU_OPCODES.values():
        assert f"vta.alu {opcode} " in ops, opcode
