"""Program images: the directory a compiled VTA program lives in.

An image is ``program.json`` (format version, hardware configuration, link base, buffer table),
``insn.bin`` (instructions, 16 bytes each, VTA's encoding) and ``dram.bin`` (the initial DRAM
arena: micro-op kernels, weights, constants, and inputs when given). Every ``dram_base`` is in
elements of its memory type and points into the arena, which starts at physical byte address
``base``; buffers are aligned to 256 bytes and ``base`` to 4 KiB and to every element size the
program's transfers use, so the image runs unchanged on any implementation of the VTA ISA and
can be relocated to any base aligned like that: any 4 KiB-aligned base when elements are at
most 4 KiB (every shipped configuration; a WGT element is 16 KiB when LOG_BLOCK is 7).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vtac.errors import InvalidInputError
from vtac.runtime.config import ConfigError, VTAConfig
from vtac.runtime.isa import (
    DTYPES,
    EncodingError,
    Instruction,
    Load,
    MemType,
    Store,
    decode_program,
    elem_bytes,
    encode_program,
)
from vtac.runtime.packing import PackError, PackSpec

FORMAT_VERSION = 1
BUFFER_ALIGN = 256
BASE_ALIGN = 4096
ROLES = ("input", "output", "weight", "uop", "constant", "scratch")
#: The largest DRAM arena vtac builds, loads or simulates (1 GiB), so that a mistyped size is
#: refused at once instead of allocating gigabytes.
MAX_ARENA_BYTES = 1 << 30
ARENA_LIMIT_REASON = (
    "the PYNQ-Z1 board VTA was designed on has 512 MiB of DRAM, and the simulator holds the "
    "arena in memory"
)


class ImageError(InvalidInputError, ValueError):
    """An invalid program image, with the file and the problem."""

    what = "program image"


@dataclass
class Buffer:
    """One entry of the buffer table: a named region of the DRAM arena."""

    name: str
    role: str
    offset: int
    size: int
    dtype: str
    shape: tuple[int, ...]
    layout: PackSpec | None = None
    #: int32 results leave VTA as 4 int8 byte planes (STORE keeps 8 bits): planes = 4
    planes: int = 1
    #: for a copy of an input in another layout (the program reads the input in several
    #: layouts, one buffer each): the input's name, which the host packs into every copy
    source: str | None = None

    @property
    def input_name(self) -> str:
        """The input this buffer holds: its ``source``, else its own name."""
        return self.source or self.name

    @property
    def packed_shape(self) -> tuple[int, ...]:
        shape = self.layout.packed_shape if self.layout else self.shape
        return (self.planes, *shape) if self.planes > 1 else shape

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "offset": self.offset,
            "size": self.size,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "layout": self.layout.to_json() if self.layout else None,
            "planes": self.planes,
        } | ({"source": self.source} if self.source is not None else {})


@dataclass(frozen=True)
class Workload:
    """What the program computes, for judging its speed: the operator's own multiply-adds and
    the fewest DRAM bytes any program of it must move (every element it reads, every weight,
    bias and output byte, once)."""

    macs: int
    min_dram_bytes: int

    def to_json(self) -> dict[str, int]:
        return {"macs": self.macs, "min_dram_bytes": self.min_dram_bytes}


@dataclass
class ProgramImage:
    """A program, its DRAM arena and its buffer table (see the module doc); ``workload`` is
    known for compiled programs."""

    config: VTAConfig
    insns: list[Instruction]
    dram: np.ndarray
    buffers: list[Buffer] = field(default_factory=list)
    base: int = 0
    workload: Workload | None = None

    # -------------------------------------------------------------- buffers

    def buffer(self, name: str) -> Buffer:
        for buf in self.buffers:
            if buf.name == name:
                return buf
        known = ", ".join(b.name for b in self.buffers) or "none"
        raise ImageError(f"no buffer named {name!r} (buffers: {known})")

    def inputs(self) -> list[str]:
        """The names of the program's inputs, in buffer order (an input read in several
        layouts has one buffer per layout, all of them filled by :meth:`set_input`)."""
        return list(dict.fromkeys(b.input_name for b in self.buffers if b.role == "input"))

    def set_input(self, name: str, array: np.ndarray, dram: np.ndarray | None = None) -> None:
        """Pack ``array`` (logical shape) into the input's buffer in ``dram`` (default: the
        image's), or into each of its buffers, one per layout the program reads it in."""
        for buf in [b for b in self.buffers if b.input_name == name] or [self.buffer(name)]:
            self._set(buf, array, dram)

    def _set(self, buf: Buffer, array: np.ndarray, dram: np.ndarray | None) -> None:
        name = buf.input_name
        array = np.asarray(array)
        if buf.planes > 1:
            raise ImageError(f"buffer {name} holds byte planes of a result: it cannot be set")
        if tuple(array.shape) != buf.shape:
            raise ImageError(f"buffer {name}: expected shape {buf.shape}, got {tuple(array.shape)}")
        want = DTYPES[buf.dtype]
        if not np.can_cast(array.dtype, want, "same_kind") or (
            array.size and (array.min() < np.iinfo(want).min or array.max() > np.iinfo(want).max)
        ):
            raise ImageError(f"buffer {name}: values of dtype {array.dtype} do not fit {buf.dtype}")
        packed = buf.layout.pack(array, want) if buf.layout else array.astype(want)
        target = self.dram if dram is None else dram
        target[buf.offset : buf.offset + buf.size] = packed.reshape(-1).view(np.uint8)

    def read_output(self, name: str, dram: np.ndarray | None = None) -> np.ndarray:
        """The logical contents of a buffer in ``dram`` (default: the image's arena)."""
        buf = self.buffer(name)
        source = self.dram if dram is None else dram
        raw = source[buf.offset : buf.offset + buf.size].view(DTYPES[buf.dtype])
        packed = raw.reshape(buf.packed_shape)
        if buf.planes > 1:  # little-endian byte planes of int32 values
            planes = packed.view(np.uint8).astype(np.int64)
            packed = sum(planes[k] << (8 * k) for k in range(buf.planes)).astype(np.uint32)
            packed = packed.view(np.int32)
        return buf.layout.unpack(packed) if buf.layout else packed.copy()

    # ------------------------------------------------------------ relocation

    def relocate(self, new_base: int) -> ProgramImage:
        """A copy linked at physical byte address ``new_base``: a multiple of 4 KiB and of every
        element size the program's transfers use (any 4 KiB-aligned base when elements are at
        most 4 KiB)."""
        if new_base < 0 or new_base % BASE_ALIGN:
            raise ImageError(f"base {new_base:#x} is not a non-negative multiple of {BASE_ALIGN}")
        delta = new_base - self.base
        sizes = self.element_sizes()
        for kind, elem in sizes.items():
            if delta % elem:
                raise ImageError(
                    f"cannot relocate to base {new_base:#x}: the program moves {kind.name} "
                    f"elements of {elem} bytes, and {delta:#x} bytes is not a whole number of them"
                )
        insns = []
        for insn in self.insns:
            if isinstance(insn, Load | Store) and insn.x_size and insn.memory_type in sizes:
                insn = replace(insn, dram_base=insn.dram_base + delta // sizes[insn.memory_type])
            insns.append(insn)  # unknown memory types stay: the simulator reports them
        return ProgramImage(
            self.config, insns, self.dram.copy(), list(self.buffers), new_base, self.workload
        )

    def element_sizes(self) -> dict[MemType, int]:
        """Element bytes of every memory type the program's transfers (x_size > 0) use."""
        return {
            MemType(insn.memory_type): elem_bytes(self.config, insn.memory_type)
            for insn in self.insns
            if isinstance(insn, Load | Store)
            and insn.x_size
            and insn.memory_type in MemType._value2member_map_
        }

    # --------------------------------------------------------------- files

    def save(self, directory: str | Path) -> None:
        """Write program.json, insn.bin and dram.bin into ``directory`` (created if needed)."""
        self.validate()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "base": self.base,
            "instructions": len(self.insns),
            "dram_bytes": int(self.dram.size),
            "buffers": [b.to_json() for b in self.buffers],
        }
        if self.workload is not None:
            meta["workload"] = self.workload.to_json()
        (path / "program.json").write_text(json.dumps(meta, indent=2) + "\n")
        (path / "insn.bin").write_bytes(encode_program(self.insns, self.config))
        (path / "dram.bin").write_bytes(self.dram.tobytes())

    @classmethod
    def load(cls, directory: str | Path) -> ProgramImage:
        """Read and validate an image directory; raises :class:`ImageError` naming the problem."""
        path = Path(directory)
        if not path.is_dir():
            raise ImageError(f"{path}: not a program image directory")
        files = {name: path / name for name in ("program.json", "insn.bin", "dram.bin")}
        for file in files.values():
            if not file.is_file():
                raise ImageError(
                    f"{file}: missing (an image holds program.json, insn.bin, dram.bin)"
                )
        try:
            meta = json.loads(files["program.json"].read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ImageError(f"{files['program.json']}: not valid JSON: {err}") from None
        where = str(files["program.json"])
        if not isinstance(meta, dict):
            raise ImageError(f"{where}: expected a JSON object")
        version = meta.get("format_version")
        if version != FORMAT_VERSION:
            raise ImageError(f"{where}: format_version {version!r} is not {FORMAT_VERSION}")
        for key, kind in (
            ("config", dict),
            ("base", int),
            ("instructions", int),
            ("dram_bytes", int),
            ("buffers", list),
        ):
            if not _is(meta.get(key), kind):
                raise ImageError(f"{where}: '{key}' missing or not {_JSON_NAMES[kind]}")
        try:
            config = VTAConfig.from_dict(meta["config"], complete=True)
        except ConfigError as err:
            raise ImageError(f"{where}: invalid configuration: {err}") from None
        if meta["dram_bytes"] > MAX_ARENA_BYTES:
            raise ImageError(
                f"{where}: a {meta['dram_bytes']}-byte arena is beyond vtac's limit of "
                f"{MAX_ARENA_BYTES} bytes ({ARENA_LIMIT_REASON})"
            )
        raw = files["insn.bin"].read_bytes()
        try:
            insns = decode_program(raw, config)
        except EncodingError as err:
            raise ImageError(f"{files['insn.bin']}: {err}") from None
        if len(insns) != meta["instructions"]:
            raise ImageError(
                f"{files['insn.bin']}: {len(insns)} instructions, but program.json says "
                f"{meta['instructions']}"
            )
        size = files["dram.bin"].stat().st_size
        if size != meta["dram_bytes"]:
            raise ImageError(
                f"{files['dram.bin']}: {size} bytes, but program.json says {meta['dram_bytes']}"
            )
        dram = np.frombuffer(files["dram.bin"].read_bytes(), dtype=np.uint8).copy()
        buffers = [_buffer_from_json(entry, where, i) for i, entry in enumerate(meta["buffers"])]
        image = cls(config, insns, dram, buffers, meta["base"], _workload(meta, where))
        try:
            image.validate()
        except ImageError as err:
            raise ImageError(f"{path}: {err}") from None
        return image

    def validate(self) -> None:
        """Check alignment, the buffer table and that every transfer stays inside the arena."""
        if self.base % BASE_ALIGN or self.base < 0:
            raise ImageError(f"base {self.base:#x} is not a multiple of {BASE_ALIGN}")
        for kind, elem in self.element_sizes().items():
            if self.base % elem:
                raise ImageError(
                    f"base {self.base:#x} is not a multiple of the {elem}-byte {kind.name} "
                    f"elements the program moves"
                )
        names = set()
        inputs: dict[str, Buffer] = {}
        for index, buf in enumerate(self.buffers):
            _check_fields(buf, index)
            if buf.name in names:
                raise ImageError(f"buffer {buf.name!r} appears twice")
            names.add(buf.name)
            if buf.source is not None:
                _check_copy(buf, inputs.get(buf.source))
            if buf.role == "input":
                inputs.setdefault(buf.input_name, buf)
            if buf.role not in ROLES:
                raise ImageError(f"buffer {buf.name}: role {buf.role!r} is not one of {ROLES}")
            if buf.dtype not in DTYPES:
                raise ImageError(
                    f"buffer {buf.name}: dtype {buf.dtype!r} is not one of {list(DTYPES)}"
                )
            if buf.offset % BUFFER_ALIGN:
                raise ImageError(
                    f"buffer {buf.name}: offset {buf.offset} is not aligned to {BUFFER_ALIGN}"
                )
            if buf.offset < 0 or buf.offset + buf.size > self.dram.size:
                raise ImageError(
                    f"buffer {buf.name}: bytes [{buf.offset}, {buf.offset + buf.size}) leave the "
                    f"{self.dram.size}-byte arena"
                )
            if buf.layout is not None:
                _check_layout(buf)
            want = math.prod(buf.packed_shape) * np.dtype(DTYPES[buf.dtype]).itemsize
            if want != buf.size:
                raise ImageError(
                    f"buffer {buf.name}: size {buf.size} does not match its packed shape "
                    f"{buf.packed_shape} of {buf.dtype} ({want} bytes)"
                )
        placed = sorted(self.buffers, key=lambda b: (b.offset, b.size))
        for before, after in zip(placed, placed[1:], strict=False):
            if after.offset < before.offset + before.size:
                raise ImageError(
                    f"buffers {before.name} (bytes [{before.offset}, {before.offset + before.size}"
                    f")) and {after.name} (bytes [{after.offset}, {after.offset + after.size})) "
                    "overlap"
                )
        for index, insn in enumerate(self.insns):
            if not (isinstance(insn, Load | Store) and insn.x_size):
                continue
            if insn.memory_type not in MemType._value2member_map_:
                continue  # the simulator reports unknown memory types
            elem = elem_bytes(self.config, insn.memory_type)
            first = insn.dram_base * elem
            last = (insn.dram_base + (insn.y_size - 1) * insn.x_stride + insn.x_size) * elem
            if first < self.base or last > self.base + self.dram.size:
                raise ImageError(
                    f"instruction {index} ({insn.mnemonic} {MemType(insn.memory_type).name}) "
                    f"accesses bytes [{first:#x}, {last:#x}) outside the arena "
                    f"[{self.base:#x}, {self.base + self.dram.size:#x})"
                )


def _check_copy(buf: Buffer, first: Buffer | None) -> None:
    """A buffer holding a copy of an input in another layout: an input whose source names an
    input buffer before it of the same dtype and logical shape."""
    what = f"buffer {buf.name}: source"
    if not _is(buf.source, str) or buf.role != "input":
        raise ImageError(f"{what} {buf.source!r}: only an input buffer names its input (a string)")
    if first is None:
        raise ImageError(f"{what} {buf.source!r} is no input buffer before it")
    if (first.dtype, first.shape) != (buf.dtype, buf.shape):
        raise ImageError(
            f"{what} {buf.source!r} is {first.dtype} {first.shape}, this copy {buf.dtype} "
            f"{buf.shape}"
        )


def _is(value: Any, kind: type) -> bool:
    """``isinstance`` where a JSON boolean is not an integer."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


#: How messages name JSON types.
_JSON_NAMES = {dict: "an object", list: "a list", int: "an integer", str: "a string"}

#: The JSON type of every buffer table field (``layout`` and ``planes`` may be left out).
_BUFFER_FIELDS = {
    "name": str,
    "role": str,
    "offset": int,
    "size": int,
    "dtype": str,
    "shape": list,
    "layout": dict,
    "planes": int,
    "source": str,
}


def _workload(meta: dict[str, Any], where: str) -> Workload | None:
    entry = meta.get("workload")
    if entry is None:
        return None
    if not isinstance(entry, dict) or sorted(entry) != ["macs", "min_dram_bytes"]:
        raise ImageError(f'{where}: \'workload\' must be {{"macs": N, "min_dram_bytes": N}}')
    if not all(_is(entry[k], int) and entry[k] >= 0 for k in entry):
        raise ImageError(f"{where}: 'workload' values must be non-negative integers")
    return Workload(entry["macs"], entry["min_dram_bytes"])


def _buffer_from_json(entry: Any, where: str, index: int) -> Buffer:
    if not isinstance(entry, dict):
        raise ImageError(f"{where}: buffer {index} is not an object")
    values = {**{"layout": None, "planes": 1, "source": None}, **entry}
    for key, kind in _BUFFER_FIELDS.items():
        if key not in values:
            raise ImageError(f"{where}: buffer {index}: '{key}' missing")
        if not (_is(values[key], kind) or (key in ("layout", "source") and values[key] is None)):
            raise ImageError(
                f"{where}: buffer {index}: '{key}' must be {_JSON_NAMES[kind]}, got {values[key]!r}"
            )
    unknown = sorted(set(entry) - set(_BUFFER_FIELDS))
    if unknown:
        raise ImageError(f"{where}: buffer {index}: unknown key(s) {', '.join(unknown)}")
    if not all(_is(n, int) for n in values["shape"]):
        raise ImageError(
            f"{where}: buffer {index}: shape {values['shape']} is not a list of integers"
        )
    try:
        layout = PackSpec.from_json(values["layout"]) if values["layout"] is not None else None
    except PackError as err:
        raise ImageError(f"{where}: buffer {index}: bad layout: {err}") from None
    return Buffer(
        values["name"],
        values["role"],
        values["offset"],
        values["size"],
        values["dtype"],
        tuple(values["shape"]),
        layout,
        values["planes"],
        values["source"],
    )


def _check_fields(buf: Buffer, index: int) -> None:
    """The buffer's fields have their types and meaningful values (positive sizes)."""
    what = f"buffer {index}"
    for key in ("name", "role", "dtype"):
        if not _is(getattr(buf, key), str):
            raise ImageError(f"{what}: {key} {getattr(buf, key)!r} is not a string")
    what = f"buffer {buf.name}"
    if not all(_is(n, int) and n > 0 for n in buf.shape):
        raise ImageError(f"{what}: shape {buf.shape} is not a tuple of positive integers")
    for key, low in (("offset", 0), ("size", 1), ("planes", 1)):
        value = getattr(buf, key)
        if not _is(value, int) or value < low:
            raise ImageError(f"{what}: {key} {value!r} is not an integer >= {low}")


def _check_layout(buf: Buffer) -> None:
    """The buffer's packing specification is well formed (a loaded one comes from an untrusted
    file): every index, coordinate and lane group of a known kind with fields of the right
    types, every loop it reads given an extent and a place in the packed array, its logical
    shape the buffer's shape."""
    spec, what = buf.layout, f"buffer {buf.name}: layout"
    assert spec is not None

    def names(*values: object) -> bool:
        return all(_is(v, str) for v in values)

    def counts(*values: object, low: int = 1) -> bool:
        return all(_is(v, int) and v >= low for v in values)

    if spec.logical_shape != buf.shape:
        raise ImageError(f"{what}: logical shape {spec.logical_shape} is not the shape {buf.shape}")
    for name, extent in spec.extents:
        if not (names(name) and counts(extent)):
            raise ImageError(f"{what}: extent {name}={extent!r} is not a positive integer")
    for group in spec.groups:
        if not (names(group.name, *group.loops) and counts(group.lanes)):
            raise ImageError(f"{what}: malformed lane group {group}")
    bound: set[str] = {loop for g in spec.groups for loop in g.loops}
    rows: set[int] = set()
    for kind, value in spec.coords:
        if kind in ("loop", "block") and names(value):
            bound |= {str(value)} if kind == "loop" else set()
        elif kind == "rows" and counts(value, low=0):
            rows.add(int(value))
        else:
            raise ImageError(
                f"{what}: coordinate {[kind, value]} is not ['loop', NAME], ['block', GROUP] "
                "or ['rows', DIM]"
            )
    for dim, entry in enumerate(spec.index):
        if entry[:1] == ("loop",) and len(entry) == 2 and names(entry[1]):
            read = [entry[1]]
        elif (
            entry[:1] == ("window",)
            and len(entry) == 5
            and names(entry[1], entry[3])
            and counts(entry[2])
            and _is(entry[4], int)
        ):
            read = [entry[1], entry[3]]
        elif entry == ("rows",):
            read = []
            if dim not in rows:
                raise ImageError(f"{what}: dimension {dim} is read from no rows({dim}) coordinate")
        else:
            raise ImageError(
                f"{what}: index {list(entry)} of dimension {dim} is not ['loop', NAME], "
                "['window', OUTER, STRIDE, INNER, OFFSET] or ['rows']"
            )
        unbound = [loop for loop in read if loop not in bound]
        if unbound:
            raise ImageError(
                f"{what}: dimension {dim} reads loop {unbound[0]}, which is neither a coordinate "
                "nor folded into a lane group"
            )
    try:
        spec.check()
    except PackError as err:
        raise ImageError(f"{what}: {err}") from None


class ImageBuilder:
    """Lays out buffers in a growing arena (each aligned to 256 bytes) for a new image."""

    def __init__(self, config: VTAConfig) -> None:
        self.config = config
        self.buffers: list[Buffer] = []
        self.chunks: list[tuple[int, bytes]] = []
        self.size = 0

    def add(
        self,
        name: str,
        role: str,
        dtype: str,
        shape: tuple[int, ...],
        layout: PackSpec | None = None,
        data: np.ndarray | None = None,
        align: int = BUFFER_ALIGN,
        planes: int = 1,
        packed: np.ndarray | None = None,
        source: str | None = None,
    ) -> Buffer:
        """Reserve a buffer and fill it with ``data``, given in logical shape, or with
        ``packed``, already in its layout; ``source`` names the input it copies."""
        align = max(align, BUFFER_ALIGN)
        offset = -(-self.size // align) * align
        buf = Buffer(name, role, offset, 0, dtype, tuple(shape), layout, planes, source)
        buf.size = math.prod(buf.packed_shape) * np.dtype(DTYPES[dtype]).itemsize
        if offset + buf.size > MAX_ARENA_BYTES:
            raise ImageError(
                f"buffer {name} ({buf.size} bytes) ends the arena at byte {offset + buf.size}, "
                f"beyond vtac's limit of {MAX_ARENA_BYTES} bytes ({ARENA_LIMIT_REASON})"
            )
        self.buffers.append(buf)
        self.size = offset + buf.size
        if data is not None:
            packed = layout.pack(np.asarray(data), DTYPES[dtype]) if layout else np.asarray(data)
        if packed is not None:
            if packed.size * np.dtype(DTYPES[dtype]).itemsize != buf.size:
                raise ImageError(f"buffer {name}: {packed.size} packed values for {buf.size} bytes")
            self.chunks.append((offset, packed.astype(DTYPES[dtype]).tobytes()))
        return buf

    def build(self, insns: list[Instruction]) -> ProgramImage:
        dram = np.zeros(-(-self.size // BUFFER_ALIGN) * BUFFER_ALIGN, dtype=np.uint8)
        for offset, raw in self.chunks:
            dram[offset : offset + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        image = ProgramImage(self.config, insns, dram, list(self.buffers))
        image.validate()
        return image
