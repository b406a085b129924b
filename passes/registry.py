"""The registry of vtac's passes and output targets, imported lazily by name."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class (imported only when used)."""

    def isel() -> type[ModulePass]:
        from vtac.passes.isel import InstructionSelection

        return InstructionSelection

    return {"vtac-isel": isel}


def get_all_targets() -> dict[str, Callable[[], object]]:
    """Target name (``vtac-opt -t NAME``) -> factory."""
    return {}
