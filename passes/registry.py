"""The registry of vtac's passes and output targets, imported lazily by name."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass
from xdsl.targets import Target


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class (imported only when used)."""

    def isel() -> type[ModulePass]:
        from vtac.passes.isel import InstructionSelection

        return InstructionSelection

    def layout() -> type[ModulePass]:
        from vtac.passes.layout import Layout

        return Layout

    def tile() -> type[ModulePass]:
        from vtac.passes.schedule import Tile

        return Tile

    def lower_to_vta() -> type[ModulePass]:
        from vtac.passes.lower_to_vta import LowerToVta

        return LowerToVta

    def insert_deps() -> type[ModulePass]:
        from vtac.passes.insert_deps import InsertDeps

        return InsertDeps

    return {
        "vtac-isel": isel,
        "vtac-layout": layout,
        "vtac-tile": tile,
        "vtac-lower-to-vta": lower_to_vta,
        "vtac-insert-deps": insert_deps,
    }


#: The default pipeline, from nn functions to vta programs (``vtac compile`` runs it).
DEFAULT_PIPELINE = "vtac-isel,vtac-layout,vtac-tile,vtac-lower-to-vta,vtac-insert-deps"


def get_all_targets() -> dict[str, Callable[[], type[Target]]]:
    """Target name (``vtac-opt -t NAME``) -> factory returning the target class."""

    def vta_asm() -> type[Target]:
        from vtac.backends.vta import VtaAsm

        return VtaAsm

    return {"vta-asm": vta_asm}
