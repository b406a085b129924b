"""Dependency tokens from on-chip buffer hazards.

VTA's load, compute and store modules run concurrently, each in order; the only ordering between
them comes from tokens in four FIFO queues (vta-isa.md section 4). Given a straight-line program
(its sequential order is the meaning) and the SRAM ranges each instruction reads and writes, this
module finds the fewest tokens that order every read-after-write, write-after-read and
write-after-write hazard between modules, never more than :data:`QUEUE_DEPTH` of one queue
outstanding at any point of that order.

Only load/compute and compute/store share buffers (load writes inp and wgt, compute reads them
and owns acc and uop, store reads acc), so tokens are only needed on those pairs, matching the
queues the hardware has. A hazard edge Y -> X (Y earlier in another module) is dropped when an
earlier edge already orders a later Y' >= Y before X; the remaining edges are monotone on both
ends, so the k-th push on a queue always meets the k-th pop, as FIFO semantics demand.

Every edge points forward in program order and no queue ever holds more than
:data:`QUEUE_DEPTH` tokens when the program runs in that order, so that order is itself a valid
execution. Since each queue has one producer and one consumer, a module that can run stays able
to run until it does; so every schedule of the modules completes, none deadlocks. (Tokens that
point backwards, such as credits from a consumer back to its producer, lose that guarantee: two
of them can order two instructions both ways.)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

LOAD, COMPUTE, STORE = "load", "compute", "store"
QUEUE_DEPTH = 8

#: Queue direction flags: (producer, consumer) -> (producer's push flag, consumer's pop flag).
QUEUES: dict[tuple[str, str], tuple[str, str]] = {
    (LOAD, COMPUTE): ("push_next_dep", "pop_prev_dep"),
    (COMPUTE, LOAD): ("push_prev_dep", "pop_next_dep"),
    (COMPUTE, STORE): ("push_next_dep", "pop_prev_dep"),
    (STORE, COMPUTE): ("push_prev_dep", "pop_next_dep"),
}

Range = tuple[str, int, int]  # buffer name, first entry, one past the last entry


@dataclass(frozen=True)
class Access:
    """What one instruction does to on-chip buffers, and which module runs it."""

    module: str
    reads: tuple[Range, ...] = ()
    writes: tuple[Range, ...] = ()


@dataclass
class Flags:
    """Dependency flags of one instruction."""

    pop_prev_dep: int = 0
    pop_next_dep: int = 0
    push_prev_dep: int = 0
    push_next_dep: int = 0


def _overlaps(a: tuple[Range, ...], b: tuple[Range, ...]) -> bool:
    return any(
        ba == bb and lo_a < hi_b and lo_b < hi_a for ba, lo_a, hi_a in a for bb, lo_b, hi_b in b
    )


def _conflict(earlier: Access, later: Access) -> bool:
    return (
        _overlaps(earlier.writes, later.reads)
        or _overlaps(earlier.writes, later.writes)
        or _overlaps(earlier.reads, later.writes)
    )


def assign_tokens(accesses: list[Access]) -> list[Flags]:
    """Dependency flags for a program whose instructions access ``accesses`` in order."""
    flags = [Flags() for _ in accesses]
    by_module: dict[str, list[int]] = {LOAD: [], COMPUTE: [], STORE: []}
    synced: dict[tuple[str, str], int] = {queue: -1 for queue in QUEUES}
    edges: dict[tuple[str, str], list[tuple[int, int]]] = {queue: [] for queue in QUEUES}
    for index, access in enumerate(accesses):
        for producer in by_module:
            queue = (producer, access.module)
            if queue not in QUEUES:
                continue
            for earlier in reversed(by_module[producer]):
                if earlier <= synced[queue]:
                    break
                if _conflict(accesses[earlier], access):
                    edges[queue].append((earlier, index))
                    synced[queue] = earlier
                    break
        by_module[access.module].append(index)
    for (producer, consumer), pairs in edges.items():
        push, pop = QUEUES[producer, consumer]
        for src, dst in _bound_queue(pairs):
            setattr(flags[src], push, 1)
            setattr(flags[dst], pop, 1)
    return flags


def _bound_queue(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The edges of one queue, merged so that running the program in its own order never finds
    more than :data:`QUEUE_DEPTH` tokens in the queue.

    When the producer instruction of a token finds ``QUEUE_DEPTH`` earlier tokens still waiting
    for consumers later in the program, the latest of those merges into it: one token from the
    new producer to the earlier consumer orders both hazards (the producer is later, the
    consumer earlier). Program order then remains an execution that honours every token and
    every queue bound, so no schedule of the three modules can deadlock.
    """
    bounded: list[tuple[int, int]] = []
    for src, dst in pairs:
        waiting = len(bounded) - bisect.bisect_right(bounded, src, key=lambda pair: pair[1])
        while waiting >= QUEUE_DEPTH:
            _, dst = bounded.pop()
            waiting -= 1
        bounded.append((src, dst))
    return bounded
