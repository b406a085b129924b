"""The tile dialect: the documented example computes what its docstring says (run by a small
numpy interpreter of the documented semantics), builders, verifier bounds, lit coverage."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, ModuleOp, i8, i32
from xdsl.ir import Block, SSAValue
from xdsl.utils.exceptions import VerifyException

import vtac.dialects.tile as tile
from vtac.api import parse_ir, print_ir

LIT = Path(__file__).parent / "filecheck" / "dialects" / "tile"
DOC_EXAMPLE = tile.__doc__[tile.__doc__.index("    !inp") : tile.__doc__.index("**Buffers")]


def _entries(buffer: np.ndarray, affine: tuple[int, ...], index: tuple[int, ...]) -> int:
    return affine[0] + sum(c * i for c, i in zip(affine[1:], index, strict=True))


def interpret(function: func.FuncOp, args: list[np.ndarray]) -> None:
    """Run a function of tile IR on numpy arrays (DRAM arguments are updated in place)."""
    env: dict[SSAValue, object] = dict(zip(function.body.block.args, args, strict=True))
    run_block(function.body.block, env)


def run_block(block: Block, env: dict[SSAValue, object]) -> None:  # noqa: C901
    for op in block.ops:
        match op:
            case memref.AllocOp():
                kind = op.memref.type
                assert isinstance(kind, MemRefType) and isinstance(kind.element_type, IntegerType)
                dtype = np.int32 if kind.element_type.width.data == 32 else np.int8
                env[op.memref] = np.zeros(kind.get_shape(), dtype=dtype)
            case arith.ConstantOp():
                env[op.result] = op.value.value.data
            case arith.AddiOp() | arith.MuliOp():
                a, b = env[op.lhs], env[op.rhs]
                env[op.result] = a + b if isinstance(op, arith.AddiOp) else a * b
            case scf.ForOp():
                for i in range(env[op.lb], env[op.ub], env[op.step]):
                    run_block(op.body.block, {**env, op.body.block.args[0]: i})
            case tile.DmaLoadOp():
                src, dst = env[op.src], env[op.dst]
                elements = src.reshape(-1, *src.shape[-2:])
                top, bottom, left, right = op.padding
                y, x, stride = (a.value.data for a in (op.y_size, op.x_size, op.x_stride))
                rect = np.zeros((top + y + bottom, left + x + right, *dst.shape[1:]), dst.dtype)
                for row in range(y):
                    start = env[op.offset] + row * stride
                    rect[top + row, left : left + x] = elements[start : start + x]
                at = op.sram_offset.value.data
                dst[at : at + rect.shape[0] * rect.shape[1]] = rect.reshape(-1, *dst.shape[1:])
            case tile.DmaStoreOp():
                src, dst = env[op.src], env[op.dst]
                elements = dst.reshape(-1, *dst.shape[-2:])
                y, x, stride = (a.value.data for a in (op.y_size, op.x_size, op.x_stride))
                at = op.sram_offset.value.data
                for row in range(y):
                    start = env[op.offset] + row * stride
                    entries = src[at + row * x : at + (row + 1) * x]
                    elements[start : start + x] = entries.astype(np.int8)  # low 8 bits
            case tile.GemmOp():
                acc, inp, wgt = env[op.acc], env[op.inp], env[op.wgt]
                maps = [tuple(op.dst.get_values()), tuple(op.src.get_values())]
                maps.append(tuple(op.wgt_map.get_values()))
                extents = op.loop_extents()
                for index in itertools.product(*(range(e) for e in extents)):
                    d, s, w = (_entries(acc, m, index) for m in maps)
                    if op.reset.value.data:
                        acc[d] = 0
                    else:
                        acc[d] += inp[s].astype(np.int32) @ wgt[w].astype(np.int32).T
            case tile.AluOp():
                acc = env[op.acc]
                for index in itertools.product(*(range(e) for e in op.loop_extents())):
                    d = _entries(acc, tuple(op.dst.get_values()), index)
                    if op.imm is not None:
                        other = np.int32(op.imm.value.data)
                    else:
                        other = acc[_entries(acc, tuple(op.src.get_values()), index)]
                    acc[d] = _alu(op.op.data, acc[d].astype(np.int64), other)
            case func.ReturnOp() | scf.YieldOp():
                return
            case _:
                raise AssertionError(f"the interpreter does not run {op.name}")


def _alu(opcode: str, a: np.ndarray, other: np.ndarray) -> np.ndarray:
    """One ALU opcode on int64 lanes, wrapped back to int32."""
    match opcode:
        case "min":
            result = np.minimum(a, other)
        case "max":
            result = np.maximum(a, other)
        case "add":
            result = a + other
        case "shr":
            result = a >> other if other >= 0 else a << -other
        case _:
            result = a * other
    return result.astype(np.int32)


def test_documented_example_computes_a_dense_layer() -> None:
    module = parse_ir(DOC_EXAMPLE)
    (function,) = (op for op in module.walk() if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (4, 64), dtype=np.int8)
    w = rng.integers(-128, 128, (32, 64), dtype=np.int8)
    x_blocked = np.ascontiguousarray(x.reshape(4, 4, 1, 16))
    w_blocked = np.ascontiguousarray(w.reshape(2, 16, 4, 16).transpose(0, 2, 1, 3))
    y_blocked = np.zeros((4, 2, 1, 16), dtype=np.int8)
    interpret(function, [x_blocked, w_blocked, y_blocked])
    expected = ((x.astype(np.int32) @ w.astype(np.int32).T) >> 8).astype(np.int8)
    np.testing.assert_array_equal(y_blocked.reshape(4, 32), expected)
    loop = next(op for op in module.walk() if isinstance(op, scf.ForOp))
    assert loop.attributes["tile.vthreads"].value.data == 2


def buffers(block: Block) -> tuple[SSAValue, SSAValue, SSAValue]:
    ops = [
        memref.AllocOp([], [], tile.on_chip(shape, element, space))
        for shape, element, space in [
            ((64, 1, 16), i8, "inp"),
            ((8, 16, 16), i8, "wgt"),
            ((64, 1, 16), i32, "acc"),
        ]
    ]
    block.add_ops(ops)
    return tuple(op.memref for op in ops)


def test_builders_print_what_parses_back() -> None:
    dram = MemRefType(i8, [32, 1, 16])
    block = Block(arg_types=[dram, IndexType()])
    x, offset = block.args
    inp, wgt, acc = buffers(block)
    block.add_ops(
        [
            tile.DmaLoadOp(x, offset, inp, 2, y_size=2, x_size=4, x_stride=8, pads=(1, 0, 0, 1)),
            tile.GemmOp(acc, inp, wgt, [4], [0, 1], [2, 1], [0, 0], reset=False),
            tile.AluOp(acc, "max", [4], [0, 1], imm=0),
            tile.AluOp(acc, "add", [2, 2], [0, 2, 1], src=[8, 0, 1]),
            tile.DmaStoreOp(acc, 0, x, offset, y_size=1, x_size=4, x_stride=4),
            func.ReturnOp(),
        ]
    )
    module = ModuleOp([func.FuncOp("f", ((dram, IndexType()), ()), func.Region(block))])
    module.verify()
    text = print_ir(module)
    assert "tile.dma_load %0[%1] -> %2[2] {" in text and "pads = array<i64: 1, 0, 0, 1>" in text
    assert print_ir(parse_ir(text)) == text


@given(
    y_size=st.integers(0, 9),
    x_size=st.integers(0, 9),
    x_stride=st.integers(0, 12),
    pads=st.tuples(*[st.integers(0, 17)] * 4),
    sram_offset=st.integers(0, 70),
)
def test_dma_verifier_accepts_exactly_the_transfers_that_fit(
    y_size: int, x_size: int, x_stride: int, pads: tuple[int, ...], sram_offset: int
) -> None:
    """Against the documented rule: 1 <= sizes, pads <= 15, the padded rectangle inside the
    64-entry buffer, the strided rows inside the 40-element DRAM memref."""
    dram = MemRefType(i8, [40, 1, 16])
    block = Block(arg_types=[dram, IndexType()])
    inp, _, _ = buffers(block)
    load = tile.DmaLoadOp(
        block.args[0], block.args[1], inp, sram_offset, y_size, x_size, x_stride, pads
    )
    block.add_ops([load, func.ReturnOp()])
    function = func.FuncOp("f", ((dram, IndexType()), ()), func.Region(block))
    top, bottom, left, right = pads
    fits = (
        min(y_size, x_size) >= 1
        and max(pads) <= 15
        and sram_offset + (top + y_size + bottom) * (left + x_size + right) <= 64
        and (y_size - 1) * x_stride + x_size <= 40
    )
    if fits:
        ModuleOp([function]).verify()
    else:
        with pytest.raises(VerifyException):
            ModuleOp([function]).verify()


def test_every_op_has_round_trip_and_invalid_lit_tests() -> None:
    ops = (LIT / "ops.mlir").read_text()
    invalid = (LIT / "invalid.mlir").read_text()
    for op in tile.Tile.operations:
        used = rf"^\s*(%\w+ = )?{op.name}\b"  # with or without results
        assert re.search(used, ops, re.MULTILINE), op.name
        assert re.search(used, invalid, re.MULTILINE), op.name
    for space in tile.SPACES:
        assert f"#tile.mem<{space}>" in ops, space
    for alu in tile.ALU_OPS:
        assert f'op = "{alu}"' in ops, alu
