"""VTA hardware configuration: VTA's ``vta_config.json`` format and everything derived from it.

A :class:`VTAConfig` holds exactly the keys of VTA's configuration file and derives the block
sizes, element sizes, buffer depths and the bit widths of every configuration-dependent ISA
field. Construction validates the configuration and raises :class:`ConfigError` naming the
problem, so a ``VTAConfig`` that exists is always one the ISA can encode.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from vtac.errors import InvalidInputError

#: Bit widths of the ISA fields that do not depend on the configuration (vta-isa.md section 1).
OPCODE_BITS = 3
ALU_OPCODE_BITS = 3
MEMORY_TYPE_BITS = 3
SRAM_ADDR_BITS = 16
DRAM_ADDR_BITS = 32
SIZE_BITS = 16
STRIDE_BITS = 16
PAD_BITS = 4
LOOP_ITER_BITS = 14
ALU_IMM_BITS = 16
INSN_BITS = 128
UOP_BITS = 32
#: The dependency-token flags every instruction starts with, after its opcode.
DEP_FIELDS = ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep")


#: The keys VTA's own tools read from a ``vta_config.json`` without a default (tvm-vta's
#: ``config/pkg_config.py``): a configuration file must give every one. ``HW_VER``, which VTA's
#: samples carry but its tools do not read, may be left out (default "0.0.2").
REQUIRED_KEYS = (
    "TARGET",
    "LOG_INP_WIDTH",
    "LOG_WGT_WIDTH",
    "LOG_ACC_WIDTH",
    "LOG_BATCH",
    "LOG_BLOCK",
    "LOG_UOP_BUFF_SIZE",
    "LOG_INP_BUFF_SIZE",
    "LOG_WGT_BUFF_SIZE",
    "LOG_ACC_BUFF_SIZE",
)

#: The TARGET values VTA knows (tvm-vta's pkg_config.py and TVM's vta/environment.py).
TARGETS = ("sim", "tsim", "pynq", "ultra96", "zcu104", "de10nano", "intelfocl")


class ConfigError(InvalidInputError, ValueError):
    """An invalid or unsupported hardware configuration."""

    what = "hardware configuration"


@dataclass(frozen=True)
class VTAConfig:
    """One VTA hardware configuration, with the keys of VTA's ``vta_config.json``."""

    TARGET: str = "sim"
    HW_VER: str = "0.0.2"
    LOG_INP_WIDTH: int = 3
    LOG_WGT_WIDTH: int = 3
    LOG_ACC_WIDTH: int = 5
    LOG_BATCH: int = 0
    LOG_BLOCK: int = 4
    LOG_UOP_BUFF_SIZE: int = 15
    LOG_INP_BUFF_SIZE: int = 15
    LOG_WGT_BUFF_SIZE: int = 18
    LOG_ACC_BUFF_SIZE: int = 17

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ I/O

    @classmethod
    def from_dict(cls, data: dict[str, Any], complete: bool = False) -> VTAConfig:
        """Build a configuration from a ``vta_config.json`` object. With ``complete`` (a
        configuration file) every key of :data:`REQUIRED_KEYS` must be given; otherwise (the
        ``vta.config`` IR attribute) missing keys take VTA's defaults."""
        if not isinstance(data, dict):
            raise ConfigError(f"a configuration must be a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown configuration key(s) {', '.join(unknown)}; "
                f"known keys are {', '.join(sorted(known))}"
            )
        missing = [key for key in REQUIRED_KEYS if key not in data]
        if complete and missing:
            raise ConfigError(
                f"missing key(s) {', '.join(missing)}: VTA's tools read these "
                f"{len(REQUIRED_KEYS)} keys without a default, so a vta_config.json gives them all "
                "(HW_VER may be left out)"
            )
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.type == "str" and not isinstance(value, str):
                raise ConfigError(f"{f.name} must be a string, got {value!r}")
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f.name} must be an integer, got {value!r}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> VTAConfig:
        """Parse the text of a ``vta_config.json`` file (every key of :data:`REQUIRED_KEYS`
        given)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{source}: not valid JSON: {err}") from None
        try:
            return cls.from_dict(data, complete=True)
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None

    @classmethod
    def load(cls, path: str | Path) -> VTAConfig:
        """Read a ``vta_config.json`` file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise ConfigError(f"cannot read configuration {path}: {err.strerror}") from None
        return cls.from_json(text, str(path))

    @classmethod
    def named(cls, name: str) -> VTAConfig:
        """One of the configurations shipped with vtac (see :func:`shipped_configs`)."""
        resource = resources.files("vtac.runtime") / "configs" / f"{name}.json"
        if not resource.is_file():
            raise ConfigError(
                f"no shipped configuration named {name!r}; shipped: {', '.join(shipped_configs())}"
            )
        return cls.from_json(resource.read_text(), f"{name}.json")

    def to_dict(self) -> dict[str, Any]:
        """The ``vta_config.json`` object of this configuration."""
        return asdict(self)

    def to_json(self) -> str:
        """The text of a ``vta_config.json`` file for this configuration."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def save(self, path: str | Path) -> None:
        """Write this configuration as a ``vta_config.json`` file."""
        Path(path).write_text(self.to_json())

    # -------------------------------------------------------------- derived

    @property
    def name(self) -> str:
        """VTA's bitstream name, e.g. ``1x16_i8w8a32_15_15_18_17``."""
        return (
            f"{self.batch}x{self.block_in}_i{self.inp_bits}w{self.wgt_bits}a{self.acc_bits}"
            f"_{self.LOG_UOP_BUFF_SIZE}_{self.LOG_INP_BUFF_SIZE}"
            f"_{self.LOG_WGT_BUFF_SIZE}_{self.LOG_ACC_BUFF_SIZE}"
        )

    @property
    def batch(self) -> int:
        return 1 << self.LOG_BATCH

    @property
    def block_in(self) -> int:
        return 1 << self.LOG_BLOCK

    @property
    def block_out(self) -> int:
        return 1 << self.LOG_BLOCK

    @property
    def inp_bits(self) -> int:
        return 1 << self.LOG_INP_WIDTH

    @property
    def wgt_bits(self) -> int:
        return 1 << self.LOG_WGT_WIDTH

    @property
    def acc_bits(self) -> int:
        return 1 << self.LOG_ACC_WIDTH

    @property
    def out_bits(self) -> int:
        return self.inp_bits

    @property
    def log_out_buff_size(self) -> int:
        return self.LOG_ACC_BUFF_SIZE + self.LOG_INP_WIDTH - self.LOG_ACC_WIDTH

    # Element (SRAM entry) sizes in bytes.
    @property
    def inp_elem_bytes(self) -> int:
        return self.batch * self.block_in * self.inp_bits // 8

    @property
    def wgt_elem_bytes(self) -> int:
        return self.block_out * self.block_in * self.wgt_bits // 8

    @property
    def acc_elem_bytes(self) -> int:
        return self.batch * self.block_out * self.acc_bits // 8

    @property
    def out_elem_bytes(self) -> int:
        return self.batch * self.block_out * self.out_bits // 8

    @property
    def uop_elem_bytes(self) -> int:
        return UOP_BITS // 8

    # Buffer depths (entries), as log2 and as counts.
    @property
    def log_uop_depth(self) -> int:
        return self.LOG_UOP_BUFF_SIZE + 3 - 5

    @property
    def log_inp_depth(self) -> int:
        return self.LOG_INP_BUFF_SIZE - self.LOG_BATCH - self.LOG_BLOCK - self.LOG_INP_WIDTH + 3

    @property
    def log_wgt_depth(self) -> int:
        return self.LOG_WGT_BUFF_SIZE - 2 * self.LOG_BLOCK - self.LOG_WGT_WIDTH + 3

    @property
    def log_acc_depth(self) -> int:
        return self.LOG_ACC_BUFF_SIZE - self.LOG_BATCH - self.LOG_BLOCK - self.LOG_ACC_WIDTH + 3

    @property
    def uop_depth(self) -> int:
        return 1 << self.log_uop_depth

    @property
    def inp_depth(self) -> int:
        return 1 << self.log_inp_depth

    @property
    def wgt_depth(self) -> int:
        return 1 << self.log_wgt_depth

    @property
    def acc_depth(self) -> int:
        return 1 << self.log_acc_depth

    # Micro-op field widths.
    @property
    def uop_dst_bits(self) -> int:
        return self.log_acc_depth

    @property
    def uop_src_bits(self) -> int:
        return max(self.log_acc_depth, self.log_inp_depth)

    @property
    def uop_wgt_bits(self) -> int:
        return self.log_wgt_depth

    @property
    def macs_per_gemm_uop(self) -> int:
        """Multiply-accumulates one GEMM micro-op performs (the GEMM core's peak per cycle)."""
        return self.batch * self.block_in * self.block_out

    @cached_property
    def _layouts(self) -> dict[str, tuple[tuple[str, int, int], ...]]:
        return compute_layouts(self)

    def field_layout(self, kind: str) -> tuple[tuple[str, int, int], ...]:
        """(name, bit offset, width) of every field of instruction ``kind`` (LOAD, GEMM, ...)."""
        return self._layouts[kind]

    def __str__(self) -> str:
        return self.name

    # ----------------------------------------------------------- validation

    def _validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f.name} must be an integer, got {value!r}")
            if f.type == "str" and not isinstance(value, str):
                raise ConfigError(f"{f.name} must be a string, got {value!r}")
        if self.TARGET not in TARGETS:
            raise ConfigError(f"TARGET {self.TARGET!r} is not one of VTA's {', '.join(TARGETS)}")
        for key in ("LOG_BATCH", "LOG_BLOCK"):
            if getattr(self, key) < 0:
                raise ConfigError(f"{key} = {getattr(self, key)} is negative")
        # vtac's data types: int8 inputs, weights and outputs, int32 accumulators.
        for key, want in (("LOG_INP_WIDTH", 3), ("LOG_WGT_WIDTH", 3), ("LOG_ACC_WIDTH", 5)):
            if getattr(self, key) != want:
                raise ConfigError(
                    f"{key} = {getattr(self, key)} is not supported: vtac handles int8 inputs "
                    f"and weights and int32 accumulators ({key} = {want})"
                )
        for name, log_depth, buff_key in (
            ("micro-op", self.log_uop_depth, "LOG_UOP_BUFF_SIZE"),
            ("input", self.log_inp_depth, "LOG_INP_BUFF_SIZE"),
            ("weight", self.log_wgt_depth, "LOG_WGT_BUFF_SIZE"),
            ("accumulator", self.log_acc_depth, "LOG_ACC_BUFF_SIZE"),
        ):
            if log_depth < 0:
                raise ConfigError(
                    f"the {name} buffer holds no entry: {buff_key} = {getattr(self, buff_key)} "
                    f"is smaller than one element (depth 2^{log_depth})"
                )
            if log_depth > SRAM_ADDR_BITS:
                raise ConfigError(
                    f"the {name} buffer has 2^{log_depth} entries ({buff_key} = "
                    f"{getattr(self, buff_key)}), more than the {SRAM_ADDR_BITS}-bit sram_base "
                    f"field can address"
                )
        for field, bits in (
            ("dst_idx", self.uop_dst_bits),
            ("src_idx", self.uop_src_bits),
            ("wgt_idx", self.uop_wgt_bits),
        ):
            if bits == 0:
                raise ConfigError(
                    f"the micro-op field {field} would be 0 bits wide under this configuration "
                    f"(a buffer of a single entry); VTA has no empty fields"
                )
        uop_bits = self.uop_dst_bits + self.uop_src_bits + self.uop_wgt_bits
        if uop_bits > UOP_BITS:
            raise ConfigError(
                f"micro-op fields need {uop_bits} bits (dst {self.uop_dst_bits} + src "
                f"{self.uop_src_bits} + wgt {self.uop_wgt_bits}), more than {UOP_BITS}"
            )
        compute_layouts(self)  # raises ConfigError for an instruction over 128 bits, a 0-bit field


# ---------------------------------------------------------------------------- layouts


def _field_widths(config: VTAConfig) -> dict[str, list[tuple[str, int]]]:
    header = [("opcode", OPCODE_BITS)] + [(name, 1) for name in DEP_FIELDS]
    mem = header + [
        ("memory_type", MEMORY_TYPE_BITS),
        ("sram_base", SRAM_ADDR_BITS),
        ("dram_base", DRAM_ADDR_BITS),
        ("y_size", SIZE_BITS),
        ("x_size", SIZE_BITS),
        ("x_stride", STRIDE_BITS),
        ("y_pad_0", PAD_BITS),
        ("y_pad_1", PAD_BITS),
        ("x_pad_0", PAD_BITS),
        ("x_pad_1", PAD_BITS),
    ]
    loop = header + [
        ("reset_reg", 1),
        ("uop_bgn", config.log_uop_depth),
        ("uop_end", config.log_uop_depth + 1),
        ("iter_out", LOOP_ITER_BITS),
        ("iter_in", LOOP_ITER_BITS),
        ("dst_factor_out", config.log_acc_depth),
        ("dst_factor_in", config.log_acc_depth),
    ]
    gemm = loop + [
        ("src_factor_out", config.log_inp_depth),
        ("src_factor_in", config.log_inp_depth),
        ("wgt_factor_out", config.log_wgt_depth),
        ("wgt_factor_in", config.log_wgt_depth),
    ]
    alu = loop + [
        ("src_factor_out", config.log_acc_depth),
        ("src_factor_in", config.log_acc_depth),
        ("alu_opcode", ALU_OPCODE_BITS),
        ("use_imm", 1),
        ("imm", ALU_IMM_BITS),
    ]
    return {"LOAD": mem, "STORE": mem, "GEMM": gemm, "ALU": alu, "FINISH": header}


def compute_layouts(config: VTAConfig) -> dict[str, tuple[tuple[str, int, int], ...]]:
    """Bit layout (name, offset, width) of every instruction kind under ``config``.

    Raises :class:`ConfigError` when an instruction does not fit in 128 bits or a field would
    be 0 bits wide.
    """
    layouts = {}
    for kind, widths in _field_widths(config).items():
        offset = 0
        placed = []
        for name, width in widths:
            if width <= 0:
                raise ConfigError(
                    f"the {kind} field {name} would be {width} bits wide under this "
                    f"configuration (a buffer of a single entry); VTA has no empty fields"
                )
            if offset < 64 < offset + width:
                offset = 64  # no field straddles the two 64-bit words
            placed.append((name, offset, width))
            offset += width
        if offset > INSN_BITS:
            raise ConfigError(
                f"a {kind} instruction needs {offset} bits under this configuration "
                f"(field {placed[-1][0]} ends at bit {offset}), more than {INSN_BITS}"
            )
        layouts[kind] = tuple(placed)
    return layouts


def shipped_configs() -> list[str]:
    """Names of the configurations shipped as data with vtac."""
    folder = resources.files("vtac.runtime") / "configs"
    names = (p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
    return sorted(names)


def resolve_config(spec: str | Path | None) -> VTAConfig:
    """A configuration from a CLI argument: ``None`` (default), a shipped name, or a file path."""
    if spec is None:
        return VTAConfig()
    path = Path(spec)
    if path.suffix == ".json" or path.exists():
        return VTAConfig.load(path)
    return VTAConfig.named(str(spec))
