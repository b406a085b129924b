"""Races through DRAM for the functional simulator.

The store module writes DRAM (STORE); the load module (LOAD INP/WGT) and the compute module
(LOAD UOP/ACC/ACC_8BIT) read it. A STORE and a LOAD of a common byte that no token orders race:
what the LOAD reads depends on the order the modules happen to run in.

Which bytes a transfer touches follows from its fields alone, so before a run the tracker keeps
only the loads whose byte range meets some store's and the stores whose range meets some
load's. Compiled programs never load what they store: they track nothing and pay one dictionary
look-up per transfer. Tracked transfers are followed exactly, per unit of the greatest common
divisor of their element sizes (every DRAM address is a multiple of its element size): per
unit, the sequence number (1-based, within its module) of the last STORE writing it and of the
last LOAD of each reading module reading it. Each module runs in order: when the last access to
a unit is ordered before an instruction, so are all the earlier ones.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Instruction, Load, MemType, Store, elem_bytes

READERS = ("load", "compute")


class Transfer(NamedTuple):
    """The bytes of one LOAD or STORE: y_size rows of ``width`` bytes, ``stride`` apart."""

    start: int  # physical byte address of the first row
    rows: int
    width: int
    stride: int
    elem: int

    @property
    def stop(self) -> int:
        return self.start + (self.rows - 1) * self.stride + self.width


class Conflict(NamedTuple):
    """An unordered access found by the tracker: the other module, its instruction's sequence
    number there, and the first byte both touch."""

    module: str
    seq: int
    address: int


def transfer(insn: Load | Store, sizes: dict[int, int]) -> Transfer | None:
    """The DRAM bytes ``insn`` moves (``sizes``: element bytes by memory type), or None if it
    moves none or cannot execute (a no-op, an unknown memory type, a LOAD of OUT, a STORE of
    anything but OUT)."""
    elem = sizes.get(insn.memory_type)
    if not (insn.x_size and insn.y_size and elem):
        return None
    if (insn.memory_type == MemType.OUT) != isinstance(insn, Store):
        return None
    return Transfer(
        insn.dram_base * elem, insn.y_size, insn.x_size * elem, insn.x_stride * elem, elem
    )


class DramTracker:
    """DRAM race bookkeeping of one run of ``insns`` on an arena of ``size`` bytes at ``base``."""

    def __init__(self, config: VTAConfig, insns: list[Instruction], base: int, size: int) -> None:
        sizes = {int(kind): elem_bytes(config, kind) for kind in MemType}
        moves = {
            i: t
            for i, insn in enumerate(insns)
            if isinstance(insn, Load | Store) and (t := transfer(insn, sizes)) is not None
        }
        stores = [i for i in moves if isinstance(insns[i], Store)]
        loads = [i for i in moves if not isinstance(insns[i], Store)]
        #: the transfers followed exactly, by instruction index
        self.tracked: dict[int, Transfer] = {
            i: moves[i]
            for group, other in ((loads, stores), (stores, loads))
            for i in _meeting(group, other, moves)
        }
        if not self.tracked:
            return
        self.unit = math.gcd(*(t.elem for t in self.tracked.values()))
        self.origin = base - base % self.unit
        units = -(-(base + size - self.origin) // self.unit)
        self.last_write = np.zeros(units, dtype=np.int64)
        self.last_read = {m: np.zeros(units, dtype=np.int64) for m in READERS}

    def store(self, index: int, seq: int, clock: dict[str, int]) -> Conflict | None:
        """Record STORE ``index`` (sequence number ``seq``; ``clock`` is the store module's);
        the first LOAD it writes after without a token, if any."""
        move = self.tracked.get(index)
        if move is None:
            return None
        for module in READERS:
            conflict = self._unordered(move, self.last_read[module], clock[module], module)
            if conflict:
                return conflict
        self._view(move, self.last_write)[...] = seq
        return None

    def load(self, index: int, module: str, seq: int, clock: dict[str, int]) -> Conflict | None:
        """Record LOAD ``index`` of ``module``; the STORE it reads after without a token, if any."""
        move = self.tracked.get(index)
        if move is None:
            return None
        conflict = self._unordered(move, self.last_write, clock["store"], "store")
        if conflict is None:
            self._view(move, self.last_read[module])[...] = seq
        return conflict

    def _unordered(
        self, move: Transfer, last: np.ndarray, known: int, module: str
    ) -> Conflict | None:
        view = self._view(move, last)
        latest = int(view.max())
        if latest <= known:
            return None
        row, col = np.unravel_index(int(np.argmax(view == latest)), view.shape)
        address = move.start + int(row) * move.stride + int(col) * self.unit
        return Conflict(module, latest, address)

    def _view(self, move: Transfer, units: np.ndarray) -> np.ndarray:
        """The entries of ``units`` a transfer touches, as [rows, units per row]."""
        step = units.strides[0]
        return np.lib.stride_tricks.as_strided(
            units[(move.start - self.origin) // self.unit :],
            shape=(move.rows, move.width // self.unit),
            strides=(move.stride // self.unit * step, step),
        )


def _meeting(group: list[int], other: list[int], moves: dict[int, Transfer]) -> list[int]:
    """The transfers of ``group`` whose byte range meets that of some transfer of ``other``."""
    if not group or not other:
        return []
    starts = np.array([moves[i].start for i in other])
    order = np.argsort(starts)
    starts = starts[order]
    reach = np.maximum.accumulate(np.array([moves[i].stop for i in other])[order])
    lo = np.array([moves[i].start for i in group])
    hi = np.array([moves[i].stop for i in group])
    before = np.searchsorted(starts, hi)  # others starting before each one ends
    meets = (before > 0) & (reach[np.maximum(before - 1, 0)] > lo)
    return [i for i, m in zip(group, meets, strict=True) if m]
