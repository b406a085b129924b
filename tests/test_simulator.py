"""Functional simulator: instruction-level golden tests, tokens, errors and strict mode."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vta_builder import Arena

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp, Finish, Gemm, Load, MemType, Store, Uop
from vtac.runtime.simulator import SimError, Simulator, simulate

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


@pytest.mark.parametrize("pads", list(itertools.product([0, 2], repeat=4)))
def test_load_padding_combinations(pads: tuple[int, int, int, int]) -> None:
    y0, y1, x0, x1 = pads
    arena = Arena(DEFAULT)
    tensor = np.arange(1, 5 * 7 * 16 + 1).reshape(5, 7, 16).astype(np.int8)
    base = arena.put(tensor) // 16
    load = Load(
        memory_type=MemType.INP,
        sram_base=3,
        dram_base=base + 7 + 1,
        y_size=3,
        x_size=4,
        x_stride=7,
        y_pad_0=y0,
        y_pad_1=y1,
        x_pad_0=x0,
        x_pad_1=x1,
        push_next_dep=1,
    )
    sim = Simulator(DEFAULT, arena.array())
    sim.run([load, Load(memory_type=MemType.UOP, pop_prev_dep=1), Finish()])
    rect = np.pad(tensor[1:4, 1:5], ((y0, y1), (x0, x1), (0, 0)))
    got = sim.inp[3 : 3 + rect.shape[0] * rect.shape[1], 0].reshape(rect.shape)
    np.testing.assert_array_equal(got, rect)
    assert sim.stats.counters["inp_load_nbytes"] == 3 * 4 * 16  # padding not counted


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
    # shifts of 32 or more saturate: the sign for right shifts, zero for left shifts
    AluOp.SHR: lambda a, b: np.where(
        b >= 0, a >> np.clip(b, 0, 31), np.where(-b >= 32, 0, a << np.clip(-b, 0, 31))
    ),
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
    simulate(DEFAULT, insns, dram)
    assert dram[out_at] == (0x41 << 2) & 0xFF


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


def test_deadlock_is_reported_with_the_instruction() -> None:
    insns = [Gemm(pop_prev_dep=1, uop_end=0), Finish()]
    with pytest.raises(
        SimError, match=r"instruction 0 \(GEMM pop_prev_dep=1.*deadlock.*load->compute"
    ):
        simulate(DEFAULT, insns, np.zeros(256, np.uint8))


def test_queue_capacity_in_strict_mode() -> None:
    insns = [Load(memory_type=MemType.INP, push_next_dep=1) for _ in range(9)]
    insns += [Load(memory_type=MemType.UOP, pop_prev_dep=1) for _ in range(9)] + [Finish()]
    simulate(DEFAULT, insns, np.zeros(256, np.uint8))  # unbounded: fine
    reordered = [Gemm(pop_next_dep=1)] + insns  # compute waits on store first: loads pile up
    with pytest.raises(SimError, match="deadlock"):
        simulate(DEFAULT, reordered, np.zeros(256, np.uint8), strict=True)


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
        ([Load(memory_type=7, y_size=1, x_size=1), Finish()], "unknown memory type 7"),
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


# ----------------------------------------------------- property: vs a slow loop


def slow_gemm(acc, inp, wgt, uops, insn):  # noqa: ANN001, ANN201
    acc = acc.astype(np.int64).copy()
    for i in range(insn.iter_out):
        for j in range(insn.iter_in):
            for u in uops[insn.uop_bgn : insn.uop_end]:
                d = u.dst_idx + i * insn.dst_factor_out + j * insn.dst_factor_in
                s = u.src_idx + i * insn.src_factor_out + j * insn.src_factor_in
                w = u.wgt_idx + i * insn.wgt_factor_out + j * insn.wgt_factor_in
                acc[d] = (
                    acc[d] + inp[s].astype(np.int64) @ wgt[w].astype(np.int64).T + 2**31
                ) % 2**32 - 2**31
    return acc


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_gemm_matches_a_slow_loop(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from([DEFAULT, VTAConfig.named("batch2")]))
    uops = [
        Uop(
            data.draw(st.integers(0, 7)), data.draw(st.integers(0, 7)), data.draw(st.integers(0, 3))
        )
        for _ in range(data.draw(st.integers(1, 4)))
    ]
    insn = Gemm(
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=data.draw(st.integers(1, 3)),
        iter_in=data.draw(st.integers(1, 3)),
        dst_factor_out=data.draw(st.integers(0, 3)),
        dst_factor_in=data.draw(st.integers(0, 3)),
        src_factor_out=data.draw(st.integers(0, 3)),
        src_factor_in=data.draw(st.integers(0, 3)),
        wgt_factor_out=data.draw(st.integers(0, 2)),
        wgt_factor_in=data.draw(st.integers(0, 2)),
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    sim = Simulator(config, np.zeros(256, np.uint8))
    sim.inp[:] = rng.integers(-128, 128, sim.inp.shape)
    sim.wgt[:] = rng.integers(-128, 128, sim.wgt.shape)
    sim.acc[:] = rng.integers(-(2**31), 2**31, sim.acc.shape)
    from vtac.runtime.isa import encode_uops

    sim.uop[: len(uops)] = encode_uops(uops, config)
    want = slow_gemm(sim.acc, sim.inp, sim.wgt, uops, insn)
    sim.run([insn, Finish()])
    np.testing.assert_array_equal(sim.acc, want)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_alu_matches_a_slow_loop(data: st.DataObject) -> None:
    op = data.draw(st.sampled_from(list(AluOp)))
    use_imm = data.draw(st.booleans())
    imm = data.draw(st.integers(-40, 40) if op == AluOp.SHR else st.integers(-(2**15), 2**15 - 1))
    uops = [
        Uop(data.draw(st.integers(0, 7)), data.draw(st.integers(0, 7)), 0)
        for _ in range(data.draw(st.integers(1, 4)))
    ]
    insn = Alu(
        alu_opcode=op,
        use_imm=int(use_imm),
        imm=imm,
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=data.draw(st.integers(1, 3)),
        iter_in=data.draw(st.integers(1, 3)),
        dst_factor_out=data.draw(st.integers(0, 3)),
        dst_factor_in=data.draw(st.integers(0, 3)),
        src_factor_out=data.draw(st.integers(0, 3)),
        src_factor_in=data.draw(st.integers(0, 3)),
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    sim = Simulator(DEFAULT, np.zeros(256, np.uint8))
    sim.acc[:] = (
        rng.integers(-40, 40, sim.acc.shape)
        if op == AluOp.SHR
        else rng.integers(-(2**31), 2**31, sim.acc.shape)
    )
    from vtac.runtime.isa import encode_uops

    sim.uop[: len(uops)] = encode_uops(uops, DEFAULT)
    acc = sim.acc.astype(np.int64).copy()
    for i in range(insn.iter_out):
        for j in range(insn.iter_in):
            for u in uops:
                d = u.dst_idx + i * insn.dst_factor_out + j * insn.dst_factor_in
                s = u.src_idx + i * insn.src_factor_out + j * insn.src_factor_in
                b = np.int64(imm) if use_imm else acc[s].copy()
                acc[d] = REFERENCE[op](acc[d], b)
                acc[d] = (acc[d] + 2**31) % 2**32 - 2**31
    sim.run([insn, Finish()])
    np.testing.assert_array_equal(sim.acc, acc)
