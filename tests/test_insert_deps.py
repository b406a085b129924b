"""vtac-insert-deps on hand-written VTA programs: the strict simulator (eight tokens per queue)
finds no deadlock, no race and no unbalanced token in what the pass emits."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from vta_builder import Arena

from vtac.passes.insert_deps import insert_deps
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp, Gemm, Instruction, Load, MemType, Store, Uop, module_of
from vtac.runtime.simulator import simulate
from vtac.runtime.timing import QUEUE_DEPTH

CONFIG = VTAConfig()
INPUTS = 18  # input entries the programs use
WEIGHTS = 4  # weight entries
ACC = 18  # accumulator entries


class Program:
    """A hand-written program over a small arena: input and weight entries, a micro-op table
    loaded once (index 0 is the reset's), and ``ACC`` accumulator entries reset first (the
    FPGA stores only what GEMM or ALU wrote)."""

    def __init__(self, table: list[Uop]) -> None:
        self.arena = Arena(CONFIG)
        rng = np.random.default_rng(0)
        inp = rng.integers(-128, 128, (INPUTS, CONFIG.inp_elem_bytes), dtype=np.int8)
        wgt = rng.integers(-128, 128, (WEIGHTS, CONFIG.wgt_elem_bytes), dtype=np.int8)
        self.inp = self.arena.put(inp) // CONFIG.inp_elem_bytes
        self.wgt = self.arena.put(wgt) // CONFIG.wgt_elem_bytes
        self.out = self.arena.reserve(ACC * CONFIG.out_elem_bytes) // CONFIG.out_elem_bytes
        self.table = [Uop(0, 0, 0), *table]
        uops = self.arena.uops(self.table)
        self.insns: list[Instruction] = [
            Load(memory_type=MemType.UOP, dram_base=uops, y_size=1, x_size=len(self.table)),
            Gemm(reset_reg=1, uop_end=1, iter_out=ACC, iter_in=1, dst_factor_out=1),
        ]

    def uops_of(self, index: int, load: Load) -> np.ndarray:
        return np.array([(u.dst_idx, u.src_idx, u.wgt_idx) for u in self.table], dtype=np.int64)

    def load(self, kind: MemType, slot: int) -> None:
        base = self.inp if kind == MemType.INP else self.wgt
        self.insns.append(
            Load(memory_type=kind, sram_base=slot, dram_base=base + slot, y_size=1, x_size=1)
        )

    def gemm(self, uop: int) -> None:
        self.insns.append(Gemm(uop_bgn=uop, uop_end=uop + 1, iter_out=1, iter_in=1))

    def alu(self, uop: int, op: AluOp, use_imm: int) -> None:
        self.insns.append(
            Alu(uop_bgn=uop, uop_end=uop + 1, iter_out=1, iter_in=1, alu_opcode=op, use_imm=use_imm)
        )

    def store(self, entry: int) -> None:
        self.insns.append(
            Store(
                memory_type=MemType.OUT,
                sram_base=entry,
                dram_base=self.out + entry,
                y_size=1,
                x_size=1,
            )
        )

    def run(self) -> list[Instruction]:
        """The program with its tokens, checked by the strict simulator and in program order;
        returns it."""
        done = insert_deps(self.insns, CONFIG, self.uops_of)
        simulate(CONFIG, done, self.arena.array(), strict=True)
        assert program_order_occupancy(done) <= QUEUE_DEPTH
        return done


def program_order_occupancy(insns: list[Instruction]) -> int:
    """The most tokens a queue holds when ``insns`` run in their own order (which must be an
    execution: no pop before its push)."""
    neighbours = {
        "load": (None, "compute"),
        "compute": ("load", "store"),
        "store": ("compute", None),
    }
    held: dict[tuple[str | None, str | None], int] = {}
    most = 0
    for insn in insns:
        module = module_of(insn)
        prev, nxt = neighbours[module]
        for flag, other in ((insn.pop_prev_dep, prev), (insn.pop_next_dep, nxt)):
            if flag:
                key = (other, module)
                held[key] = held.get(key, 0) - 1
                assert held[key] >= 0, "a pop before its push"
        for flag, other in ((insn.push_prev_dep, prev), (insn.push_next_dep, nxt)):
            if flag:
                key = (module, other)
                held[key] = held.get(key, 0) + 1
                most = max(most, held[key])
    return most


def test_regression_reloads_after_nine_outstanding_tokens_do_not_deadlock() -> None:
    """Nine GEMMs read input entries 0-8, nine load/GEMM pairs use entries 9-17, then entries
    0-8 are reloaded: nine write-after-read tokens wait for loads at the end of the program
    while the pairs push their own. The queue credits of an earlier version ordered a GEMM of
    the pairs and a reload each before the other: the strict simulator found a deadlock."""
    program = Program([Uop(entry, entry, 0) for entry in range(INPUTS)])
    program.load(MemType.WGT, 0)
    for entry in range(9):
        program.gemm(1 + entry)
    for entry in range(9, 18):
        program.load(MemType.INP, entry)
        program.gemm(1 + entry)
    for entry in range(9):
        program.load(MemType.INP, entry)
    program.store(0)
    program.run()


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Runs of loads, GEMMs, load/GEMM pairs, ALU steps and stores, each over consecutive
    entries from a drawn start (so later runs reuse what earlier ones touched, and many
    tokens are outstanding at once). Micro-op 1 + e reads input e into accumulator e; a few
    drawn micro-ops follow (used by "any" GEMMs and by ALU steps)."""
    extra = draw(
        st.lists(
            st.builds(
                Uop,
                st.integers(0, ACC - 1),
                st.integers(0, INPUTS - 1),
                st.integers(0, WEIGHTS - 1),
            ),
            max_size=4,
        )
    )
    program = Program([Uop(e, e, e % WEIGHTS) for e in range(INPUTS)] + extra)
    uops = st.integers(1, INPUTS + len(extra))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["inp", "wgt", "gemm", "pair", "any", "alu", "store"]))
        start = draw(st.integers(0, INPUTS - 1))
        for step in range(draw(st.integers(1, 12))):
            entry = (start + step) % INPUTS
            if kind in ("inp", "pair"):
                program.load(MemType.INP, entry)
            if kind == "wgt":
                program.load(MemType.WGT, entry % WEIGHTS)
            elif kind in ("gemm", "pair", "any"):
                program.gemm(draw(uops) if kind == "any" else 1 + entry)
            elif kind == "alu":
                op = draw(st.sampled_from([AluOp.MIN, AluOp.MAX, AluOp.ADD]))
                program.alu(draw(uops), op, draw(st.integers(0, 1)))
            elif kind == "store":
                program.store(entry)
    return program


@settings(max_examples=150, deadline=None)
@given(programs())
def test_random_programs_never_deadlock_race_or_overfill_a_queue(program: Program) -> None:
    program.run()
