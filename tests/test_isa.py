"""Hardware configurations and VTA's binary instruction encoding."""

from __future__ import annotations

import json
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.runtime.config import ConfigError, VTAConfig, resolve_config, shipped_configs
from vtac.runtime.isa import (
    INSN_CLASSES,
    Alu,
    AluOp,
    EncodingError,
    Gemm,
    Load,
    MemType,
    Store,
    Uop,
    decode,
    decode_program,
    decode_uops,
    encode,
    encode_program,
    encode_uops,
    format_instruction,
    parse_instruction,
)

CONFIGS = [VTAConfig.named(name) for name in shipped_configs()]


def offsets(config: VTAConfig, kind: str) -> dict[str, tuple[int, int]]:
    return {name: (start, start + width - 1) for name, start, width in config.field_layout(kind)}


def test_default_is_vtas_default() -> None:
    config = VTAConfig()
    assert config.name == "1x16_i8w8a32_15_15_18_17"
    assert (config.inp_depth, config.wgt_depth, config.acc_depth, config.uop_depth) == (
        2048,
        1024,
        2048,
        8192,
    )
    assert (config.inp_elem_bytes, config.wgt_elem_bytes, config.acc_elem_bytes) == (16, 256, 64)
    assert config.log_out_buff_size == 15
    assert VTAConfig.named("default") == config


def test_default_field_offsets_match_vta() -> None:
    config = VTAConfig()
    mem = offsets(config, "LOAD")
    assert mem["memory_type"] == (7, 9)
    assert mem["sram_base"] == (10, 25)
    assert mem["dram_base"] == (26, 57)
    assert mem["y_size"] == (64, 79)
    assert mem["x_size"] == (80, 95)
    assert mem["x_stride"] == (96, 111)
    assert mem["y_pad_0"] == (112, 115) and mem["x_pad_1"] == (124, 127)
    gemm = offsets(config, "GEMM")
    assert gemm["iter_in"][1] == 62
    assert gemm["dst_factor_out"][0] == 64 and gemm["wgt_factor_in"][1] == 127
    alu = offsets(config, "ALU")
    assert alu["imm"] == (112, 127)


def words(*values: int) -> bytes:
    """Instruction bytes from its two 64-bit words, word 0 first, each little-endian."""
    return b"".join(v.to_bytes(8, "little") for v in values)


def test_golden_instruction_bytes() -> None:
    """Words computed by hand from vta-isa.md section 2 (default configuration), not from the
    encoder's layout table."""
    config = VTAConfig()
    load = Load(
        memory_type=MemType.INP,
        push_next_dep=1,
        sram_base=5,
        dram_base=0x10,
        y_size=3,
        x_size=4,
        x_stride=7,
        y_pad_0=1,
        y_pad_1=2,
        x_pad_0=3,
        x_pad_1=4,
    )
    # opcode 0, push_next_dep bit 6, memory_type 2 << 7, sram_base 5 << 10, dram_base 16 << 26;
    # word 1: y_size, x_size << 16, x_stride << 32, pads 1, 2, 3, 4 at 48, 52, 56, 60
    load_words = words(0x0000_0000_4000_1540, 0x4321_0007_0004_0003)
    gemm = Gemm(
        pop_prev_dep=1,
        uop_bgn=1,
        uop_end=3,
        iter_out=2,
        iter_in=5,
        dst_factor_out=1,
        dst_factor_in=2,
        src_factor_out=3,
        src_factor_in=4,
        wgt_factor_out=5,
        wgt_factor_in=6,
    )
    # opcode 2, pop_prev_dep bit 3, uop_bgn 1 << 8, uop_end 3 << 21, iter_out 2 << 35,
    # iter_in 5 << 49; word 1: factors of 11, 11, 11, 11, 10, 10 bits from bit 0
    gemm_words = words(0x000A_0010_0060_010A, 0x0180_5008_00C0_1001)
    alu = Alu(
        alu_opcode=AluOp.SHR,
        use_imm=1,
        imm=-3,
        push_next_dep=1,
        uop_end=1,
        iter_out=1,
        iter_in=16,
        dst_factor_in=1,
        src_factor_in=1,
    )
    # opcode 4, push_next_dep bit 6, uop_end 1 << 21, iter_out 1 << 35, iter_in 16 << 49;
    # word 1: dst_factor_in 1 << 11, src_factor_in 1 << 33, alu_opcode 3 << 44, use_imm bit 47,
    # imm 0xfffd (-3) << 48
    alu_words = words(0x0020_0008_0020_0044, 0xFFFD_B002_0000_0800)
    for insn, raw in ((load, load_words), (gemm, gemm_words), (alu, alu_words)):
        assert encode(insn, config) == raw, insn.mnemonic
        assert decode(raw, config) == insn


def test_big_micro_op_buffer_pushes_a_field_past_bit_64() -> None:
    config = VTAConfig.named("big_uop")
    gemm = offsets(config, "GEMM")
    assert gemm["iter_in"][0] == 64  # would straddle bit 64: starts the second word instead
    insn = Gemm(uop_end=16384, iter_out=3, iter_in=16383, dst_factor_out=5)
    word = int.from_bytes(encode(insn, config), "little")
    assert (word >> 64) & ((1 << 14) - 1) == 16383
    assert decode(encode(insn, config), config) == insn


def test_config_json_round_trip(tmp_path) -> None:  # noqa: ANN001
    config = VTAConfig.named("batch2")
    path = tmp_path / "vta_config.json"
    config.save(path)
    assert VTAConfig.load(path) == config
    assert json.loads(path.read_text())["LOG_BATCH"] == 1
    assert resolve_config(str(path)) == config
    assert resolve_config("block32") == VTAConfig.named("block32")
    assert resolve_config(None) == VTAConfig()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"LOG_COLOR": 1}, "unknown configuration key"),
        ({"LOG_BATCH": "one"}, "LOG_BATCH must be an integer"),
        ({"LOG_BLOCK": -1}, "LOG_BLOCK = -1 is negative"),
        ({"LOG_INP_BUFF_SIZE": 3}, "input buffer holds no entry"),
        ({"LOG_ACC_BUFF_SIZE": 26}, "more than the 16-bit sram_base"),
        ({"LOG_UOP_BUFF_SIZE": 18, "LOG_WGT_BUFF_SIZE": 24}, "more than 128|more than 32"),
        ({"LOG_INP_WIDTH": 2}, "not supported"),
        ({"TARGET": 3}, "TARGET must be a string"),
    ],
)
def test_invalid_configs_name_the_problem(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VTAConfig.from_dict({**VTAConfig().to_dict(), **changes})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"LOG_UOP_BUFF_SIZE": 2}, "GEMM field uop_bgn"),  # one micro-op: uop_bgn has no bits
        ({"LOG_INP_BUFF_SIZE": 4}, "GEMM field src_factor_out"),
        ({"LOG_WGT_BUFF_SIZE": 8}, "micro-op field wgt_idx"),
        ({"LOG_ACC_BUFF_SIZE": 6}, "micro-op field dst_idx"),
    ],
)
def test_zero_bit_fields_are_rejected(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=f"the {field} would be 0 bits wide"):
        VTAConfig(**changes)
    VTAConfig(**{key: value + 1 for key, value in changes.items()})  # two entries: 1 bit, fine


def test_config_text_errors() -> None:
    with pytest.raises(ConfigError, match="^cfg.json: not valid JSON"):
        VTAConfig.from_json("{", "cfg.json")
    with pytest.raises(
        ConfigError, match="^cfg.json: a configuration must be a JSON object, not list"
    ):
        VTAConfig.from_json("[1, 2]", "cfg.json")
    assert VTAConfig.from_dict({"LOG_BATCH": 1}) == VTAConfig.named("batch2")  # the IR's form


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "missing key.s. TARGET, LOG_INP_WIDTH, .*LOG_ACC_BUFF_SIZE: VTA's tools read"),
        ('{"LOG_BATCH": 1}', "missing key.s. TARGET, LOG_INP_WIDTH, LOG_WGT_WIDTH, LOG_ACC_W"),
        ('{**, "TARGET": "bogus"}', "TARGET 'bogus' is not one of VTA's sim, tsim, pynq"),
    ],
)
def test_config_files_give_every_key_vta_reads(text: str, message: str) -> None:
    """VTA's own tools (tvm-vta's pkg_config.py) read these keys without defaults; HW_VER may
    be left out, and every shipped configuration loads."""
    full = VTAConfig().to_json().strip()[1:-1]
    with pytest.raises(ConfigError, match=f"^cfg.json: {message}"):
        VTAConfig.from_json(text.replace("{**,", "{" + full + ","), "cfg.json")
    without_version = {k: v for k, v in VTAConfig().to_dict().items() if k != "HW_VER"}
    assert VTAConfig.from_json(json.dumps(without_version)) == VTAConfig()
    for name in shipped_configs():
        assert VTAConfig.named(name).name


def test_micro_op_fields_wider_than_32_bits_are_rejected() -> None:
    with pytest.raises(ConfigError, match="micro-op fields need"):
        VTAConfig(LOG_ACC_BUFF_SIZE=18, LOG_INP_BUFF_SIZE=16, LOG_WGT_BUFF_SIZE=20)


def test_instruction_wider_than_128_bits_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"needs \d+ bits .* more than 128"):
        VTAConfig(LOG_UOP_BUFF_SIZE=17)


def test_named_config_errors() -> None:
    with pytest.raises(ConfigError, match="no shipped configuration named 'nope'"):
        VTAConfig.named("nope")
    with pytest.raises(ConfigError, match="cannot read"):
        VTAConfig.load("/nonexistent/vta_config.json")


def instruction(config: VTAConfig) -> st.SearchStrategy:
    """Random instructions whose every field fits its width under ``config``."""

    def build(kind: str, draw_values: dict[str, int]):  # noqa: ANN202
        return MNEMONIC_CLASSES[kind](**draw_values)

    strategies = []
    for kind, cls in MNEMONIC_CLASSES.items():
        layout = {name: width for name, _, width in config.field_layout(kind)}
        args = {}
        for f in fields(cls):
            width = layout[f.name]
            if f.name == "imm":
                args[f.name] = st.integers(-(1 << (width - 1)), (1 << (width - 1)) - 1)
            else:
                args[f.name] = st.integers(0, (1 << width) - 1)
        strategies.append(st.fixed_dictionaries(args).map(lambda v, k=kind: build(k, v)))
    return st.one_of(strategies)


MNEMONIC_CLASSES = {op.name: cls for op, cls in INSN_CLASSES.items()}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_encode_decode_round_trip(config: VTAConfig, data: st.DataObject) -> None:
    insn = data.draw(instruction(config))
    raw = encode(insn, config)
    assert len(raw) == 16
    assert decode(raw, config) == insn
    assert parse_instruction(format_instruction(insn)) == insn


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
@settings(max_examples=100, deadline=None)
@given(raw=st.binary(min_size=16, max_size=16))
def test_random_words_decode_or_fail_clearly(config: VTAConfig, raw: bytes) -> None:
    try:
        insn = decode(raw, config)
    except EncodingError as err:
        assert "opcode" in str(err) or "unused bit" in str(err)
        return
    assert encode(insn, config) == raw


def test_encoding_refuses_values_that_do_not_fit() -> None:
    config = VTAConfig()
    with pytest.raises(
        EncodingError, match="LOAD: sram_base = 65536 does not fit its 16-bit field"
    ):
        encode(Load(sram_base=1 << 16), config)
    with pytest.raises(
        EncodingError, match="ALU: imm = 40000 does not fit the signed 16-bit field"
    ):
        encode(Alu(imm=40000), config)
    with pytest.raises(EncodingError, match="GEMM: dst_factor_out = 2048"):
        encode(Gemm(dst_factor_out=2048), config)
    with pytest.raises(EncodingError, match="instruction 1: STORE: y_pad_0 = 16"):
        encode_program([Load(), Store(y_pad_0=16)], config)


def test_decode_errors() -> None:
    config = VTAConfig()
    with pytest.raises(EncodingError, match="unknown opcode 7"):
        decode(bytes([7]) + bytes(15), config)
    with pytest.raises(EncodingError, match="unused bit"):
        decode((3 | 1 << 100).to_bytes(16, "little"), config)
    with pytest.raises(EncodingError, match="multiple of 16"):
        decode_program(bytes(17), config)
    with pytest.raises(EncodingError, match="instruction 1: unknown opcode 5"):
        decode_program(bytes(16) + bytes([5]) + bytes(15), config)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.name)
def test_micro_ops_round_trip(config: VTAConfig) -> None:
    uops = [Uop(config.acc_depth - 1, config.inp_depth - 1, config.wgt_depth - 1), Uop(1, 2, 3)]
    assert decode_uops(encode_uops(uops, config), config) == uops
    with pytest.raises(EncodingError, match="micro-op 0: dst_idx"):
        encode_uops([Uop(config.acc_depth, 0, 0)], config)


def test_micro_op_words_with_unused_bits_set_are_refused() -> None:
    config = VTAConfig.named("block8_small")  # fields of 9 + 9 + 8 bits: bits 26-31 unused
    words = np.array([5, 1 << 26 | 5], dtype=np.uint32)
    with pytest.raises(EncodingError, match=r"^micro-op 1: unused bits set \(0x04000005\)"):
        decode_uops(words, config)
    assert decode_uops(words[:1], config) == [Uop(5, 0, 0)]


def test_parse_instruction_errors() -> None:
    with pytest.raises(ValueError, match="unknown mnemonic 'JUMP'"):
        parse_instruction("JUMP x=1")
    with pytest.raises(ValueError, match="LOAD has no field 'imm'"):
        parse_instruction("LOAD imm=3")
    with pytest.raises(ValueError, match="expected name=value"):
        parse_instruction("GEMM reset_reg")
    with pytest.raises(ValueError, match="given twice"):
        parse_instruction("GEMM iter_in=1 iter_in=2")
    assert parse_instruction("alu alu_opcode=shr imm=-3") == Alu(alu_opcode=3, imm=-3)
