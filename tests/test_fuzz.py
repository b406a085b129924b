"""Property-based fuzzing: whatever vtac compiles computes what the tensor program says, or
vtac refuses with a clear error; malformed input never crashes the tools. Example counts come
from the hypothesis profile (tests/conftest.py): bounded in CI, 10,000 with the long profile."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vtac
from vtac.compiler import compile_module
from vtac.opt import main as opt_main
from vtac.passes.tiling import TilingError
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ImageError, ProgramImage
from vtac.runtime.isa import EncodingError, decode_program
from vtac.runtime.simulator import SimError, simulate
from vtac.testing import Program, check_program, configs, programs, reproducer


@given(programs())
def test_compiled_programs_compute_the_reference(program: Program) -> None:
    check_program(program)


@given(st.data())
def test_random_hardware_configurations(data: st.DataObject) -> None:
    config = data.draw(configs())
    try:
        check_program(data.draw(programs(config=config)))
    except TilingError as err:  # a tiny buffer may hold no tile at all: a clear refusal
        assert "no tiling fits" in str(err)


@given(
    programs(),
    st.sampled_from(["auto", "fixed"]),
    st.sampled_from([None, 1, 2]),
    st.lists(st.integers(1, 16), min_size=7, max_size=7),
    st.booleans(),
)
def test_forced_choices_are_honoured_or_refused(
    program: Program, embedding: str, threads, sizes, force_tiles
) -> None:  # noqa: ANN001
    if force_tiles:
        loops = compile_module(
            vtac.parse_ir(program.text), program.config, embedding=embedding
        ).loops
        tiles = {
            name: min(size, extent) for (name, extent), size in zip(loops, sizes, strict=False)
        }
    else:
        tiles = None
    program.options = {"embedding": embedding, "vthreads": threads, "tiles": tiles}
    try:
        check_program(program)
    except TilingError as err:  # a forced choice that breaks a limit is refused, naming it
        refusals = ("exceed", "need", "no tiling fits", "must stay whole")
        assert any(reason in str(err) for reason in refusals), str(err)


@given(programs())
def test_compiling_is_deterministic(program: Program) -> None:
    first = compile_module(vtac.parse_ir(program.text), program.config).image
    second = compile_module(vtac.parse_ir(program.text), program.config).image
    assert first.insns == second.insns
    assert np.array_equal(first.dram, second.dram)


@given(program=programs(), data=st.data())
def test_mutated_ir_gives_a_diagnostic_never_a_crash(
    tmp_path_factory,  # noqa: ANN001
    program: Program,
    data: st.DataObject,
) -> None:
    text = program.text
    cut = data.draw(st.integers(0, len(text)))
    where = data.draw(st.integers(0, max(len(text) - 1, 0)))
    replacement = data.draw(
        st.sampled_from(["", "x", "%", "{", "}", "<", ">", "1", "-", ":", "i8", "nn."])
    )
    mutated = data.draw(
        st.sampled_from([text[:cut], text[:where] + replacement + text[where + 1 :]])
    )
    path = tmp_path_factory.mktemp("ir") / "m.mlir"
    path.write_text(mutated)
    assert opt_main([str(path)]) in (0, 1)


@given(st.binary(min_size=16, max_size=16 * 12), st.integers(0, 3))
def test_random_instruction_bytes_never_hang(raw: bytes, pad: int) -> None:
    config = VTAConfig()
    raw = raw[: len(raw) - len(raw) % 16]
    try:
        insns = decode_program(raw, config)
    except EncodingError:
        return
    with contextlib.suppress(SimError):  # a clear error or a correct run; never a hang
        simulate(config, insns, np.zeros(4096 * (pad + 1), dtype=np.uint8))


@given(junk=st.binary(max_size=64))
def test_random_image_files_are_refused_clearly(tmp_path_factory, junk: bytes) -> None:  # noqa: ANN001
    folder = tmp_path_factory.mktemp("image")
    for name in ("program.json", "insn.bin", "dram.bin"):
        (folder / name).write_bytes(junk)
    with pytest.raises(ImageError):
        ProgramImage.load(folder)


def test_reproducer_reruns_the_program(tmp_path) -> None:  # noqa: ANN001
    from hypothesis import find

    program = find(programs(), lambda p: "nn.dense" in p.text)
    command = reproducer(program, tmp_path / "repro")
    args = command.split()[1:]
    from vtac.cli import main

    assert main(args) == 0
