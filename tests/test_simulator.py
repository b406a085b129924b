"""Functional simulator: instruction-level golden tests, tokens, errors and strict mode."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from vta_builder import Arena

from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ProgramImage
from vtac.runtime.isa import Alu, AluOp, Finish, Gemm, Load, MemType, Store, Uop
from vtac.runtime.simulator import SimError, Simulator, shift_amount, simulate
from vtac.runtime.timing import instruction_cycles, time_program
from vtac.runtime.timing_params import TimingParams

DEFAULT = VTAConfig()
CONFIGS = [
    DEFAULT,
    VTAConfig.named("batch2"),
    VTAConfig.named("block8_small"),
    VTAConfig.named("block32"),
]
NOOP_END = [Load(memory_type=MemType.UOP, pop_next_dep=1), Finish()]


def gemm_program(config: VTAConfig, rows: int, a: np.ndarray, w: np.ndarray, strict_pairs=True):  # noqa: ANN001, ANN201
    """out[rows, BATCH, BLOCK_OUT] = a[rows, BATCH, BLOCK_IN] . w[BLOCK_OUT, BLOCK_IN]^T."""
    arena = Arena(config)
    inp_at = arena.put(a.astype(np.int8)) // config.inp_elem_bytes
    wgt_at = arena.put(w.astype(np.int8), config.wgt_elem_bytes) // config.wgt_elem_bytes
    uop_at = arena.uops([Uop(i, i, 0) for i in range(rows)])
    out_at = arena.reserve(rows * config.out_elem_bytes) // config.out_elem_bytes
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=rows, x_stride=rows),
        Load(memory_type=MemType.INP, dram_base=inp_at, y_size=1, x_size=rows, x_stride=rows),
        Load(
            memory_type=MemType.WGT,
            dram_base=wgt_at,
            y_size=1,
            x_size=1,
            x_stride=1,
            push_next_dep=1,
        ),
        Gemm(reset_reg=1, uop_bgn=0, uop_end=rows, iter_out=1, iter_in=1),
        Gemm(pop_prev_dep=1, push_next_dep=1, uop_bgn=0, uop_end=rows, iter_out=1, iter_in=1),
        Store(
            memory_type=MemType.OUT,
            pop_prev_dep=1,
            push_prev_dep=1,
            dram_base=out_at,
            y_size=1,
            x_size=rows,
            x_stride=rows,
        ),
        *NOOP_END,
    ]
    return arena, insns, out_at * config.out_elem_bytes


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
def test_blocked_gemm_matches_numpy(config: VTAConfig) -> None:
    rng = np.random.default_rng(1)
    rows = 5
    a = rng.integers(-128, 128, (rows, config.batch, config.block_in))
    w = rng.integers(-128, 128, (config.block_out, config.block_in))
    arena, insns, out_at = gemm_program(config, rows, a, w)
    dram = arena.array()
    stats = simulate(config, insns, dram, strict=True)
    out_bytes = rows * config.out_elem_bytes
    got = (
        dram[out_at : out_at + out_bytes]
        .view(np.int8)
        .reshape(rows, config.batch, config.block_out)
    )
    want = np.einsum("rbk,ok->rbo", a, w).astype(np.int8)
    np.testing.assert_array_equal(got, want)
    assert stats.counters["gemm_counter"] == rows
    assert stats.counters["inp_load_nbytes"] == rows * config.inp_elem_bytes
    assert stats.counters["wgt_load_nbytes"] == config.wgt_elem_bytes
    assert stats.counters["uop_load_nbytes"] == rows * 4
    assert stats.counters["out_store_nbytes"] == out_bytes
    assert stats.executed == len(insns)


def sram_view(sim: Simulator, kind: MemType) -> np.ndarray:
    return {
        MemType.INP: sim.inp,
        MemType.WGT: sim.wgt,
        MemType.ACC: sim.acc,
        MemType.ACC_8BIT: sim.acc,
        MemType.UOP: sim.uop,
    }[kind]


def as_entries(raw: np.ndarray, kind: MemType) -> np.ndarray:
    """DRAM bytes [..., element bytes] as SRAM entries of ``kind`` (default configuration)."""
    lead = raw.shape[:-1]
    if kind == MemType.INP:
        return raw.view(np.int8).reshape(*lead, 1, 16)
    if kind == MemType.WGT:
        return raw.view(np.int8).reshape(*lead, 16, 16)
    if kind == MemType.ACC:
        return raw.copy().view("<i4").reshape(*lead, 1, 16)
    if kind == MemType.ACC_8BIT:
        return raw.view(np.int8).astype(np.int32).reshape(*lead, 1, 16)
    return raw.copy().view("<u4").reshape(lead)


@pytest.mark.parametrize(
    "kind",
    [MemType.INP, MemType.WGT, MemType.ACC, MemType.ACC_8BIT, MemType.UOP],
    ids=lambda k: k.name,
)
@pytest.mark.parametrize("pads", list(itertools.product([0, 2], repeat=4)))
def test_load_padding_combinations(kind: MemType, pads: tuple[int, int, int, int]) -> None:
    y0, y1, x0, x1 = pads
    size = {MemType.INP: 16, MemType.WGT: 256, MemType.ACC: 64, MemType.ACC_8BIT: 16}.get(kind, 4)
    rng = np.random.default_rng(sum(pads) + int(kind))
    raw = rng.integers(0, 256, (5, 7, size)).astype(np.uint8)  # 5 rows of 7 elements
    arena = Arena(DEFAULT)
    base = arena.put(raw) // size
    in_load_module = kind in (MemType.INP, MemType.WGT)
    load = Load(
        memory_type=kind,
        sram_base=3,
        dram_base=base + 7 + 1,
        y_size=3,
        x_size=4,
        x_stride=7,
        y_pad_0=y0,
        y_pad_1=y1,
        x_pad_0=x0,
        x_pad_1=x1,
        push_next_dep=int(in_load_module),
    )
    sim = Simulator(DEFAULT, arena.array())
    sram_view(sim, kind)[:] = 1  # padding must overwrite with zeros
    tail = [Load(memory_type=MemType.UOP, pop_prev_dep=1)] if in_load_module else []
    stats = sim.run([load, *tail, Finish()])
    entries = as_entries(raw[1:4, 1:5], kind)
    rect = np.pad(entries, [(y0, y1), (x0, x1)] + [(0, 0)] * (entries.ndim - 2))
    count = rect.shape[0] * rect.shape[1]
    got = sram_view(sim, kind)[3 : 3 + count]
    np.testing.assert_array_equal(got, rect.reshape(count, *entries.shape[2:]))
    assert (sram_view(sim, kind)[3 + count] == 1).all()  # nothing beyond the rectangle
    counter = {
        MemType.INP: "inp_load_nbytes",
        MemType.WGT: "wgt_load_nbytes",
        MemType.ACC: "acc_load_nbytes",
        MemType.ACC_8BIT: "acc_load_nbytes",
        MemType.UOP: "uop_load_nbytes",
    }[kind]
    # padding is not counted; sim_driver.cc counts ACC_8BIT in 64-byte accumulator elements
    assert stats.counters[counter] == 3 * 4 * (64 if kind == MemType.ACC_8BIT else size)
    assert sum(stats.counters.values()) == stats.counters[counter]


def test_acc_8bit_load_sign_extends() -> None:
    arena = Arena(DEFAULT)
    at = arena.put(np.array([-128, -1, 0, 1, 127] * 3 + [5], dtype=np.int8)) // 16
    sim = Simulator(DEFAULT, arena.array())
    stats = sim.run(
        [Load(memory_type=MemType.ACC_8BIT, dram_base=at, y_size=1, x_size=1), Finish()]
    )
    assert sim.acc[0, 0, :6].tolist() == [-128, -1, 0, 1, 127, -128]
    assert sim.acc.dtype == np.int32
    # sim_driver.cc counts the 16 bytes read as one 64-byte accumulator element
    assert stats.counters == dict.fromkeys(stats.counters, 0) | {"acc_load_nbytes": 64}


def test_strided_store_writes_only_its_rows_and_keeps_low_bytes() -> None:
    arena = Arena(DEFAULT)
    values = np.arange(6 * 16, dtype=np.int64).reshape(6, 1, 16) * 1000 - 40000
    acc_at = arena.put(values.astype("<i4")) // 64
    out_at = arena.put(np.full(12 * 16, 0xAA, dtype=np.uint8)) // 16
    store = Store(
        memory_type=MemType.OUT,
        dram_base=out_at,
        y_size=3,
        x_size=2,
        x_stride=4,
        pop_prev_dep=1,
        push_prev_dep=1,
    )
    insns = [
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=6, push_next_dep=1),
        store,
        *NOOP_END,
    ]
    dram = arena.array()
    stats = simulate(DEFAULT, insns, dram)
    out = dram[out_at * 16 : out_at * 16 + 12 * 16].reshape(3, 4, 16)
    want = (values.reshape(3, 2, 16) & 0xFF).astype(np.uint8)
    np.testing.assert_array_equal(out[:, :2], want)
    assert (out[:, 2:] == 0xAA).all()
    assert stats.counters["out_store_nbytes"] == 6 * 16


def test_store_with_overlapping_rows_keeps_the_last_row() -> None:
    arena = Arena(DEFAULT)
    acc_at = arena.put(np.arange(4 * 16, dtype="<i4").reshape(4, 1, 16)) // 64
    out_at = arena.reserve(4 * 16) // 16
    insns = [
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=4, push_next_dep=1),
        Store(
            memory_type=MemType.OUT,
            dram_base=out_at,
            y_size=2,
            x_size=2,
            x_stride=1,
            pop_prev_dep=1,
            push_prev_dep=1,
        ),
        *NOOP_END,
    ]
    dram = arena.array()
    stats = simulate(DEFAULT, insns, dram)
    got = dram[out_at * 16 : out_at * 16 + 48].reshape(3, 16)
    np.testing.assert_array_equal(got[:, 0], [0, 32, 48])  # rows: entries (0, 1) then (2, 3)
    # every stored element counts, the overwritten one too
    assert stats.counters == dict.fromkeys(stats.counters, 0) | {
        "acc_load_nbytes": 4 * 64,
        "out_store_nbytes": 4 * 16,
    }


def test_zero_sized_transfers_are_no_ops_of_any_memory_type() -> None:
    # VTA's runtime ends store-module dependency no-ops with memory type UOP; padding ignored;
    # sim_driver.cc looks at x_size before the memory type, so unknown types (6, 7) are no-ops
    insns = [
        Load(memory_type=MemType.INP, y_size=3, push_next_dep=1),
        Load(memory_type=MemType.OUT, y_size=2, pop_prev_dep=1),
        Load(memory_type=7, y_size=1, dram_base=2**31),
        Store(memory_type=MemType.UOP, x_pad_0=1),
        Store(memory_type=6, y_size=4, dram_base=2**31, push_prev_dep=1),
        Load(memory_type=MemType.ACC, pop_next_dep=1),
        Finish(),
    ]
    stats = simulate(DEFAULT, insns, np.zeros(256, np.uint8))
    assert stats.executed == 7
    assert not any(stats.counters.values())
    # the timing model and image validation agree: no-ops of no bytes, inside any arena
    params = TimingParams()
    assert all(
        instruction_cycles(insn, DEFAULT, params) == params.finish_cycles for insn in insns[:5]
    )
    assert time_program(DEFAULT, insns).dram_bytes == {}
    ProgramImage(DEFAULT, insns, np.zeros(256, np.uint8)).validate()


def alu_program(op: AluOp, use_imm: bool, imm: int, acc: np.ndarray, src_offset: int):  # noqa: ANN001, ANN201
    n = acc.shape[0] // 2
    arena = Arena(DEFAULT)
    acc_at = arena.put(acc.astype("<i4")) // 64
    uop_at = arena.uops([Uop(i, i + src_offset, 0) for i in range(n)])
    out_at = arena.reserve(n * 16) // 16
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=n, x_stride=n),
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=2 * n, x_stride=2 * n),
        Alu(
            alu_opcode=op,
            use_imm=int(use_imm),
            imm=imm,
            uop_bgn=0,
            uop_end=n,
            iter_out=1,
            iter_in=1,
            push_next_dep=1,
        ),
        Store(
            memory_type=MemType.OUT,
            pop_prev_dep=1,
            push_prev_dep=1,
            dram_base=out_at,
            y_size=1,
            x_size=n,
            x_stride=n,
        ),
        *NOOP_END,
    ]
    return arena, insns, out_at * 16


REFERENCE = {
    AluOp.MIN: np.minimum,
    AluOp.MAX: np.maximum,
    AluOp.ADD: lambda a, b: a + b,
    AluOp.MUL: lambda a, b: a * b,
    # VTA's HLS design: the amount's low 5 bits, signed (the amounts drawn stay in -8..8)
    AluOp.SHR: lambda a, b: np.where(b >= 0, a >> np.maximum(b, 0), a << np.maximum(-b, 0)),
}


@pytest.mark.parametrize("op", list(AluOp))
@pytest.mark.parametrize("use_imm", [True, False])
def test_alu_ops(op: AluOp, use_imm: bool) -> None:
    rng = np.random.default_rng(int(op) * 2 + use_imm)
    acc = rng.integers(-(2**20), 2**20, (8, 1, 16))
    if op == AluOp.SHR and not use_imm:
        acc[4:] = rng.integers(-8, 9, (4, 1, 16))  # shift amounts, both directions
    imm = -3 if op == AluOp.SHR else 1234
    arena, insns, out_at = alu_program(op, use_imm, imm, acc, 4)
    sim = Simulator(DEFAULT, arena.array())
    stats = sim.run(insns)
    b = np.int64(imm) if use_imm else acc[4:].astype(np.int64)
    want = REFERENCE[op](acc[:4].astype(np.int64), b).astype(np.int32)
    np.testing.assert_array_equal(sim.acc[:4], want)
    got = sim.dram[out_at : out_at + 64].view(np.int8).reshape(4, 1, 16)
    np.testing.assert_array_equal(got, want.astype(np.int8))  # low 8 bits on store
    assert stats.counters["alu_counter"] == 4
    assert stats.counters["acc_load_nbytes"] == 8 * 64


def test_shift_by_negative_immediate_shifts_left_and_store_truncates() -> None:
    acc = np.full((2, 1, 16), 0x41, dtype=np.int64)
    arena, insns, out_at = alu_program(AluOp.SHR, True, -2, acc, 1)
    dram = arena.array()
    stats = simulate(DEFAULT, insns, dram)
    assert (dram[out_at : out_at + 16] == (0x41 << 2) & 0xFF).all()
    assert stats.counters == dict.fromkeys(stats.counters, 0) | {
        "acc_load_nbytes": 2 * 64,
        "uop_load_nbytes": 4,
        "out_store_nbytes": 16,
        "alu_counter": 1,
    }


def test_reset_gemm_zeroes_and_is_not_counted() -> None:
    arena = Arena(DEFAULT)
    acc_at = arena.put(np.full((4, 1, 16), 7, dtype="<i4")) // 64
    uop_at = arena.uops([Uop(1, 0, 0), Uop(2, 0, 0)])
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=2, x_stride=2),
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=4, x_stride=4),
        Gemm(reset_reg=1, uop_bgn=0, uop_end=2, iter_out=1, iter_in=1),
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    stats = sim.run(insns)
    assert sim.acc[:, 0, 0].tolist()[:4] == [7, 0, 0, 7]
    assert stats.counters["gemm_counter"] == 0


def test_repeated_destinations_accumulate() -> None:
    rng = np.random.default_rng(3)
    arena = Arena(DEFAULT)
    a = rng.integers(-128, 128, (6, 1, 16))
    w = rng.integers(-128, 128, (6, 16, 16))
    inp_at = arena.put(a.astype(np.int8)) // 16
    wgt_at = arena.put(w.astype(np.int8)) // 256
    uop_at = arena.uops([Uop(0, 0, 0)])
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1, x_stride=1),
        Load(memory_type=MemType.INP, dram_base=inp_at, y_size=1, x_size=6, x_stride=6),
        Load(
            memory_type=MemType.WGT,
            dram_base=wgt_at,
            y_size=1,
            x_size=6,
            x_stride=6,
            push_next_dep=1,
        ),
        # acc[0] += sum_k inp[k] w[k]^T over a reduction loop with dst factor 0
        Gemm(
            pop_prev_dep=1,
            uop_bgn=0,
            uop_end=1,
            iter_out=2,
            iter_in=3,
            src_factor_out=3,
            src_factor_in=1,
            wgt_factor_out=3,
            wgt_factor_in=1,
        ),
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    sim.run(insns)
    np.testing.assert_array_equal(sim.acc[0, 0], np.einsum("kx,kox->o", a[:, 0], w))
    with pytest.raises(SimError, match="strict: step 1 writes accumulator entry 0"):
        Simulator(DEFAULT, arena.array(), strict=True).run(insns)


def test_int32_accumulation_wraps() -> None:
    arena = Arena(DEFAULT)
    acc_at = arena.put(np.full((1, 1, 16), 2**31 - 1, dtype="<i4")) // 64
    uop_at = arena.uops([Uop(0, 0, 0)])
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1, x_stride=1),
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=1, x_stride=1),
        Alu(alu_opcode=AluOp.ADD, use_imm=1, imm=1, uop_bgn=0, uop_end=1, iter_out=1, iter_in=1),
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    sim.run(insns)
    assert sim.acc[0, 0, 0] == -(2**31)


def wrap32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def hardware_shift(amount: int) -> int:
    """The shift VTA's HLS design makes for a SHR amount: its low 5 bits as a signed number."""
    low = amount % 32
    return low - 32 if low >= 16 else low


#: Amounts at and around the edges of [-16, 15], and the shifts the hardware makes for them.
SHIFTS = {-40: -8, -33: -1, -32: 0, -17: 15, -16: -16, -1: -1, 0: 0, 15: 15, 16: -16, 20: -12}
SHIFTS |= {31: -1, 32: 0, 33: 1, 100: 4}


def test_hardware_shift_rule() -> None:
    assert {amount: hardware_shift(amount) for amount in SHIFTS} == SHIFTS
    assert shift_amount(np.array(list(SHIFTS))).tolist() == list(SHIFTS.values())


@pytest.mark.parametrize("use_imm", [True, False], ids=["imm", "acc"])
@pytest.mark.parametrize("amount", sorted(SHIFTS))
def test_shift_follows_the_hardware_outside_strict_mode(amount: int, use_imm: bool) -> None:
    """Without --strict an amount outside [-16, 15], immediate or read from the accumulator,
    shifts as the FPGA does: by its low 5 bits read as a signed number (20 shifts left by 12,
    -17 right by 15)."""
    lanes = [0x12345678, -0x12345678, 1, -1, 2**31 - 1, -(2**31)] + [77] * 10
    acc = np.array(lanes + [amount] * 16, dtype=np.int64).reshape(2, 1, 16)
    arena, insns, _ = alu_program(AluOp.SHR, use_imm, amount, acc, 1)
    sim = Simulator(DEFAULT, arena.array())
    sim.run(insns)
    shift = SHIFTS[amount]
    want = [x >> shift if shift >= 0 else wrap32(x << -shift) for x in lanes]
    assert sim.acc[0, 0].tolist() == want


@pytest.mark.parametrize("use_imm", [True, False], ids=["imm", "acc"])
@pytest.mark.parametrize("amount", [-17, -16, 15, 16, 20, 31, 32])
def test_strict_mode_refuses_shift_amounts_outside_the_hardware_range(
    amount: int, use_imm: bool
) -> None:
    """--strict runs amounts in [-16, 15] and refuses the others: an immediate before the
    instruction runs, an accumulator operand when it is read, naming the instruction, the
    entry and the lane."""
    lanes = np.arange(16) - 8
    acc = np.zeros((4, 1, 16), dtype=np.int64)
    acc[:2] = 1000
    acc[2:] = lanes if not use_imm else 0
    if not use_imm:
        acc[3, 0, 5] = amount  # entry 3 (the second micro-op's source), lane 5
    arena, insns, _ = alu_program(AluOp.SHR, use_imm, amount, acc, 2)
    sim = Simulator(DEFAULT, arena.array(), strict=True)
    if -16 <= amount <= 15:
        sim.run(insns)
        shifts = [amount] * 16 if use_imm else lanes.tolist()
        for entry in range(2):
            lane_shifts = shifts if use_imm or entry == 0 else shifts[:5] + [amount] + shifts[6:]
            want = [1000 >> x if x >= 0 else 1000 << -x for x in lane_shifts]
            assert sim.acc[entry, 0].tolist() == want
        return
    if use_imm:
        message = (
            rf"^instruction 2 \(ALU .*\): strict: SHR immediate {amount} is outside \[-16, 15\]"
        )
    else:
        message = (
            rf"^instruction 2 \(ALU .*\): strict: SHR amount {amount} read from accumulator "
            r"entry 3 \(batch row 0, lane 5\) is outside \[-16, 15\]"
        )
    with pytest.raises(SimError, match=message):
        sim.run(insns)


def chained_alu(op: AluOp, uops: list[Uop], iter_out: int, dst_factor: int, src_factor: int):  # noqa: ANN201
    """Run one ALU instruction with a tensor operand over accumulator rows 1..8 (lane value i
    in row i) and return the accumulator column 0 afterwards and the slow expectation."""
    arena = Arena(DEFAULT)
    start = np.arange(16, dtype=np.int64)[:, None, None] * np.ones((1, 1, 16), dtype=np.int64)
    acc_at = arena.put(start.astype("<i4")) // 64
    uop_at = arena.uops(uops)
    insn = Alu(
        alu_opcode=op,
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=iter_out,
        iter_in=1,
        dst_factor_out=dst_factor,
        src_factor_out=src_factor,
    )
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=len(uops)),
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=16),
        insn,
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    sim.run(insns)
    want = list(range(16))
    for i in range(iter_out):
        for u in uops:
            d, s = u.dst_idx + i * dst_factor, u.src_idx + i * src_factor
            want[d] = wrap32(REFERENCE[op](np.int64(want[d]), np.int64(want[s])))
    return sim.acc[:16, 0, 0].tolist(), want


def test_alu_runs_steps_in_order_when_they_depend_on_each_other() -> None:
    # a running sum: each step reads what the step before wrote
    got, want = chained_alu(AluOp.ADD, [Uop(1, 0)], 10, 1, 1)
    assert got == want
    assert got[:11] == [0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55]
    # reads of entries a later step writes see the old value (the whole chain is one chunk)
    got, want = chained_alu(AluOp.ADD, [Uop(0, 1)], 10, 1, 1)
    assert got == want
    assert got[:11] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 10]
    # one destination accumulating a reduction over a loop with dst factor 0
    got, want = chained_alu(AluOp.ADD, [Uop(0, 1), Uop(15, 2)], 6, 0, 2)
    assert got == want
    assert got[0] == sum(range(1, 12, 2)) and got[15] == 15 + sum(range(2, 13, 2))
    # a step reading its own destination, and MAX over a window
    assert (
        chained_alu(AluOp.MUL, [Uop(3, 3), Uop(4, 3)], 1, 0, 0)
        == ([0, 1, 2, 9, 36] + list(range(5, 16)),) * 2
    )
    got, want = chained_alu(AluOp.MAX, [Uop(0, 5), Uop(5, 0)], 5, 1, 2)
    assert got == want


def test_gemm_long_contraction_is_exact() -> None:
    # 100 reduction steps of block products of odd sums: partial sums beyond float32's 2^24
    arena = Arena(DEFAULT)
    inp = np.full((100, 1, 16), 127, dtype=np.int8)
    inp[:, :, 0] = 126
    inp_at = arena.put(inp) // 16
    wgt_at = arena.put(np.full((100, 16, 16), -127, dtype=np.int8)) // 256
    uop_at = arena.uops([Uop(0, 0, 0)])
    gemm = Gemm(
        pop_prev_dep=1,
        uop_bgn=0,
        uop_end=1,
        iter_out=100,
        iter_in=1,
        src_factor_out=1,
        wgt_factor_out=1,
    )
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1),
        Load(memory_type=MemType.INP, dram_base=inp_at, y_size=1, x_size=100),
        Load(memory_type=MemType.WGT, dram_base=wgt_at, y_size=1, x_size=100, push_next_dep=1),
        gemm,
        Gemm(uop_bgn=0, uop_end=1, iter_out=1, iter_in=1),  # one more block: + 2^18
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    stats = sim.run(insns)
    assert (sim.acc[0] == (100 + 1) * (15 * 127 + 126) * -127).all()
    assert stats.counters["gemm_counter"] == 101


def test_gemm_plans_follow_the_micro_op_buffer() -> None:
    # the same GEMM instruction twice, with different micro-ops loaded in between
    arena = Arena(DEFAULT)
    inp_at = arena.put(np.arange(32, dtype=np.int8).reshape(2, 1, 16)) // 16
    wgt_at = arena.put(np.eye(16, dtype=np.int8)) // 256
    first = arena.uops([Uop(0, 0, 0)])
    second = arena.uops([Uop(0, 1, 0)])
    gemm = Gemm(uop_bgn=0, uop_end=1, iter_out=1, iter_in=1)
    insns = [
        Load(memory_type=MemType.INP, dram_base=inp_at, y_size=1, x_size=2),
        Load(memory_type=MemType.WGT, dram_base=wgt_at, y_size=1, x_size=1, push_next_dep=1),
        Load(memory_type=MemType.UOP, dram_base=first, y_size=1, x_size=1, pop_prev_dep=1),
        gemm,
        Load(memory_type=MemType.UOP, dram_base=second, y_size=1, x_size=1),
        gemm,
        Finish(),
    ]
    sim = Simulator(DEFAULT, arena.array())
    sim.run(insns)
    assert sim.acc[0, 0].tolist() == [k + (16 + k) for k in range(16)]


# ----------------------------------------------------------------- tokens


def double_buffered(config: VTAConfig, tiles: int, missing: str | None = None):  # noqa: ANN201
    """Tiles of 4 rows through ping-pong input and accumulator halves, tokens both ways."""
    rng = np.random.default_rng(7)
    rows = 4
    a = rng.integers(-128, 128, (tiles * rows, 1, 16))
    w = rng.integers(-128, 128, (16, 16))
    arena = Arena(config)
    inp_at = arena.put(a.astype(np.int8)) // 16
    wgt_at = arena.put(w.astype(np.int8)) // 256
    uop_at = arena.uops(
        [Uop(i, i, 0) for i in range(rows)] + [Uop(rows + i, rows + i, 0) for i in range(rows)]
    )
    out_at = arena.reserve(tiles * rows * 16) // 16
    insns = [
        Load(
            memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=2 * rows, x_stride=2 * rows
        ),
        Load(memory_type=MemType.WGT, dram_base=wgt_at, y_size=1, x_size=1, x_stride=1),
    ]
    for t in range(tiles):
        half = t % 2
        reuse = t >= 2
        insns.append(
            Load(
                memory_type=MemType.INP,
                sram_base=half * rows,
                dram_base=inp_at + t * rows,
                y_size=1,
                x_size=rows,
                x_stride=rows,
                pop_next_dep=int(reuse and missing != "war"),
                push_next_dep=1,
            )
        )
        insns.append(
            Gemm(
                reset_reg=1,
                uop_bgn=half * rows,
                uop_end=(half + 1) * rows,
                iter_out=1,
                iter_in=1,
                pop_next_dep=int(reuse),
            )
        )
        insns.append(
            Gemm(
                pop_prev_dep=int(missing != "raw"),
                push_prev_dep=int(t + 2 < tiles),
                push_next_dep=1,
                uop_bgn=half * rows,
                uop_end=(half + 1) * rows,
                iter_out=1,
                iter_in=1,
            )
        )
        insns.append(
            Store(
                memory_type=MemType.OUT,
                sram_base=half * rows,
                dram_base=out_at + t * rows,
                y_size=1,
                x_size=rows,
                x_stride=rows,
                pop_prev_dep=1,
                push_prev_dep=1,
            )
        )
    insns += [
        Load(memory_type=MemType.UOP, pop_next_dep=1),
        Load(memory_type=MemType.UOP, pop_next_dep=1),
        Finish(),
    ]
    want = np.einsum("rk,ok->ro", a[:, 0], w).astype(np.int8)
    return arena, insns, out_at * 16, want


def test_double_buffered_program_runs() -> None:
    arena, insns, out_at, want = double_buffered(DEFAULT, 6)
    dram = arena.array()
    # the reset of tile t+2 waits for the store of tile t: two store tokens are left to the end
    stats = simulate(DEFAULT, insns, dram, strict=True)
    got = dram[out_at : out_at + want.size].view(np.int8).reshape(want.shape)
    np.testing.assert_array_equal(got, want)
    assert stats.by_opcode["STORE"] == 6


def test_missing_token_is_a_race() -> None:
    arena, insns, _, _ = double_buffered(DEFAULT, 6, missing="raw")
    with pytest.raises(SimError, match="race: read after write on the inp buffer"):
        simulate(DEFAULT, insns, arena.array())


def test_missing_war_token_is_reported() -> None:
    arena, insns, _, _ = double_buffered(DEFAULT, 6, missing="war")
    with pytest.raises(SimError, match="race: .* inp buffer"):
        simulate(DEFAULT, insns, arena.array())


def test_missing_compute_to_store_token_is_a_race_on_the_accumulator() -> None:
    arena = Arena(DEFAULT)
    uop_at = arena.uops([Uop(0, 0, 0)])
    insns = [
        Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1),
        Gemm(reset_reg=1, uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, push_next_dep=1),
        Store(memory_type=MemType.OUT, pop_prev_dep=1, push_prev_dep=1, y_size=1, x_size=1),
        Gemm(reset_reg=1, uop_bgn=0, uop_end=1, iter_out=1, iter_in=1),  # needs the store's token
        *NOOP_END,
    ]
    with pytest.raises(
        SimError,
        match=r"^instruction 2 \(STORE .*race: read after write on the acc buffer with compute "
        r"instruction 3 \(GEMM ",
    ):
        simulate(DEFAULT, insns, arena.array())
    ordered = insns[:3] + [Gemm(**{**vars(insns[3]), "pop_next_dep": 1})] + insns[4:]
    ordered[2] = Store(**{**vars(insns[2]), "push_prev_dep": 1})
    ordered.insert(4, Store(memory_type=MemType.OUT, push_prev_dep=1))  # for the final no-op
    simulate(DEFAULT, ordered, arena.array())


def store_then_load(load: Load, ordered: bool) -> tuple[list, np.ndarray]:
    """A STORE of accumulator entries 0-1 (values 1-32) to DRAM bytes [256, 288), then
    ``load``, in the load or compute module: ordered after the STORE by tokens (store ->
    compute -> load) or not. Returns the program and its arena."""
    arena = Arena(DEFAULT)
    acc_at = arena.put(np.arange(1, 33, dtype="<i4")) // 64
    out_at = arena.reserve(256) // 16
    assert out_at == 16
    store = Store(
        memory_type=MemType.OUT,
        dram_base=out_at,
        y_size=1,
        x_size=2,
        pop_prev_dep=1,
        push_prev_dep=1,
    )
    in_load_module = load.memory_type in (MemType.INP, MemType.WGT)
    insns: list = [
        Load(memory_type=MemType.ACC, dram_base=acc_at, y_size=1, x_size=2, push_next_dep=1),
        store,
    ]
    if in_load_module:  # compute tells the load module when it may go, after the store or not
        token = Load(memory_type=MemType.UOP, pop_next_dep=int(ordered), push_prev_dep=1)
        load = replace(load, pop_next_dep=1, push_next_dep=1)
        insns += [token, load, Load(memory_type=MemType.UOP, pop_prev_dep=1)]
        insns += [] if ordered else [Load(memory_type=MemType.UOP, pop_next_dep=1)]
    else:
        insns += [replace(load, pop_next_dep=int(ordered))]
        insns += [] if ordered else [Load(memory_type=MemType.UOP, pop_next_dep=1)]
    return [*insns, Finish()], arena.array()


@pytest.mark.parametrize(
    ("load", "message"),
    [
        # the load module waits for compute, which lets it go after the STORE ran but without
        # hearing from the store module
        (
            Load(memory_type=MemType.INP, dram_base=17, y_size=1, x_size=1),
            r"^instruction 3 \(LOAD .*race: read after write on DRAM byte 0x110 with store "
            r"instruction 1 \(STORE ",
        ),
        # the compute module reads before the store module writes
        (
            Load(memory_type=MemType.ACC_8BIT, sram_base=8, dram_base=16, y_size=1, x_size=1),
            r"^instruction 1 \(STORE .*race: write after read on DRAM byte 0x100 with compute "
            r"instruction 2 \(LOAD ",
        ),
        (
            Load(memory_type=MemType.UOP, dram_base=70, y_size=1, x_size=2),
            r"^instruction 1 \(STORE .*race: write after read on DRAM byte 0x118 with compute "
            r"instruction 2 \(LOAD ",
        ),
    ],
    ids=["inp", "acc_8bit", "uop"],
)
def test_store_and_load_of_the_same_dram_bytes_need_a_token(load: Load, message: str) -> None:
    insns, dram = store_then_load(load, ordered=False)
    with pytest.raises(SimError, match=message):
        simulate(DEFAULT, insns, dram)
    insns, dram = store_then_load(load, ordered=True)
    sim = Simulator(DEFAULT, dram)
    sim.run(insns)
    stored = np.arange(1, 33, dtype=np.int8).view(np.uint8)
    np.testing.assert_array_equal(dram[256:288], stored)
    if load.memory_type == MemType.INP:  # it reads what the store wrote
        np.testing.assert_array_equal(sim.inp[0, 0], np.arange(17, 33))


def test_dram_races_are_exact_to_the_byte() -> None:
    """Transfers whose byte ranges interleave but share no byte are not races: a strided STORE
    (rows of 16 bytes, 64 apart) and a LOAD of micro-ops between its rows, with no token."""
    arena = Arena(DEFAULT)
    uop_at = arena.uops([Uop(i, 0, 0) for i in range(64)])
    insns = [
        Gemm(reset_reg=1, uop_end=1, iter_out=1, iter_in=1, push_next_dep=1),
        Load(memory_type=MemType.UOP, dram_base=uop_at + 4, y_size=3, x_size=12, x_stride=16),
        Store(
            memory_type=MemType.OUT, y_size=4, x_size=1, x_stride=4, pop_prev_dep=1, push_prev_dep=1
        ),
        *NOOP_END,
    ]
    simulate(DEFAULT, insns, arena.array())
    touching = replace(insns[1], x_size=13)  # one more micro-op: the 4 bytes at 64
    with pytest.raises(SimError, match=r"race: write after read on DRAM byte 0x40 with compute"):
        simulate(DEFAULT, [insns[0], touching, *insns[2:]], arena.array())


def test_deadlock_is_reported_with_the_instruction() -> None:
    insns = [Gemm(pop_prev_dep=1, uop_end=0), Finish()]
    with pytest.raises(
        SimError, match=r"instruction 0 \(GEMM pop_prev_dep=1.*deadlock.*load->compute"
    ):
        simulate(DEFAULT, insns, np.zeros(256, np.uint8))


def test_queue_capacity_in_strict_mode() -> None:
    # compute sends 9 tokens to store before taking any back; store sends 9 before taking any
    compute = [Gemm(push_next_dep=1)] * 9 + [Gemm(pop_next_dep=1)] * 10 + [Finish()]
    store = (
        [Store(memory_type=MemType.OUT, push_prev_dep=1)] * 9
        + [Store(memory_type=MemType.OUT, pop_prev_dep=1)] * 8
        + [Store(memory_type=MemType.OUT, pop_prev_dep=1, push_prev_dep=1)]
    )
    simulate(DEFAULT, compute + store, np.zeros(256, np.uint8))  # unbounded queues: fine
    with pytest.raises(
        SimError,
        match=r"^instruction 8 \(GEMM .*deadlock: the compute module pushes into the full "
        r"compute->store queue \(8 tokens\)",
    ):
        simulate(DEFAULT, compute + store, np.zeros(256, np.uint8), strict=True)


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("insns", "message"),
    [
        (
            [Load(memory_type=MemType.INP, pop_prev_dep=1), Finish()],
            "load module may not use pop_prev_dep",
        ),
        (
            [Store(memory_type=MemType.OUT, push_next_dep=1), Finish()],
            "store module may not use push_next_dep",
        ),
        (
            [
                Load(memory_type=MemType.INP, sram_base=2047, y_size=1, x_size=2, x_stride=2),
                Finish(),
            ],
            r"input buffer entries \[2047, 2049\) exceed its depth 2048",
        ),
        (
            [
                Load(memory_type=MemType.INP, dram_base=1000, y_size=1, x_size=2, x_stride=2),
                Finish(),
            ],
            "outside the arena",
        ),
        (
            [
                Store(memory_type=MemType.OUT, y_size=1, x_size=1, x_pad_0=1, push_prev_dep=1),
                *NOOP_END,
            ],
            "STORE may not be padded",
        ),
        (
            [Store(memory_type=MemType.ACC, y_size=1, x_size=1, push_prev_dep=1), *NOOP_END],
            "only memory type OUT",
        ),
        ([Load(memory_type=7, y_size=1, x_size=1), Finish()], "LOAD of unknown memory type 7"),
        (
            [Store(memory_type=6, y_size=1, x_size=1, push_prev_dep=1), *NOOP_END],
            "STORE of unknown memory type 6",
        ),
        ([Load(memory_type=MemType.OUT, y_size=1, x_size=1), Finish()], "LOAD of memory type OUT"),
        (
            [Load(memory_type=MemType.ACC, dram_base=2**20, y_size=1, x_size=1), Finish()],
            r"DRAM access \[0x4000000, 0x4000040\) is outside the arena \[0x0, 0x200\)",
        ),
        (
            [Gemm(uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, src_factor_in=1), Finish()],
            None,  # a valid GEMM on zeroed buffers: the control case of this table
        ),
        (
            [Gemm(uop_bgn=0, uop_end=1, iter_out=1, iter_in=3, src_factor_in=1024), Finish()],
            "input index 2048 is outside the buffer \\(depth 2048\\)",
        ),
        (
            [Gemm(uop_bgn=0, uop_end=1, iter_out=2, iter_in=1, wgt_factor_out=1024), Finish()],
            "weight index 1024 is outside the buffer",
        ),
        (
            [Alu(uop_bgn=0, uop_end=1, iter_out=2, iter_in=1, src_factor_out=2048), Finish()],
            r"accumulator \(src\) index 2048",
        ),
        (
            [
                Alu(use_imm=1, uop_bgn=0, uop_end=1, iter_out=2, iter_in=1, dst_factor_out=2048),
                Finish(),
            ],
            r"accumulator \(dst\) index 2048",
        ),
        (  # sim_driver.cc bounds-checks the source entry even when the immediate is used
            [
                Alu(use_imm=1, uop_bgn=0, uop_end=1, iter_out=2, iter_in=1, src_factor_out=2048),
                Finish(),
            ],
            r"accumulator \(src\) index 2048",
        ),
        (
            [Gemm(uop_bgn=8000, uop_end=8193, iter_out=1, iter_in=1), Finish()],
            "exceed the buffer's 8192",
        ),
        (  # far outside: reported without building anything the size of the index
            [Alu(uop_end=1, iter_out=16383, iter_in=1, dst_factor_out=2047), Finish()],
            r"accumulator \(dst\) index 33533954 is outside the buffer \(depth 2048\)",
        ),
        (
            [Gemm(uop_bgn=0, uop_end=256, iter_out=1024, iter_in=1024), Finish()],
            r"268435456 steps .* more than this simulator executes",
        ),
        ([Finish(), Gemm()], "executes after FINISH"),
        (
            [
                Gemm(push_next_dep=1),
                Gemm(push_next_dep=1),
                Store(memory_type=MemType.OUT, pop_prev_dep=1, push_prev_dep=1),
                Load(memory_type=MemType.UOP, pop_next_dep=1),
                Finish(),
            ],
            r"^instruction 1 \(GEMM .*its compute->store token is never popped \(1 left",
        ),
        ([Alu(alu_opcode=6, uop_end=1, iter_out=1, iter_in=1), Finish()], "unknown ALU opcode 6"),
        (
            [Gemm(uop_bgn=0, uop_end=1, iter_out=1, iter_in=3, dst_factor_in=2047), Finish()],
            "accumulator index 2047|outside the buffer",
        ),
        ([Load(memory_type=MemType.UOP)], "ends without FINISH"),
        ([], "empty"),
        (
            [Finish(), Store(memory_type=MemType.OUT, y_size=1, x_size=1)],
            "FINISH is not ordered after store",
        ),
    ],
)
def test_error_messages(insns, message) -> None:  # noqa: ANN001
    if message is None:
        simulate(DEFAULT, insns, np.zeros(512, np.uint8))
        return
    with pytest.raises(SimError, match=message):
        simulate(DEFAULT, insns, np.zeros(512, np.uint8))


def test_error_names_index_and_text() -> None:
    insns = [Load(memory_type=MemType.UOP), Load(memory_type=MemType.INP, pop_prev_dep=1), Finish()]
    with pytest.raises(SimError) as info:
        simulate(DEFAULT, insns, np.zeros(256, np.uint8))
    assert info.value.index == 1
    assert str(info.value).startswith("instruction 1 (LOAD pop_prev_dep=1")


# ----------------------------------------------------------------- strict


def test_strict_rules() -> None:
    def run(insns, strict=True):  # noqa: ANN001, ANN202
        return simulate(DEFAULT, insns + [Finish()], np.zeros(1024, np.uint8), strict=strict)

    run([Alu(alu_opcode=AluOp.MUL, use_imm=1, uop_end=0)], strict=False)
    with pytest.raises(SimError, match="MUL exists only"):
        run([Alu(alu_opcode=AluOp.MUL, use_imm=1, uop_end=0)])
    with pytest.raises(SimError, match="SHR immediate 16"):
        run([Alu(alu_opcode=AluOp.SHR, use_imm=1, imm=16, uop_end=0)])
    with pytest.raises(SimError, match="padding on a WGT load"):
        run([Load(memory_type=MemType.WGT, y_size=1, x_size=1, x_pad_0=1)])
    with pytest.raises(SimError, match="2048"):
        run([Load(memory_type=MemType.UOP, sram_base=2047, y_size=1, x_size=2, x_stride=2)])
    with pytest.raises(SimError, match="last written by a LOAD"):
        run(
            [
                Load(memory_type=MemType.ACC, y_size=1, x_size=1, x_stride=1, push_next_dep=1),
                Store(
                    memory_type=MemType.OUT,
                    pop_prev_dep=1,
                    push_prev_dep=1,
                    y_size=1,
                    x_size=1,
                    x_stride=1,
                ),
                Load(memory_type=MemType.UOP, pop_next_dep=1),
            ]
        )


def test_strict_micro_op_rules() -> None:
    def gemm_with(uops: list[Uop], strict: bool = True, **fields: int):  # noqa: ANN202
        arena = Arena(DEFAULT)
        at = arena.uops(uops)
        insns = [
            Load(memory_type=MemType.UOP, dram_base=at, y_size=1, x_size=len(uops)),
            Gemm(
                reset_reg=1,
                uop_bgn=0,
                uop_end=len(uops),
                **({"iter_out": 1, "iter_in": 1} | fields),
            ),
            Finish(),
        ]
        return simulate(DEFAULT, insns, arena.array(), strict=strict)

    gemm_with([Uop(0), Uop(1), Uop(2), Uop(0)])  # three apart: fine
    with pytest.raises(SimError, match="strict: step 2 writes accumulator entry 0"):
        gemm_with([Uop(0), Uop(1), Uop(0)])
    gemm_with([Uop(0), Uop(1), Uop(0)], strict=False)
    # across loop iterations too: (i=0: 5, 6), (i=1: 6, 7)
    with pytest.raises(SimError, match="strict: step 2 writes accumulator entry 6"):
        gemm_with([Uop(5), Uop(6)], iter_out=2, dst_factor_out=1)
    with pytest.raises(SimError, match=r"micro-ops \[2047, 2049\) exceed the buffer's 2048"):
        simulate(
            DEFAULT,
            [Gemm(uop_bgn=2047, uop_end=2049, iter_out=1, iter_in=1), Finish()],
            np.zeros(256, np.uint8),
            strict=True,
        )
    with pytest.raises(SimError, match="strict: padding on a UOP load"):
        simulate(
            DEFAULT,
            [Load(memory_type=MemType.UOP, y_size=1, x_size=1, y_pad_1=1), Finish()],
            np.zeros(256, np.uint8),
            strict=True,
        )


def test_strict_store_after_alu_is_accepted() -> None:
    acc = np.arange(2 * 16).reshape(2, 1, 16)
    arena, insns, _ = alu_program(AluOp.MAX, True, 0, acc, 1)
    simulate(DEFAULT, insns, arena.array(), strict=True)
    with pytest.raises(SimError, match="MUL exists only"):
        arena, insns, _ = alu_program(AluOp.MUL, True, 3, acc, 1)
        simulate(DEFAULT, insns, arena.array(), strict=True)


def test_regression_huge_gemm_runs_in_bounded_memory() -> None:
    """Found by fuzzing with random valid instructions: a GEMM of 2^25 block products, all
    into one accumulator entry, gathered 32 GiB of weights at once (a MemoryError traceback
    from vtac sim). Products now run in slices; a 2^20-product one stays far below the 1 GiB
    one gather took."""
    import tracemalloc

    arena = Arena(DEFAULT)
    uop_at = arena.uops([Uop(0, 0, 0)])
    gemm = Gemm(uop_bgn=0, uop_end=1, iter_out=1024, iter_in=1024)
    sim = Simulator(DEFAULT, arena.array())
    sim.inp[0] = 2
    sim.wgt[0] = -3
    load = Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1)
    tracemalloc.start()
    try:
        sim.run([load, gemm, Finish()])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300 << 20, peak
    assert (sim.acc[0] == np.int32(1024 * 1024 * 16 * -6)).all()  # wraps like int32


def test_regression_long_alu_chains_are_refused_clearly() -> None:
    """Found by fuzzing mutated images: ALU steps that keep reading what earlier steps wrote
    ran in millions of sequential chunks (minutes in vtac sim); past MAX_ALU_CHUNKS they are a
    SimError naming the limit, like MAX_STEPS."""
    from vtac.runtime import simulator

    limit = simulator.MAX_ALU_CHUNKS
    # running sums over 2000 entries, again and again: each step reads what the step before
    # wrote, so every step is a chunk of its own
    passes = limit // 2000 + 1
    chain = Alu(uop_bgn=0, uop_end=1, iter_out=passes, iter_in=2000, dst_factor_in=1)
    chain = replace(chain, src_factor_in=1, alu_opcode=AluOp.ADD)
    arena = Arena(DEFAULT)
    uop_at = arena.uops([Uop(1, 0)])
    load = Load(memory_type=MemType.UOP, dram_base=uop_at, y_size=1, x_size=1)
    with pytest.raises(SimError, match=f"into more than {limit} chunks"):
        Simulator(DEFAULT, arena.array()).run([load, chain, Finish()])
    shorter = replace(chain, iter_out=1, iter_in=1000)
    sim = Simulator(DEFAULT, arena.array())
    sim.acc[0] = 1
    sim.run([load, shorter, Finish()])
    assert (sim.acc[1000] == 1).all()
