"""Kernels in the tile dialect: what ``vtac-tile`` writes and ``vtac-lower-to-vta`` reads.

A tiled kernel is a ``func.func`` in destination-passing style over DRAM memrefs of packed VTA
elements: one argument per runtime tensor (inputs first, in the source function's order, the
result last) and one ``memref.global`` per tensor known at compile time (weights, biases),
already packed. Each carries ``vtac.buffer``, what the host needs to see the tensor:

    {name = "x", role = "input", dtype = "int8", shape = array<i64: 4, 64>, layout = "...",
     planes = 4}

(``role``: input, weight, constant or output; ``dtype`` the DRAM element type; ``shape`` and
``layout`` the logical tensor and its :class:`~vtac.runtime.packing.PackSpec`; ``planes`` = 4
for an int32 result leaving the accelerator as four int8 byte planes; ``source``, on an input
the program reads in several layouts, the input a copy in another layout holds: the host packs
the input into each copy, and no buffer ever holds two layouts.)

The body allocates the on-chip buffers (``memref.alloc`` in ``#tile.mem<inp|wgt|acc>``, one per
space, each the whole buffer) and is the tile walk written out: ``tile.dma_load``,
``tile.gemm``, ``tile.alu`` and ``tile.dma_store`` in program order, DRAM offsets as
``arith.constant`` indices. Virtual threads show as the buffer halves the steps use; the
function's ``vtac.schedule`` attribute records the choice.

A chain of stages is a *host* function over the chain's DRAM tensors that allocates each
intermediate result in DRAM (``memref.alloc`` in the default space, with a ``vtac.buffer`` of
role ``scratch``) and calls one kernel per stage in order, in destination-passing style:

    func.func @net(%x: ..., %w0: ..., %w1: ..., %result: ...) {
      %t1 = memref.alloc() {vtac.buffer = {name = "t1", role = "scratch", ...}} : memref<...>
      func.call @net_stage0(%x, %w0, %t1) : (...) -> ()
      func.call @net_stage1(%t1, %w1, %result) : (...) -> ()
      func.return
    }
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from vtac.backends.vta.tile_walk import Compute, Dma, Step
from vtac.backends.vta.uop_kernels import AffineLoop
from vtac.dialects import tile
from vtac.dialects.dense import dense_attr, dense_values
from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import AluOp, Load, MemType, Store
from vtac.runtime.packing import PackError, PackSpec

BUFFER_ATTR = "vtac.buffer"
DTYPES = {"int8": IntegerType(8), "int32": IntegerType(32)}
#: On-chip space a LOAD of each memory type fills.
_SPACE = {MemType.INP: "inp", MemType.WGT: "wgt", MemType.ACC: "acc", MemType.ACC_8BIT: "acc"}


class TileIRError(InvalidInputError, ValueError):
    """A tile-dialect kernel that vtac cannot lower (the message names the op)."""

    what = "tile-dialect kernel"


@dataclass(frozen=True)
class DramTensor:
    """A DRAM tensor of a kernel and what the host sees of it (see the module doc)."""

    name: str
    role: str
    dtype: str
    shape: tuple[int, ...]
    layout: str
    planes: int = 1
    #: the packed contents of a tensor known at compile time
    value: np.ndarray | None = None
    #: the input this tensor copies in its own layout ("": none, it is the input itself)
    source: str = ""

    def spec(self) -> PackSpec:
        return PackSpec.from_text(self.layout, self.shape)

    def memref_type(self) -> MemRefType:
        shape = self.spec().packed_shape
        return MemRefType(DTYPES[self.dtype], [self.planes, *shape] if self.planes > 1 else shape)

    def attr(self) -> DictionaryAttr:
        entries: dict[str, Attribute] = {
            "name": StringAttr(self.name),
            "role": StringAttr(self.role),
            "dtype": StringAttr(self.dtype),
            "shape": DenseArrayBase.from_list(i64, list(self.shape)),
            "layout": StringAttr(self.layout),
        }
        if self.planes > 1:
            entries["planes"] = IntegerAttr(self.planes, i64)
        if self.source:
            entries["source"] = StringAttr(self.source)
        return DictionaryAttr(entries)

    @staticmethod
    def from_attr(attr: Attribute, kind: Attribute, where: str) -> DramTensor:
        """The tensor described by a ``vtac.buffer`` attribute on a value of type ``kind``."""
        if not isinstance(attr, DictionaryAttr):
            raise TileIRError(f"{where}: {BUFFER_ATTR} must be a dictionary")
        data = attr.data

        def text(key: str) -> str:
            value = data.get(key)
            if not isinstance(value, StringAttr):
                raise TileIRError(f"{where}: {BUFFER_ATTR} needs a string '{key}'")
            return value.data

        shape = data.get("shape")
        if not isinstance(shape, DenseArrayBase):
            raise TileIRError(f"{where}: {BUFFER_ATTR} needs 'shape' (array<i64: ...>)")
        planes = data.get("planes", IntegerAttr(1, i64))
        if not isinstance(planes, IntegerAttr) or planes.value.data < 1:
            raise TileIRError(f"{where}: 'planes' must be a positive integer")
        source = text("source") if "source" in data else ""
        tensor = DramTensor(
            text("name"),
            text("role"),
            text("dtype"),
            tuple(int(v) for v in shape.get_values()),
            text("layout"),
            planes.value.data,
            source=source,
        )
        if tensor.dtype not in DTYPES:
            raise TileIRError(f"{where}: dtype must be one of {', '.join(DTYPES)}")
        try:
            want = tensor.memref_type()
        except PackError as err:
            raise TileIRError(f"{where}: {err}") from None
        if kind != want:
            raise TileIRError(f"{where}: its layout and planes give {want}, not {kind}")
        return tensor


# ------------------------------------------------------------------ building


class _Builder:
    """Appends a tile walk's steps to a kernel body as tile-dialect ops."""

    def __init__(self, config: VTAConfig, tensors: dict[str, SSAValue]) -> None:
        self.ops: list[Operation] = []
        self.tensors = tensors
        self.buffers: dict[str, SSAValue] = {}
        self.offsets: dict[int, SSAValue] = {}
        for space in ("inp", "wgt", "acc"):
            (rows, cols), element, depth = tile.entry_shape(config, space)
            alloc = memref.AllocOp([], [], tile.on_chip((depth, rows, cols), element, space))
            alloc.results[0].name_hint = space
            self.ops.append(alloc)
            self.buffers[space] = alloc.results[0]

    def offset(self, value: int) -> SSAValue:
        if value not in self.offsets:
            const = arith.ConstantOp(IntegerAttr(value, IndexType()))
            self.ops.append(const)
            self.offsets[value] = const.result
        return self.offsets[value]

    def step(self, step: Step) -> None:
        if isinstance(step, Dma):
            self.ops.append(self._dma(step))
        elif step.kind == "gemm":
            self.ops.append(self._gemm(step))
        else:
            self.ops.append(self._alu(step))

    def _dma(self, step: Dma) -> Operation:
        insn, dram = step.insn, self.tensors[step.tensor]
        offset = self.offset(insn.dram_base)
        if isinstance(insn, Store):
            return tile.DmaStoreOp(
                self.buffers["acc"],
                insn.sram_base,
                dram,
                offset,
                insn.y_size,
                insn.x_size,
                insn.x_stride,
            )
        pads = (insn.y_pad_0, insn.y_pad_1, insn.x_pad_0, insn.x_pad_1)
        return tile.DmaLoadOp(
            dram,
            offset,
            self.buffers[_SPACE[MemType(insn.memory_type)]],
            insn.sram_base,
            insn.y_size,
            insn.x_size,
            insn.x_stride,
            pads,
        )

    @staticmethod
    def _map(base: int, coefs: Sequence[int]) -> list[int]:
        return [base, *coefs]

    def _gemm(self, step: Compute) -> Operation:
        (dst, src, wgt), loops = step.base, step.loops
        return tile.GemmOp(
            self.buffers["acc"],
            self.buffers["inp"],
            self.buffers["wgt"],
            [loop.extent for loop in loops],
            self._map(dst, [loop.dst for loop in loops]),
            self._map(src, [loop.src for loop in loops]),
            self._map(wgt, [loop.wgt for loop in loops]),
            reset=step.reset,
        )

    def _alu(self, step: Compute) -> Operation:
        assert step.alu_op is not None
        (dst, src, _), loops = step.base, step.loops
        tensor = None if step.imm is not None else self._map(src, [loop.src for loop in loops])
        return tile.AluOp(
            self.buffers["acc"],
            step.alu_op.name.lower(),
            [loop.extent for loop in loops],
            self._map(dst, [loop.dst for loop in loops]),
            src=tensor,
            imm=step.imm,
        )


def build_kernel(
    name: str,
    arguments: Sequence[tuple[str, DramTensor]],
    constants: Sequence[tuple[str, DramTensor]],
    steps: Sequence[Step],
    config: VTAConfig,
    attributes: dict[str, Attribute],
) -> list[Operation]:
    """The globals and the ``func.func`` of a tiled kernel. ``arguments`` and ``constants``
    pair the name the steps use for a tensor (``Dma.tensor``) with the tensor; constants hold
    their packed value."""
    arg_tensors = [tensor for _, tensor in arguments]
    function = func.FuncOp(
        name,
        ([t.memref_type() for t in arg_tensors], []),
        arg_attrs=ArrayAttr([DictionaryAttr({BUFFER_ATTR: t.attr()}) for t in arg_tensors]),
    )
    block = function.body.block
    values: dict[str, SSAValue] = {}
    for (key, tensor), arg in zip(arguments, block.args, strict=True):
        arg.name_hint = tensor.name
        values[key] = arg
    globals_: list[Operation] = []
    gets: list[Operation] = []
    for key, tensor in constants:
        assert tensor.value is not None
        kind = tensor.memref_type()
        symbol = f"{name}_{tensor.name}"
        element = DTYPES[tensor.dtype]
        glob = memref.GlobalOp.get(
            StringAttr(symbol),
            kind,
            dense_attr(tensor.value.reshape(kind.get_shape()), element),
            constant=UnitAttr(),
        )
        glob.attributes[BUFFER_ATTR] = tensor.attr()
        globals_.append(glob)
        get = memref.GetGlobalOp(symbol, kind)
        get.results[0].name_hint = tensor.name
        gets.append(get)
        values[key] = get.results[0]
    builder = _Builder(config, values)
    for step in steps:
        builder.step(step)
    block.add_ops([*gets, *builder.ops, func.ReturnOp()])
    function.attributes.update(attributes)
    return [*globals_, function]


# ------------------------------------------------------------------- reading


@dataclass
class TileKernel:
    """A tile-dialect kernel read back: its DRAM tensors (by name) and its steps, whose
    ``Dma.tensor`` names a tensor; for a host function, its kernels' steps in call order
    with a ``None`` between two kernels (where the earlier one's results must be in DRAM)."""

    function: func.FuncOp
    tensors: dict[str, DramTensor]
    steps: list[Step | None]


def read_host(function: func.FuncOp) -> TileKernel:
    """The tensors of a host function (its arguments, its scratch tensors and its kernels'
    globals) and its kernels' steps, renamed to the host's tensors."""
    where = f"@{function.sym_name.data}"
    tensors: dict[SSAValue, DramTensor] = {}
    attrs = function.arg_attrs.data if function.arg_attrs else ()
    for index, arg in enumerate(function.body.block.args):
        entry = attrs[index].data.get(BUFFER_ATTR) if index < len(attrs) else None
        if entry is None:
            raise TileIRError(f"{where}: argument {index} has no {BUFFER_ATTR} attribute")
        tensors[arg] = DramTensor.from_attr(entry, arg.type, f"{where} argument {index}")
    steps: list[Step | None] = []
    globals_: dict[str, DramTensor] = {}
    module = function.parent_op()
    for op in function.body.block.ops:
        if isinstance(op, memref.AllocOp):
            entry = op.attributes.get(BUFFER_ATTR)
            if entry is None or tile.space_of(op.memref) is not None:
                raise TileIRError(f"{_where(op)}: a host allocates DRAM tensors with a vtac.buffer")
            tensors[op.memref] = DramTensor.from_attr(entry, op.memref.type, _where(op))
        elif isinstance(op, func.CallOp):
            callee = _callee(module, op)
            kernel = read_kernel(callee)
            bound = {}
            for value, (local, tensor) in zip(
                op.arguments, _arguments(callee, kernel), strict=True
            ):
                if value not in tensors:
                    raise TileIRError(f"{_where(op)}: operands must be host tensors")
                outer = tensors[value]
                if outer.memref_type() != tensor.memref_type():
                    raise TileIRError(
                        f"{_where(op)}: {outer.name} is {outer.memref_type()}, "
                        f"@{callee.sym_name.data} takes {tensor.memref_type()}"
                    )
                if not outer.spec().same_layout(tensor.spec()):
                    raise TileIRError(
                        f"{_where(op)}: {outer.name} is laid out as {outer.layout!r}, "
                        f"@{callee.sym_name.data} reads {tensor.name} as {tensor.layout!r}"
                    )
                bound[local] = outer.name
            for local, tensor in kernel.tensors.items():
                if local not in bound:  # a global of the kernel
                    known = globals_.setdefault(tensor.name, tensor)
                    if known is not tensor and not _same_constant(known, tensor):
                        raise TileIRError(
                            f"{_where(op)}: two constants named {tensor.name} differ in "
                            "layout or value"
                        )
                    bound[local] = tensor.name
            if steps:
                steps.append(None)
            steps += [
                Dma(bound[step.tensor], step.insn) if isinstance(step, Dma) else step
                for step in kernel.steps
            ]
        elif not isinstance(op, func.ReturnOp):
            raise TileIRError(f"{_where(op)}: a host only allocates tensors and calls kernels")
    found = list(tensors.values()) + list(globals_.values())
    names = [t.name for t in found]
    if len(set(names)) != len(names):
        raise TileIRError(f"{where}: buffer names repeat: {sorted(names)}")
    ordered = sorted(found, key=lambda t: t.role == "output")  # outputs last
    return TileKernel(function, {t.name: t for t in ordered}, steps)


def _same_constant(a: DramTensor, b: DramTensor) -> bool:
    """Whether two kernels' constants are one tensor (same layout and packed value)."""
    return (
        (a.dtype, a.shape, a.layout, a.planes) == (b.dtype, b.shape, b.layout, b.planes)
        and a.value is not None
        and b.value is not None
        and np.array_equal(a.value, b.value)
    )


def _callee(module: Operation | None, call: func.CallOp) -> func.FuncOp:
    name = call.callee.root_reference.data
    found = None
    if module is not None:
        found = next(
            (o for o in module.walk() if isinstance(o, func.FuncOp) and o.sym_name.data == name),
            None,
        )
    if found is None or not is_tile_kernel(found):
        raise TileIRError(f"{_where(call)}: @{name} is not a tile kernel of the module")
    return found


def _arguments(function: func.FuncOp, kernel: TileKernel) -> list[tuple[str, DramTensor]]:
    """(name, tensor) of a kernel's arguments, in order."""
    attrs = function.arg_attrs.data if function.arg_attrs else ()
    result = []
    for index, arg in enumerate(function.body.block.args):
        tensor = DramTensor.from_attr(attrs[index].data[BUFFER_ATTR], arg.type, "")
        result.append((tensor.name, kernel.tensors[tensor.name]))
    return result


def is_tile_kernel(op: Operation) -> bool:
    """Whether ``op`` is a function holding tile-dialect transfers or compute."""
    return isinstance(op, func.FuncOp) and any(
        isinstance(o, tile.DmaLoadOp | tile.DmaStoreOp | tile.GemmOp | tile.AluOp)
        for o in op.walk()
    )


def is_host(op: Operation) -> bool:
    """Whether ``op`` is a host function: one that calls tile kernels."""
    return (
        isinstance(op, func.FuncOp)
        and bool(op.body.blocks)
        and any(isinstance(o, func.CallOp) for o in op.body.block.ops)
    )


def build_host(
    name: str,
    arguments: Sequence[DramTensor],
    scratch: Sequence[DramTensor],
    calls: Sequence[tuple[str, Sequence[str]]],
    attributes: dict[str, Attribute],
) -> func.FuncOp:
    """A host function over ``arguments`` (by name) that allocates the ``scratch`` tensors and
    calls each kernel of ``calls`` (its symbol and the names of the tensors it takes)."""
    function = func.FuncOp(
        name,
        ([t.memref_type() for t in arguments], []),
        arg_attrs=ArrayAttr([DictionaryAttr({BUFFER_ATTR: t.attr()}) for t in arguments]),
    )
    block = function.body.block
    values: dict[str, SSAValue] = {}
    for tensor, arg in zip(arguments, block.args, strict=True):
        arg.name_hint = tensor.name
        values[tensor.name] = arg
    ops: list[Operation] = []
    for tensor in scratch:
        alloc = memref.AllocOp([], [], tensor.memref_type())
        alloc.attributes[BUFFER_ATTR] = tensor.attr()
        alloc.results[0].name_hint = tensor.name
        values[tensor.name] = alloc.results[0]
        ops.append(alloc)
    for callee, names in calls:
        ops.append(func.CallOp(callee, [values[n] for n in names], []))
    block.add_ops([*ops, func.ReturnOp()])
    function.attributes.update(attributes)
    return function


def _where(op: Operation) -> str:
    return f"{op.name} in @{_function_of(op).sym_name.data}"


def _function_of(op: Operation) -> func.FuncOp:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        parent = parent.parent_op()
    assert parent is not None
    return parent


def _global(function: func.FuncOp, symbol: str) -> memref.GlobalOp:
    module = function.parent_op()
    found = None
    if module is not None:
        found = next(
            (
                op
                for op in module.walk()
                if isinstance(op, memref.GlobalOp) and op.sym_name.data == symbol
            ),
            None,
        )
    if found is None:
        raise TileIRError(f"@{function.sym_name.data}: memref.global @{symbol} not found")
    return found


def _tensors(function: func.FuncOp) -> dict[SSAValue, DramTensor]:
    where = f"@{function.sym_name.data}"
    tensors: dict[SSAValue, DramTensor] = {}
    attrs = function.arg_attrs.data if function.arg_attrs else ()
    for index, arg in enumerate(function.body.block.args):
        entry = attrs[index].data.get(BUFFER_ATTR) if index < len(attrs) else None
        if entry is None:
            raise TileIRError(f"{where}: argument {index} has no {BUFFER_ATTR} attribute")
        tensors[arg] = DramTensor.from_attr(entry, arg.type, f"{where} argument {index}")
    for op in function.body.block.ops:
        if not isinstance(op, memref.GetGlobalOp):
            continue
        glob = _global(function, op.name_.root_reference.data)
        entry = glob.attributes.get(BUFFER_ATTR)
        if entry is None:
            raise TileIRError(f"memref.global @{glob.sym_name.data} has no {BUFFER_ATTR}")
        tensor = DramTensor.from_attr(entry, op.memref.type, f"memref.global @{glob.sym_name.data}")
        value = glob.initial_value
        if not isinstance(value, DenseIntOrFPElementsAttr):
            raise TileIRError(f"memref.global @{glob.sym_name.data} needs a dense initial value")
        tensors[op.memref] = DramTensor(
            tensor.name,
            tensor.role,
            tensor.dtype,
            tensor.shape,
            tensor.layout,
            tensor.planes,
            dense_values(value),
        )
    names = [t.name for t in tensors.values()]
    if len(set(names)) != len(names):
        raise TileIRError(f"{where}: buffer names repeat: {sorted(names)}")
    return tensors


def _static(value: SSAValue, op: Operation) -> int:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    raise TileIRError(
        f"{_where(op)}: the DRAM offset must be an arith.constant (vtac lowers straight-line "
        "tile programs)"
    )


def _loops(op: tile.GemmOp | tile.AluOp, *maps: DenseArrayBase | None) -> list[list[int]]:
    extents = op.loop_extents()
    rows = [list(extents)]
    for attr in maps:
        rows.append([int(v) for v in attr.get_values()] if attr is not None else [])
    return rows


def read_kernel(function: func.FuncOp) -> TileKernel:
    """The tensors and steps of a verified tile-dialect kernel."""
    tensors = _tensors(function)
    spaces: dict[str, SSAValue] = {}
    steps: list[Step] = []
    for op in function.body.block.ops:
        if isinstance(op, memref.AllocOp):
            space = tile.space_of(op.memref)
            if space is None or space == "uop":
                raise TileIRError(f"{_where(op)}: only inp, wgt and acc buffers are allocated")
            if space in spaces:
                raise TileIRError(f"{_where(op)}: a second {space} buffer (there is one of each)")
            spaces[space] = op.memref
        elif isinstance(op, tile.DmaLoadOp):
            steps.append(_read_load(op, tensors))
        elif isinstance(op, tile.DmaStoreOp):
            steps.append(_read_store(op, tensors))
        elif isinstance(op, tile.GemmOp):
            extents, dst, src, wgt = _loops(op, op.dst, op.src, op.wgt_map)
            loops = tuple(
                AffineLoop(e, d, s, w)
                for e, d, s, w in zip(extents, dst[1:], src[1:], wgt[1:], strict=True)
            )
            steps.append(
                Compute("gemm", loops, (dst[0], src[0], wgt[0]), reset=bool(op.reset.value.data))
            )
        elif isinstance(op, tile.AluOp):
            extents, dst, src = _loops(op, op.dst, op.src)
            src = src or dst  # an immediate operand: the source walks the destination
            loops = tuple(
                AffineLoop(e, d, s) for e, d, s in zip(extents, dst[1:], src[1:], strict=True)
            )
            imm = op.imm.value.data if op.imm is not None else None
            alu = AluOp[op.op.data.upper()]
            steps.append(Compute("alu", loops, (dst[0], src[0], 0), alu_op=alu, imm=imm))
        elif not isinstance(op, arith.ConstantOp | memref.GetGlobalOp | func.ReturnOp):
            raise TileIRError(f"{_where(op)}: not part of a straight-line tile program")
    ordered = sorted(tensors.values(), key=lambda t: t.role == "output")  # outputs last
    return TileKernel(function, {t.name: t for t in ordered}, steps)


def _tensor(value: SSAValue, op: Operation, tensors: dict[SSAValue, DramTensor]) -> DramTensor:
    if value not in tensors:
        raise TileIRError(f"{_where(op)}: the DRAM memref is not a kernel argument or global")
    return tensors[value]


def _read_load(op: tile.DmaLoadOp, tensors: dict[SSAValue, DramTensor]) -> Dma:
    tensor = _tensor(op.src, op, tensors)
    space = tile.space_of(op.dst)
    element = op.src.type.element_type  # type: ignore[attr-defined]
    kind = {"inp": MemType.INP, "wgt": MemType.WGT}.get(space or "")
    if space == "acc":
        kind = MemType.ACC if element == IntegerType(32) else MemType.ACC_8BIT
    assert kind is not None  # the verifier admits no other space
    top, bottom, left, right = op.padding
    insn = Load(
        memory_type=kind,
        sram_base=op.sram_offset.value.data,
        dram_base=_static(op.offset, op),
        y_size=op.y_size.value.data,
        x_size=op.x_size.value.data,
        x_stride=op.x_stride.value.data,
        y_pad_0=top,
        y_pad_1=bottom,
        x_pad_0=left,
        x_pad_1=right,
    )
    return Dma(tensor.name, insn)


def _read_store(op: tile.DmaStoreOp, tensors: dict[SSAValue, DramTensor]) -> Dma:
    tensor = _tensor(op.dst, op, tensors)
    insn = Store(
        memory_type=MemType.OUT,
        sram_base=op.sram_offset.value.data,
        dram_base=_static(op.offset, op),
        y_size=op.y_size.value.data,
        x_size=op.x_size.value.data,
        x_stride=op.x_stride.value.data,
    )
    return Dma(tensor.name, insn)


def replace_function(old: func.FuncOp, new: Sequence[Operation]) -> None:
    """Put ``new`` where ``old`` was."""
    Rewriter.insert_op(list(new), InsertPoint.before(old))
    Rewriter.erase_op(old)
