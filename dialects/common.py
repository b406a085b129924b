"""What the tile and vta dialects share: the hardware configuration a module carries
(``vta.config``) and the custom syntax of attribute dictionaries after an op's keywords."""

from __future__ import annotations

from collections.abc import Mapping

from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, UnitAttr, i64
from xdsl.ir import Attribute, Operation
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from vtac.runtime.config import ConfigError, VTAConfig

CONFIG_ATTR = "vta.config"
EMBEDDING_ATTR = "vtac.embedding"  # the embedding vtac-isel chose for a contraction
ALU_ATTR = "vtac.alu"  # the ALU instructions vtac-isel chose for an epilogue op


# ------------------------------------------------------------------------ configuration


def enclosing_module(op: Operation) -> ModuleOp | None:
    """The module enclosing ``op`` (``op`` itself if it is one; None if there is none)."""
    current: Operation | None = op
    while current is not None and not isinstance(current, ModuleOp):
        current = current.parent_op()
    return current


def module_config(op: Operation) -> VTAConfig:
    """The hardware configuration of the module enclosing ``op`` (or of ``op``, a module)."""
    module = enclosing_module(op)
    attr = module.attributes.get(CONFIG_ATTR) if module else None
    if attr is None:
        return VTAConfig()
    if not isinstance(attr, DictionaryAttr):
        raise VerifyException(f"{CONFIG_ATTR} must be a dictionary of vta_config.json values")
    values: dict[str, int | str] = {}
    for key, value in attr.data.items():
        if isinstance(value, IntegerAttr):
            values[key] = value.value.data
        elif isinstance(value, StringAttr):
            values[key] = value.data
        else:
            raise VerifyException(f"{CONFIG_ATTR}: {key} must be an integer or a string")
    try:
        return VTAConfig.from_dict(values)
    except ConfigError as err:
        raise VerifyException(f"{CONFIG_ATTR}: {err}") from None


def config_attr(config: VTAConfig) -> DictionaryAttr:
    """The ``vta.config`` module attribute of a configuration."""
    return DictionaryAttr(
        {
            key: StringAttr(value) if isinstance(value, str) else IntegerAttr(value, i64)
            for key, value in config.to_dict().items()
        }
    )


# ------------------------------------------------------------------------ custom syntax


def print_attributes(printer: Printer, attributes: Mapping[str, Attribute]) -> None:
    """`` {key = value, ...}`` with i64 integers printed bare (nothing when empty)."""
    if not attributes:
        return

    def entry(item: tuple[str, Attribute]) -> None:
        key, value = item
        printer.print_identifier_or_string_literal(key)
        if isinstance(value, UnitAttr):
            return
        printer.print_string(" = ")
        if isinstance(value, IntegerAttr) and value.type == i64:
            printer.print_string(str(value.value.data))
        else:
            printer.print_attribute(value)

    printer.print_string(" {")
    printer.print_list(attributes.items(), entry)
    printer.print_string("}")


def parse_attributes(parser: Parser, taken: Mapping[str, Attribute]) -> dict[str, Attribute]:
    """An optional attribute dictionary merged after ``taken`` (the keyword-given ones)."""
    position = parser.pos
    extra = parser.parse_optional_attr_dict()
    for key in extra.keys() & taken.keys():
        parser.raise_error(f"{key} is already given before the attribute dictionary", position)
    return {**taken, **extra}
