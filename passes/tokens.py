"""Dependency tokens from on-chip buffer hazards.

VTA's load, compute and store modules run concurrently, each in order; the only ordering between
them comes from tokens in four FIFO queues (vta-isa.md section 4). Given a straight-line program
(its sequential order is the meaning) and the SRAM ranges each instruction reads and writes, this
module finds the fewest tokens that order every read-after-write, write-after-read and
write-after-write hazard between modules, and adds credit tokens wherever a producer could
otherwise run more than :data:`QUEUE_DEPTH` tokens ahead of its consumer.

Only load/compute and compute/store share buffers (load writes inp and wgt, compute reads them
and owns acc and uop, store reads acc), so tokens are only needed on those pairs, matching the
queues the hardware has. A hazard edge Y -> X (Y earlier in another module) is dropped when an
earlier edge already orders a later Y' >= Y before X; the remaining edges are monotone on both
ends, so the k-th push on a queue always meets the k-th pop, as FIFO semantics demand.
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
    _add_credits(edges, by_module, accesses)
    for (producer, consumer), pairs in edges.items():
        push, pop = QUEUES[producer, consumer]
        for src, dst in pairs:
            setattr(flags[src], push, 1)
            setattr(flags[dst], pop, 1)
    return flags


def _add_credits(
    edges: dict[tuple[str, str], list[tuple[int, int]]],
    by_module: dict[str, list[int]],
    accesses: list[Access],
) -> None:
    """Bound every queue to QUEUE_DEPTH tokens: the producer instruction pushing token k +
    QUEUE_DEPTH first waits for the consumer instruction that pops token k (a reverse token).

    Credits are added in rounds until no queue can overflow; a credit edge shares the FIFO
    discipline of the reverse queue, so it is merged there in order.
    """
    for _ in range(8):
        changed = False
        for (producer, consumer), pairs in list(edges.items()):
            reverse = (consumer, producer)
            extra = []
            for k in range(QUEUE_DEPTH, len(pairs)):
                pusher = pairs[k][0]
                popper = pairs[k - QUEUE_DEPTH][1]
                if not _ordered_before(popper, pusher, edges[reverse]):
                    extra.append((popper, pusher))
            if extra:
                edges[reverse] = _merge_monotone(edges[reverse] + extra)
                changed = True
        if not changed:
            return
    raise RuntimeError("token credits did not converge")  # pragma: no cover - defensive


def _ordered_before(src: int, dst: int, pairs: list[tuple[int, int]]) -> bool:
    """Whether an edge (s, d) with s >= src and d <= dst already orders src before dst.

    ``pairs`` is monotone (both ends increase), so the last edge with d <= dst has the largest s.
    """
    position = bisect.bisect_right(pairs, dst, key=lambda pair: pair[1])
    return position > 0 and pairs[position - 1][0] >= src


def _merge_monotone(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted edges with dominated ones dropped, so both ends increase strictly (FIFO order);
    each instruction keeps at most one push and one pop on the queue."""
    result: list[tuple[int, int]] = []
    for src, dst in sorted(set(pairs), key=lambda p: (p[1], -p[0])):
        if result and src <= result[-1][0]:
            continue  # already ordered by an edge from a later producer instruction
        if result and dst == result[-1][1]:
            result[-1] = (max(src, result[-1][0]), dst)
            continue
        result.append((src, dst))
    return result
