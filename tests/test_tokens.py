"""Dependency tokens from buffer hazards: every hazard ordered, FIFO pairing, no deadlock."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.backends.vta.tokens import (
    COMPUTE,
    LOAD,
    QUEUE_DEPTH,
    QUEUES,
    STORE,
    Access,
    Flags,
    assign_tokens,
)
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
    check_tokens(accesses)


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


def program_order_occupancy(accesses: list[Access], flags: list[Flags]) -> int:
    """The most tokens any queue holds when the program runs in its own order."""
    held = dict.fromkeys(QUEUES, 0)
    most = 0
    for access, flag in zip(accesses, flags, strict=True):
        prev, nxt = NEIGHBOURS[access.module]
        for pops, source in ((flag.pop_prev_dep, prev), (flag.pop_next_dep, nxt)):
            if pops:
                held[source, access.module] -= 1
                assert held[source, access.module] >= 0, "a pop before its push"
        for pushes, target in ((flag.push_prev_dep, prev), (flag.push_next_dep, nxt)):
            if pushes:
                held[access.module, target] += 1
                most = max(most, held[access.module, target])
    return most


def check_tokens(accesses: list[Access]) -> list[Flags]:
    """Tokens of ``accesses``: every hazard ordered, program order a valid execution (at most
    eight tokens per queue), and the timed model runs them to the end."""
    flags = assign_tokens(accesses)
    time_program(VTAConfig(), as_instructions(accesses, flags))  # raises on deadlock
    before = happens_before(accesses, flags)
    for later, b in enumerate(accesses):
        for earlier in range(later):
            a = accesses[earlier]
            if a.module != b.module and conflicts(a, b):
                assert earlier in before[later], (earlier, later)
    assert program_order_occupancy(accesses, flags) <= QUEUE_DEPTH
    return flags


def weight_load(slot: int) -> Access:
    return Access(LOAD, writes=(("wgt", slot, slot + 1),))


def weight_use(slot: int) -> Access:
    return Access(COMPUTE, reads=(("wgt", slot, slot + 1),), writes=(("acc", slot, slot + 1),))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([LOAD, COMPUTE, STORE]), st.integers(1, 12), st.integers(0, 24)),
        min_size=1,
        max_size=10,
    )
)
def test_long_runs_of_one_module_never_overfill_a_queue(runs: list[tuple[str, int, int]]) -> None:
    """Runs of one module over consecutive slots (many tokens outstanding in program order,
    reused later): every hazard ordered, no queue above eight, no deadlock."""
    accesses = []
    for module, length, start in runs:
        for slot in range(start, start + length):
            if module == LOAD:
                accesses.append(weight_load(slot))
            elif module == COMPUTE:
                accesses.append(weight_use(slot))
            else:
                accesses.append(Access(STORE, reads=(("acc", slot, slot + 1),)))
    check_tokens(accesses)


def test_regression_reuse_after_nine_outstanding_tokens_does_not_deadlock() -> None:
    """Nine GEMMs read weight slots 0-8, nine load/GEMM pairs use fresh slots, then slots 0-8
    are reloaded (nine write-after-read tokens outstanding across eight-deep queues). The
    queue credits of an earlier version ordered GEMM 20 before load 25 and load 25 before
    GEMM 20 (a stale credit against a merged one): the program deadlocked."""
    accesses = [weight_use(slot) for slot in range(9)]
    accesses += [a for slot in range(100, 109) for a in (weight_load(slot), weight_use(slot))]
    accesses += [weight_load(slot) for slot in range(9)]
    check_tokens(accesses)


def test_long_run_ahead_is_bounded_in_program_order() -> None:
    """Forty loads, then forty GEMMs reading them: the token that would be the ninth one
    outstanding merges into the one before it, so the eighth GEMM waits for all later loads."""
    program = [Access(LOAD, writes=(("inp", i, i + 1),)) for i in range(40)]
    program += [Access(COMPUTE, reads=(("inp", i, i + 1),)) for i in range(40)]
    flags = check_tokens(program)
    assert [f.push_next_dep for f in flags[:40]] == [1] * 7 + [0] * 32 + [1]
    assert [f.pop_prev_dep for f in flags[40:]] == [1] * 8 + [0] * 32
