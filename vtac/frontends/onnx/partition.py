"""A network's nn function cut into VTA programs and host steps.

Where an op runs is decided by one table, :data:`PLACEMENT`, from its op class to its role:

- ``CONTRACTION`` starts a VTA stage (conv2d, dense, matmul);
- ``EPILOGUE`` joins the stage whose result it reads, when vtac's compiler accepts it there
  (the result read only by it; one per-channel constant bias per stage; nothing after the cast
  to int8), and runs on the host otherwise;
- ``HOST`` runs on the host (numpy, :mod:`vtac.backends.reference`) between VTA programs.

An op that gains a VTA lowering moves from ``HOST`` to the role that says how it joins a
program; nothing else changes. Consecutive stages form one program (a chain, whose intermediate
stays in DRAM in VTA's layout) when the later one's contraction reads the earlier one's int8
result, nothing else reads it, and its other operand is a constant; consecutive host ops form
one host step. Every step is an nn function of its own whose arguments and results are named
by the network values they carry.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue

from vtac.dialects import nn
from vtac.frontends.onnx import OnnxError
from vtac.frontends.onnx.importer import NODE_ATTR


class Placement(enum.Enum):
    CONTRACTION = "contraction"
    EPILOGUE = "epilogue"
    HOST = "host"


#: Op class -> where it runs (see the module doc).
PLACEMENT: dict[type[Operation], Placement] = {
    nn.Conv2DOp: Placement.CONTRACTION,
    nn.DenseOp: Placement.CONTRACTION,
    nn.MatmulOp: Placement.CONTRACTION,
    nn.ShrOp: Placement.EPILOGUE,
    nn.AddOp: Placement.EPILOGUE,
    nn.ClipOp: Placement.EPILOGUE,
    nn.ReluOp: Placement.EPILOGUE,
    nn.CastOp: Placement.EPILOGUE,
    nn.MaxPool2DOp: Placement.HOST,
    nn.ExtOp: Placement.HOST,
    nn.RescaleOp: Placement.HOST,
    nn.SumPool2DOp: Placement.HOST,
    nn.ReshapeOp: Placement.HOST,
}


class PartitionError(OnnxError):
    """A function the partitioner cannot cut (an op it has no placement for)."""


@dataclass
class Step:
    """One step of a network: a VTA program (``kind == "vta"``) or a host step (``"host"``),
    as an nn function over named network values."""

    kind: str
    name: str
    #: the step's nn function (None for a VTA program loaded from a network image)
    function: func.FuncOp | None
    inputs: list[str]
    outputs: list[str]
    #: the ONNX nodes of each stage (VTA) or of the step (host)
    nodes: list[list[str]] = field(default_factory=list)


@dataclass
class Partition:
    steps: list[Step]
    inputs: list[str]
    outputs: list[str]


@dataclass
class _Group:
    kind: str
    ops: list[Operation]
    stages: list[list[Operation]] = field(default_factory=list)


def _node(op: Operation) -> str:
    attr = op.attributes.get(NODE_ATTR)
    return attr.data if attr is not None else op.name  # type: ignore[attr-defined]


def _is_constant(value: SSAValue) -> bool:
    return isinstance(value.owner, arith.ConstantOp)


def _joins(op: Operation, stage: list[Operation]) -> bool:
    """Whether the epilogue op ``op`` continues ``stage`` as vtac's compiler accepts it."""
    last = stage[-1].results[0]
    if op.operands[0] is not last or not last.has_one_use():
        return False
    if isinstance(stage[-1], nn.CastOp):
        return False
    if isinstance(op, nn.AddOp):
        has_bias = any(isinstance(o, nn.AddOp) for o in stage[1:])
        rhs = op.rhs
        return not has_bias and _is_constant(rhs) and len(rhs.type.get_shape()) == 1  # type: ignore[attr-defined]
    return True


def _chains(stage: list[Operation], previous: list[Operation]) -> bool:
    """Whether ``stage`` can run in the same program right after ``previous``."""
    result = previous[-1].results[0]
    contraction = stage[0]
    if result.type.element_type != nn.I8 or not result.has_one_use():  # type: ignore[attr-defined]
        return False
    others = [v for v in contraction.operands if v is not result]
    return result in contraction.operands and len(others) == 1 and _is_constant(others[0])


def partition(module: ModuleOp, name: str | None = None, chain: bool = True) -> Partition:
    """Cut the function ``name`` (or the only one) of ``module`` into steps (see the module
    doc); ``chain=False`` gives each stage its own program."""
    from vtac.backends.reference import find_function

    function = find_function(module, name)
    groups: list[_Group] = []
    #: the last stage of each VTA program, by the value it ends with (epilogue ops join there)
    open_stages: dict[SSAValue, tuple[_Group, list[Operation]]] = {}
    for op in function.body.block.ops:
        if isinstance(op, arith.ConstantOp | func.ReturnOp):
            continue
        role = PLACEMENT.get(type(op))
        if role is None:
            raise PartitionError(f"{op.name} ({_node(op)}): no placement (VTA or host) for it")
        owner = open_stages.get(op.operands[0]) if op.operands else None
        if role is Placement.EPILOGUE and owner is not None and _joins(op, owner[1]):
            group, stage = owner
            if group.ops[-1] is stage[-1]:  # still the program's last stage
                del open_stages[op.operands[0]]
                stage.append(op)
                group.ops.append(op)
                open_stages[op.results[0]] = group, stage
                continue
        if role is Placement.CONTRACTION:
            stage = [op]
            last = groups[-1] if groups else None
            if chain and last and last.kind == "vta" and _chains(stage, last.stages[-1]):
                last.stages.append(stage)
                last.ops.append(op)
            else:
                groups.append(_Group("vta", [op], [stage]))
            open_stages[op.results[0]] = groups[-1], stage
            continue
        if groups and groups[-1].kind == "host":
            groups[-1].ops.append(op)
        else:
            groups.append(_Group("host", [op]))
    names = _value_names(function)
    returned = list(function.body.block.last_op.operands)  # type: ignore[union-attr]
    steps = [_step(group, names, returned, i) for i, group in enumerate(groups)]
    return Partition(
        steps,
        [names[arg] for arg in function.body.block.args],
        [names[v] for v in returned],
    )


def _value_names(function: func.FuncOp) -> dict[SSAValue, str]:
    """A unique, usable name for every value of ``function`` (its name hint when it has one)."""
    names: dict[SSAValue, str] = {}
    used: set[str] = set()
    values = list(function.body.block.args) + [
        op.results[0] for op in function.body.block.ops if op.results
    ]
    for i, value in enumerate(values):
        name = value.name_hint or f"v{i}"
        if name in used or re.search(r"_\d+$", name):
            name = f"{name}.v{i}"
        used.add(name)
        names[value] = name
    return names


def _step(group: _Group, names: dict[SSAValue, str], returned: list[SSAValue], index: int) -> Step:
    inside = {op.results[0] for op in group.ops}
    inputs: list[SSAValue] = []
    for op in group.ops:
        for value in op.operands:
            if value not in inside and not _is_constant(value) and value not in inputs:
                inputs.append(value)
    if group.kind == "vta":
        outputs = [group.ops[-1].results[0]]
        nodes = [[_node(stage[0])] for stage in group.stages]
        label = "+".join(n[0] for n in nodes)
    else:
        outputs = [
            r
            for r in inside
            if r in returned or any(use.operation not in group.ops for use in r.uses)
        ]
        outputs.sort(key=lambda v: group.ops.index(v.owner))  # type: ignore[arg-type]
        seen = list(dict.fromkeys(_node(op) for op in group.ops))
        nodes = [seen]
        label = "+".join(seen)
    block = Block(arg_types=[v.type for v in inputs])
    mapping: dict[SSAValue, SSAValue] = {}
    for arg, value in zip(block.args, inputs, strict=True):
        arg.name_hint = names[value]
        mapping[value] = arg
    for op in group.ops:
        for value in op.operands:
            if _is_constant(value) and value not in mapping:
                constant = value.owner.clone()  # type: ignore[union-attr]
                block.add_op(constant)
                mapping[value] = constant.results[0]
        copy = op.clone(value_mapper=mapping)
        block.add_op(copy)
        mapping[op.results[0]] = copy.results[0]
    for value in outputs:
        mapping[value].name_hint = names[value]
    block.add_op(func.ReturnOp(*(mapping[v] for v in outputs)))
    function = func.FuncOp(
        f"{group.kind}{index}",
        ([v.type for v in inputs], [v.type for v in outputs]),
        Region(block),
    )
    return Step(
        group.kind,
        label,
        function,
        [names[v] for v in inputs],
        [names[v] for v in outputs],
        nodes,
    )
