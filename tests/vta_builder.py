"""Small helpers for tests that write VTA programs by hand: a DRAM arena with typed buffers."""

from __future__ import annotations

import numpy as np

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Uop, encode_uops


class Arena:
    """A growing DRAM arena; each buffer starts on a 256-byte (or coarser) boundary."""

    def __init__(self, config: VTAConfig) -> None:
        self.config = config
        self.data = bytearray()

    def put(self, payload: bytes | np.ndarray, align: int = 256) -> int:
        """Append bytes at the next multiple of ``align`` (>= 256); returns the byte offset."""
        raw = payload.tobytes() if isinstance(payload, np.ndarray) else payload
        align = max(align, 256)
        offset = -(-len(self.data) // align) * align
        self.data += bytes(offset - len(self.data)) + raw
        return offset

    def reserve(self, nbytes: int) -> int:
        return self.put(bytes(nbytes))

    def uops(self, uops: list[Uop]) -> int:
        """Micro-ops; returns the dram_base in micro-op elements."""
        return self.put(encode_uops(uops, self.config)) // self.config.uop_elem_bytes

    def array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.data) + bytes(256), dtype=np.uint8).copy()
