"""Functional simulator against slow reference loops: random GEMM and ALU instructions."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.runtime import sim_gemm
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp, Finish, Gemm, Uop, encode_uops
from vtac.runtime.simulator import Simulator

DEFAULT = VTAConfig()
CONFIGS = [
    DEFAULT,
    VTAConfig.named("batch2"),
    VTAConfig.named("block8_small"),
    VTAConfig.named("block32"),
]


def wrap32(values: np.ndarray) -> np.ndarray:
    return (values + 2**31) % 2**32 - 2**31


def slow_gemm(acc: np.ndarray, inp: np.ndarray, wgt: np.ndarray, uops: list[Uop], insn: Gemm):  # noqa: ANN201
    """sim_driver.cc's loop nest, one block product at a time, in int64."""
    acc = acc.astype(np.int64).copy()
    for i in range(insn.iter_out):
        for j in range(insn.iter_in):
            for u in uops:
                d = u.dst_idx + i * insn.dst_factor_out + j * insn.dst_factor_in
                s = u.src_idx + i * insn.src_factor_out + j * insn.src_factor_in
                w = u.wgt_idx + i * insn.wgt_factor_out + j * insn.wgt_factor_in
                product = inp[s].astype(np.int64) @ wgt[w].astype(np.int64).T
                acc[d] = wrap32(acc[d] + product)
    return acc


def slow_alu(op: AluOp, a: int, b: int) -> int:
    """One lane of the ALU in Python integers (shifts as VTA's HLS design: by the amount's low
    5 bits, read as a signed number)."""
    if op == AluOp.MIN:
        result = min(a, b)
    elif op == AluOp.MAX:
        result = max(a, b)
    elif op == AluOp.ADD:
        result = a + b
    elif op == AluOp.MUL:
        result = a * b
    else:
        shift = b % 32 - 32 if b % 32 >= 16 else b % 32
        result = a >> shift if shift >= 0 else a << -shift
    return (result + 2**31) % 2**32 - 2**31


def filled_simulator(config: VTAConfig, seed: int, acc_range: int = 2**31) -> Simulator:
    rng = np.random.default_rng(seed)
    sim = Simulator(config, np.zeros(256, np.uint8))
    sim.inp[:] = rng.integers(-128, 128, sim.inp.shape)
    sim.wgt[:] = rng.integers(-128, 128, sim.wgt.shape)
    sim.acc[:] = rng.integers(-acc_range, acc_range, sim.acc.shape)
    return sim


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_gemm_matches_a_slow_loop(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from(CONFIGS), label="config")
    uops = [
        Uop(
            data.draw(st.integers(0, 7)), data.draw(st.integers(0, 7)), data.draw(st.integers(0, 3))
        )
        for _ in range(data.draw(st.integers(1, 5)))
    ]
    insn = Gemm(
        uop_bgn=2,
        uop_end=2 + len(uops),
        iter_out=data.draw(st.integers(1, 4)),
        iter_in=data.draw(st.integers(1, 4)),
        dst_factor_out=data.draw(st.integers(0, 3)),
        dst_factor_in=data.draw(st.integers(0, 3)),
        src_factor_out=data.draw(st.integers(0, 3)),
        src_factor_in=data.draw(st.integers(0, 3)),
        wgt_factor_out=data.draw(st.integers(0, 2)),
        wgt_factor_in=data.draw(st.integers(0, 2)),
    )
    # smaller limits exercise the cut contractions, the float64 path and the cut BLAS calls
    exact_terms = data.draw(st.sampled_from([1024, 2 * config.block_in, config.block_in // 2]))
    blas_macs = data.draw(st.sampled_from([1 << 18, 1]))
    gather = data.draw(st.sampled_from([sim_gemm.GATHER_VALUES, 1, 600]))  # sliced sums too
    sim = filled_simulator(config, data.draw(st.integers(0, 1000)))
    sim.uop[2 : 2 + len(uops)] = encode_uops(uops, config)
    want = slow_gemm(sim.acc, sim.inp, sim.wgt, uops, insn)
    with (
        mock.patch.object(sim_gemm, "EXACT_F32_TERMS", exact_terms),
        mock.patch.object(sim_gemm, "BLAS_CALL_MACS", blas_macs),
        mock.patch.object(sim_gemm, "GATHER_VALUES", gather),
    ):
        stats = sim.run([insn, insn, Finish()])  # the second runs from the cached plan
    want = slow_gemm(want, sim.inp, sim.wgt, uops, insn)
    np.testing.assert_array_equal(sim.acc, want)
    assert stats.counters["gemm_counter"] == 2 * insn.iter_out * insn.iter_in * len(uops)


def slow_alu_instruction(acc: np.ndarray, uops: list[Uop], insn: Alu) -> np.ndarray:
    """sim_driver.cc's loop nest for one ALU instruction, one lane at a time in Python ints."""
    values = acc.astype(np.int64).tolist()  # [entry][batch][lane]
    op = AluOp(insn.alu_opcode)
    for i in range(insn.iter_out):
        for j in range(insn.iter_in):
            for u in uops:
                d = u.dst_idx + i * insn.dst_factor_out + j * insn.dst_factor_in
                s = u.src_idx + i * insn.src_factor_out + j * insn.src_factor_in
                for b, row in enumerate(values[d]):
                    for lane in range(len(row)):
                        operand = insn.imm if insn.use_imm else values[s][b][lane]
                        row[lane] = slow_alu(op, row[lane], operand)
    return np.array(values)


def run_alu(insn: Alu, uops: list[Uop], seed: int, acc_range: int) -> None:
    """Run ``insn`` twice (the second time from the cached plan) against the slow loop."""
    sim = filled_simulator(DEFAULT, seed, acc_range)
    sim.uop[insn.uop_bgn : insn.uop_end] = encode_uops(uops, DEFAULT)
    want = slow_alu_instruction(slow_alu_instruction(sim.acc, uops, insn), uops, insn)
    stats = sim.run([insn, insn, Finish()])
    np.testing.assert_array_equal(sim.acc, want)
    assert stats.counters["alu_counter"] == 2 * insn.iter_out * insn.iter_in * len(uops)


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_alu_matches_a_slow_loop(data: st.DataObject) -> None:
    op = data.draw(st.sampled_from(list(AluOp)), label="op")
    use_imm = data.draw(st.booleans(), label="use_imm")
    imm = data.draw(st.integers(-40, 40) if op == AluOp.SHR else st.integers(-(2**15), 2**15 - 1))
    uops = [
        Uop(data.draw(st.integers(0, 7)), data.draw(st.integers(0, 7)), 0)
        for _ in range(data.draw(st.integers(1, 5)))
    ]
    insn = Alu(
        alu_opcode=op,
        use_imm=int(use_imm),
        imm=imm,
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=data.draw(st.integers(1, 4)),
        iter_in=data.draw(st.integers(1, 4)),
        dst_factor_out=data.draw(st.integers(0, 3)),
        dst_factor_in=data.draw(st.integers(0, 3)),
        src_factor_out=data.draw(st.integers(0, 3)),
        src_factor_in=data.draw(st.integers(0, 3)),
    )
    seed = data.draw(st.integers(0, 1000))
    run_alu(insn, uops, seed, 40 if op == AluOp.SHR and not use_imm else 2**31)


@pytest.mark.parametrize("use_imm", [True, False], ids=["imm", "tensor"])
@pytest.mark.parametrize("op", list(AluOp), ids=lambda op: op.name)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_alu_repeated_destinations_match_a_slow_loop(
    op: AluOp, use_imm: bool, data: st.DataObject
) -> None:
    """Every step revisits a destination: the inner loop does not move it. Sources are drawn
    apart from the destinations (the merged path) or among them (chains run in order)."""
    apart = data.draw(st.booleans(), label="sources apart")
    low = 8 if apart else 0
    uops = [
        Uop(data.draw(st.integers(0, 3)), data.draw(st.integers(low, low + 3)), 0)
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    imm = data.draw(
        st.integers(-40, 40) if op == AluOp.SHR else st.integers(-(2**15), 2**15 - 1), label="imm"
    )
    insn = Alu(
        alu_opcode=op,
        use_imm=int(use_imm),
        imm=imm,
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=data.draw(st.integers(1, 3)),
        iter_in=data.draw(st.integers(2, 12)),
        dst_factor_out=data.draw(st.integers(0, 2)),
        src_factor_out=data.draw(st.integers(0, 2)),
        src_factor_in=data.draw(st.integers(0, 1)),
    )
    # small MUL operands keep products from collapsing to 0 modulo 2^32 too soon
    acc_range = {AluOp.MUL: 8, AluOp.SHR: 2**31 if use_imm else 40}.get(op, 2**31)
    run_alu(insn, uops, data.draw(st.integers(0, 1000), label="seed"), acc_range)


def test_alu_revisiting_one_entry_16000_times_runs_as_one_merged_step() -> None:
    """The steps of one ALU instruction are not executed one numpy call each."""
    for use_imm, dst in ((1, 0), (0, 2000)):  # a tensor source apart from the destination
        sim = filled_simulator(DEFAULT, 3)
        sim.uop[0] = encode_uops([Uop(dst, 0, 0)], DEFAULT)[0]
        insn = Alu(
            alu_opcode=AluOp.ADD,
            use_imm=use_imm,
            imm=3,
            uop_bgn=0,
            uop_end=1,
            iter_out=8,
            iter_in=2000,
            src_factor_in=1,
        )
        before = sim.acc.astype(np.int64)
        sim.run([insn, Finish()])
        (plan,) = sim._plans.values()
        assert plan.merged is not None and not plan.runs
        added = 16000 * 3 if use_imm else 8 * before[:2000].sum(axis=0)
        np.testing.assert_array_equal(sim.acc[dst], wrap32(before[dst] + added))
        np.testing.assert_array_equal(np.delete(sim.acc, dst, 0), np.delete(before, dst, 0))


def test_repeated_immediate_shifts_compose_as_the_hardware_shifts_each_step() -> None:
    """k SHRs by r are one by k times the hardware's shift for r (its low 5 bits, signed): by
    15 twice is by 30, by 16 twice a left shift by 32 (0), by 20 twice a left shift by 24, by
    33 three times by 3, by -33 three times a left shift by 3, by -32 not at all."""
    lanes = np.array([0x12345678, -0x12345678, 1, -1] * 4, dtype=np.int64)
    for imm, repeats, want in (
        (15, 2, lanes >> 30),
        (16, 2, 0 * lanes),
        (-16, 2, 0 * lanes),
        (20, 2, wrap32(lanes << 24)),
        (33, 3, lanes >> 3),
        (-33, 3, wrap32(lanes << 3)),
        (-32, 5, lanes),
    ):
        sim = Simulator(DEFAULT, np.zeros(256, np.uint8))
        sim.acc[0, 0] = lanes
        insn = Alu(alu_opcode=AluOp.SHR, use_imm=1, imm=imm, uop_end=1, iter_out=1, iter_in=repeats)
        sim.run([insn, Finish()])
        assert sim.acc[0, 0].tolist() == want.tolist(), (imm, repeats)


def test_large_convolution_gemm_matches_numpy() -> None:
    """A 3x3 convolution tile as one GEMM (kernel column in the micro-ops, input-channel blocks
    and kernel rows in the loops), with more micro-ops for one weight entry than the others:
    large products (cut BLAS calls), several weight-group sizes, repeated destinations."""
    config = VTAConfig.named("batch2")
    rows, cols, ic, oc = 6, 14, 4, 2
    in_rows, in_cols = rows + 2, cols + 2
    uops = [
        Uop((o * rows + r) * cols + c, r * in_cols + c + kw, o * ic * 9 + kw)
        for kw in range(3)
        for o in range(oc)
        for r in range(rows)
        for c in range(cols)
        if not (kw == 2 and o == 1 and c >= 7)  # an uneven group
    ]
    insn = Gemm(
        uop_bgn=0,
        uop_end=len(uops),
        iter_out=ic,
        iter_in=3,
        src_factor_out=in_rows * in_cols,
        src_factor_in=in_cols,
        wgt_factor_out=9,
        wgt_factor_in=3,
    )
    sim = filled_simulator(config, 5)
    sim.uop[: len(uops)] = encode_uops(uops, config)
    dst = np.array([u.dst_idx for u in uops])
    src = np.array([u.src_idx for u in uops])
    wgt = np.array([u.wgt_idx for u in uops])
    want = sim.acc.astype(np.int64)
    for i in range(ic):
        for j in range(3):
            s = src + i * insn.src_factor_out + j * insn.src_factor_in
            w = wgt + i * insn.wgt_factor_out + j * insn.wgt_factor_in
            products = np.einsum(
                "nbk,nok->nbo", sim.inp[s].astype(np.int64), sim.wgt[w].astype(np.int64)
            )
            np.add.at(want, dst, products)
    sim.run([insn, Finish()])
    np.testing.assert_array_equal(sim.acc, wrap32(want))
