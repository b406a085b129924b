"""Dependency tokens from buffer hazards: every hazard ordered, FIFO pairing, no deadlock."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.passes.tokens import COMPUTE, LOAD, QUEUES, STORE, Access, Flags, assign_tokens
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Gemm, Load, MemType, Store
from vtac.runtime.timing import time_program

NEIGHBOURS = {LOAD: (None, COMPUTE), COMPUTE: (LOAD, STORE), STORE: (COMPUTE, None)}


def happens_before(accesses: list[Access], flags: list[Flags]) -> list[set[int]]:
    """For each instruction, the instructions ordered before it by module order and tokens
    (the k-th push on a queue meets the k-th pop)."""
    pushes: dict[tuple[str, str], list[int]] = {q: [] for q in QUEUES}
    pops: dict[tuple[str, str], list[int]] = {q: [] for q in QUEUES}
    for index, (access, flag) in enumerate(zip(accesses, flags, strict=True)):
        prev, nxt = NEIGHBOURS[access.module]
        if flag.push_prev_dep:
            pushes[access.module, prev].append(index)
        if flag.push_next_dep:
            pushes[access.module, nxt].append(index)
        if flag.pop_prev_dep:
            pops[prev, access.module].append(index)
        if flag.pop_next_dep:
            pops[nxt, access.module].append(index)
    preds: dict[int, set[int]] = {i: set() for i in range(len(accesses))}
    last: dict[str, int] = {}
    for index, access in enumerate(accesses):
        if access.module in last:
            preds[index].add(last[access.module])
        last[access.module] = index
    for q in QUEUES:
        assert len(pushes[q]) == len(pops[q]), f"unbalanced tokens on {q}"
        for src, dst in zip(pushes[q], pops[q], strict=True):
            preds[dst].add(src)
    before: list[set[int]] = []
    order = sorted(range(len(accesses)), key=lambda i: i)
    closure: dict[int, set[int]] = {}

    def visit(node: int) -> set[int]:
        if node not in closure:
            closure[node] = set()
            result: set[int] = set()
            for pred in preds[node]:
                result |= {pred} | visit(pred)
            closure[node] = result
        return closure[node]

    for index in order:
        before.append(visit(index))
    return before


def conflicts(a: Access, b: Access) -> bool:
    def overlap(x, y):  # noqa: ANN001, ANN202
        return any(p == q and lo < hi2 and lo2 < hi for p, lo, hi in x for q, lo2, hi2 in y)

    return overlap(a.writes, b.reads) or overlap(a.writes, b.writes) or overlap(a.reads, b.writes)


def as_instructions(accesses: list[Access], flags: list[Flags]) -> list:
    """Stand-in instructions of the right module carrying the flags, for the timed simulator."""
    insns = []
    for access, flag in zip(accesses, flags, strict=True):
        deps = vars(flag)
        if access.module == LOAD:
            insns.append(Load(memory_type=MemType.INP, x_size=1, y_size=1, **deps))
        elif access.module == STORE:
            insns.append(Store(memory_type=MemType.OUT, x_size=1, y_size=1, **deps))
        else:
            insns.append(Gemm(uop_end=1, iter_out=1, iter_in=1, **deps))
    return insns


access = st.one_of(
    st.builds(
        lambda lo, n: Access(LOAD, writes=(("inp", lo, lo + n),)),
        st.integers(0, 12),
        st.integers(1, 4),
    ),
    st.builds(
        lambda lo, n, a: Access(COMPUTE, reads=(("inp", lo, lo + n),), writes=(("acc", a, a + 2),)),
        st.integers(0, 12),
        st.integers(1, 4),
        st.integers(0, 8),
    ),
    st.builds(
        lambda a: Access(STORE, reads=(("acc", a, a + 2),)),
        st.integers(0, 8),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(access, min_size=1, max_size=60))
def test_every_hazard_is_ordered_and_the_program_completes(accesses: list[Access]) -> None:
    flags = assign_tokens(accesses)
    before = happens_before(accesses, flags)
    for later, b in enumerate(accesses):
        for earlier in range(later):
            a = accesses[earlier]
            if a.module != b.module and conflicts(a, b):
                assert earlier in before[later], (earlier, later)
    time_program(VTAConfig(), as_instructions(accesses, flags))  # raises on deadlock


def test_independent_double_buffered_loads_need_no_tokens_until_reuse() -> None:
    ping = ("inp", 0, 4)
    pong = ("inp", 4, 8)
    program = [
        Access(LOAD, writes=(ping,)),
        Access(COMPUTE, reads=(ping,), writes=(("acc", 0, 4),)),
        Access(LOAD, writes=(pong,)),
        Access(COMPUTE, reads=(pong,), writes=(("acc", 4, 8),)),
        Access(LOAD, writes=(ping,)),
    ]
    flags = assign_tokens(program)
    assert flags[0].push_next_dep and flags[1].pop_prev_dep
    assert flags[2].push_next_dep and flags[3].pop_prev_dep
    # the third load reuses ping: it waits for the first compute (write after read)
    assert flags[1].push_prev_dep and flags[4].pop_next_dep
    assert not flags[3].push_prev_dep


def test_long_run_ahead_is_bounded_by_credits() -> None:
    program = []
    for i in range(40):
        program.append(Access(LOAD, writes=(("inp", i, i + 1),)))
    for i in range(40):
        program.append(Access(COMPUTE, reads=(("inp", i, i + 1),)))
    flags = assign_tokens(program)
    report = time_program(VTAConfig(), as_instructions(program, flags))
    assert report.cycles > 0
    pushes = sum(f.push_next_dep for f in flags[:40])
    assert pushes == 40
    assert sum(f.push_prev_dep for f in flags[40:]) >= 40 - 8  # credits back to the loader
