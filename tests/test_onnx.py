"""The ONNX frontend: quantizing, importing, partitioning and running whole networks.

The default tier runs a small seeded network (two chained convolutions, a residual add, pools, a
dense layer: three VTA programs and two host steps) against onnxruntime and the reference, and
one refused model per kind of error. ``VTAC_FULL_SUITE=1`` adds a scaled-down ResNet-18 end to
end in both roundings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the ONNX frontend needs onnx (pip install vtac[onnx])")
ort = pytest.importorskip("onnxruntime", reason="the checks run models on onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from vtac.api import parse_ir, reference_run  # noqa: E402
from vtac.backends.reference import rescale  # noqa: E402
from vtac.cli import main  # noqa: E402
from vtac.frontends.onnx import OnnxError  # noqa: E402
from vtac.frontends.onnx.commands import onnxruntime_runner  # noqa: E402
from vtac.frontends.onnx.importer import import_model  # noqa: E402
from vtac.frontends.onnx.network import (  # noqa: E402
    Network,
    check_tensors,
    compare,
    compile_network,
)
from vtac.frontends.onnx.partition import PLACEMENT, Placement, partition  # noqa: E402
from vtac.frontends.onnx.quantize import quantize_model  # noqa: E402

FULL = os.environ.get("VTAC_FULL_SUITE") == "1"


def small_model() -> onnx.ModelProto:
    """conv+relu, max-pool, conv+relu, 1x1 conv, residual add+relu, global average pool,
    flatten, dense: float, seeded."""
    rng = np.random.default_rng(0)

    def init(name: str, shape: tuple[int, ...], std: float) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.normal(0, std, shape).astype(np.float32), name)

    inits = [
        init("w1", (16, 3, 3, 3), 0.3),
        init("b1", (16,), 0.1),
        init("w2", (16, 16, 3, 3), 0.1),
        init("b2", (16,), 0.1),
        init("w3", (16, 16, 1, 1), 0.1),
        init("fc", (10, 16), 0.1),
        init("fcb", (10,), 0.1),
    ]
    node = helper.make_node
    nodes = [
        node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        node("Relu", ["c1"], ["r1"], name="relu1"),
        node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        node("Relu", ["c2"], ["r2"], name="relu2"),
        node("Conv", ["r2", "w3"], ["c3"], name="conv3"),
        node("Add", ["c3", "p1"], ["a3"], name="add3"),
        node("Relu", ["a3"], ["r3"], name="relu3"),
        node("GlobalAveragePool", ["r3"], ["g"], name="gap"),
        node("Flatten", ["g"], ["f"], name="flatten"),
        node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def images(count: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 1, 3, 8, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def quantized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "small_qdq.onnx"
    path.write_bytes(quantize_model(small_model(), images(8, seed=0)).SerializeToString())
    return path


@pytest.fixture(scope="module")
def network(quantized: Path) -> tuple:
    imported = import_model(quantized)
    return imported, compile_network(imported)


def test_quantized_model_has_power_of_two_symmetric_scales(quantized: Path) -> None:
    model = onnx.load(str(quantized))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    scales = [inits[n.input[1]] for n in model.graph.node if n.op_type.endswith("quantizeLinear")]
    assert scales and all(np.log2(s) == np.round(np.log2(s)) for s in scales)
    zeros = [inits[n.input[2]] for n in model.graph.node if "quantizeLinear" in n.op_type]
    assert all(z == 0 for z in zeros)
    (out,) = onnxruntime_runner(quantized)({"x": images(1)[0]}).values()  # type: ignore[misc]
    assert out.shape == (1, 10) and out.dtype == np.float32


def test_half_even_import_equals_onnxruntime(quantized: Path) -> None:
    """With ONNX's rounding on the host, the imported function computes onnxruntime's
    result exactly."""
    imported = import_model(quantized, rounding="half-even")
    run = onnxruntime_runner(quantized)
    (b,), (o,) = imported.inputs, imported.outputs
    for image in images(6):
        x = np.clip(np.rint(image / 2.0**b.exp), -128, 127).astype(np.int8)
        (got,) = reference_run(imported.module, {b.value: x})
        want = run({"x": image})["y"]  # type: ignore[misc]
        assert np.array_equal(got * 2.0**o.exp, want)


def test_partition_places_by_table(network: tuple) -> None:
    imported, _ = network
    steps = partition(imported.module).steps
    assert [(s.kind, s.name) for s in steps] == [
        ("vta", "conv1"),
        ("host", "pool1"),
        ("vta", "conv2+conv3"),
        ("host", "add3+r3.quantize+gap+g.quantize+flatten"),
        ("vta", "fc"),
    ]
    assert PLACEMENT[type(next(iter(steps[1].function.body.block.ops)))] is Placement.HOST
    unchained = partition(imported.module, chain=False).steps
    assert [s.name for s in unchained if s.kind == "vta"] == ["conv1", "conv2", "conv3", "fc"]


def test_network_matches_reference_and_onnxruntime_up_to_ties(
    network: tuple, quantized: Path
) -> None:
    """On VTA (half-up) the network is bit-exact with the reference; against onnxruntime each
    quantized tensor differs only where the requantization met a tie, by one step."""
    imported, net = network
    tensors = sorted(set(imported.tensors.values()))
    run_ort = onnxruntime_runner(quantized, tensors)
    ties = 0
    for image in images(4):
        run = net.run({"x": image})
        inputs = net.quantized_inputs({"x": image})
        (want,) = reference_run(imported.module, inputs)
        assert np.array_equal(run.values[imported.outputs[0].value], want)
        theirs = run_ort({"x": image})  # type: ignore[misc]
        checks = check_tensors(imported.module, inputs, imported.tensors, theirs)
        assert len(checks) == len(tensors)
        assert all(c.outside_ties == 0 and c.largest <= 1 for c in checks)
        ties += sum(c.ties for c in checks)
        differ, _ = compare(run.outputs, theirs, net)["y"]
        assert differ <= 10
    assert ties > 0  # the test inputs do meet ties: the check above is not vacuous
    kinds = [t.kind for t in run.times]
    assert kinds == ["vta", "host", "vta", "vta", "host", "vta"]
    assert all(t.cycles > 0 for t in run.times if t.kind == "vta")


def test_network_image_round_trip(network: tuple, tmp_path: Path) -> None:
    _, net = network
    net.save(tmp_path / "net")
    manifest = json.loads((tmp_path / "net" / "network.json").read_text())
    assert [s["kind"] for s in manifest["steps"]] == ["vta", "host", "vta", "host", "vta"]
    assert manifest["inputs"][0] | {"value": None} == {
        "name": "x",
        "shape": [1, 3, 8, 8],
        "dtype": "float32",
        "value": None,
        "exp": manifest["inputs"][0]["exp"],
        "divisor": 1,
    }
    loaded = Network.load(tmp_path / "net")
    image = images(1)[0]
    assert np.array_equal(loaded.run({"x": image}).outputs["y"], net.run({"x": image}).outputs["y"])


def test_cli_import_run_compile_sim(
    quantized: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlir = tmp_path / "small.mlir"
    assert main(["import", str(quantized), "-o", str(mlir)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {mlir}: @small")
    text = mlir.read_text()
    assert "graph input 'x': float32 [1, 3, 8, 8]" in text
    parse_ir(text)
    x = tmp_path / "x.npy"
    np.save(x, images(1)[0])
    assert main(["run", str(quantized), "--input", f"x={x}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("match") and "onnxruntime, output 'y'" in out
    assert "VTA   conv2" in out and "host  pool1" in out
    assert main(["compile", str(quantized), "-o", str(tmp_path / "net")]) == 0
    result = tmp_path / "out"
    assert (
        main(["sim", str(tmp_path / "net"), "--input", f"x={x}", "--output-dir", str(result)]) == 0
    )
    y = np.load(result / "y.npy")
    assert y.shape == (1, 10) and y.dtype == np.float32


def test_cli_refuses_forced_schedules(quantized: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(quantized), "--tiles", "oh=2"]) == 1
    assert "--tiles: forced choices apply to one function" in capsys.readouterr().err


def test_cli_quantize(tmp_path: Path) -> None:
    model, calibration = tmp_path / "f.onnx", tmp_path / "c.npy"
    model.write_bytes(small_model().SerializeToString())
    np.save(calibration, images(4)[:, 0])
    assert (
        main(
            [
                "quantize",
                str(model),
                "--calibrate",
                str(calibration),
                "-o",
                str(tmp_path / "q.onnx"),
            ]
        )
        == 0
    )
    assert import_model(tmp_path / "q.onnx").outputs[0].dtype == "float32"


def test_clip_and_average_pool_import(tmp_path: Path) -> None:
    """Clip (ReLU6) after a convolution and a padded AveragePool counting its padding: the
    imported function equals onnxruntime's result (half-even)."""
    rng = np.random.default_rng(6)
    w = numpy_helper.from_array(rng.normal(0, 0.3, (16, 3, 3, 3)).astype(np.float32), "w")
    low = numpy_helper.from_array(np.array(0.0, np.float32), "low")
    high = numpy_helper.from_array(np.array(6.0, np.float32), "high")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Clip", ["c", "low", "high"], ["r"], name="relu6"),
        helper.make_node(
            "AveragePool",
            ["r"],
            ["y"],
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
            count_include_pad=1,
            name="pool",
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "clip",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 4, 4])],
        [w, low, high],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    quantized = quantize_model(model, 3 * images(4, seed=7))
    imported = import_model(quantized, rounding="half-even")
    run = onnxruntime_runner(quantized)
    (b,), (o,) = imported.inputs, imported.outputs
    for image in 3 * images(3, seed=8):
        x = np.clip(np.rint(image / 2.0**b.exp), -128, 127).astype(np.int8)
        (got,) = reference_run(imported.module, {b.value: x})
        assert np.array_equal(got * 2.0**o.exp, run({"x": image})["y"])  # type: ignore[misc]


def qlinear_model() -> onnx.ModelProto:
    """int8 in, int8 out: QLinearConv then QLinearMatMul through a Flatten."""
    rng = np.random.default_rng(3)
    scalar = lambda name, value, kind: helper.make_tensor(name, kind, [], [value])  # noqa: E731
    inits = [
        scalar("s_x", 2.0**-4, TensorProto.FLOAT),
        scalar("s_w", 2.0**-6, TensorProto.FLOAT),
        scalar("s_y", 2.0**-3, TensorProto.FLOAT),
        scalar("s_z", 2.0**-2, TensorProto.FLOAT),
        scalar("zp", 0, TensorProto.INT8),
        numpy_helper.from_array(rng.integers(-128, 128, (16, 16, 3, 3)).astype(np.int8), "w"),
        numpy_helper.from_array(rng.integers(-600, 600, 16).astype(np.int32), "b"),
        numpy_helper.from_array(rng.integers(-128, 128, (256, 16)).astype(np.int8), "m"),
    ]
    nodes = [
        helper.make_node(
            "QLinearConv",
            ["x", "s_x", "zp", "w", "s_w", "zp", "s_y", "zp", "b"],
            ["y"],
            pads=[1, 1, 1, 1],
            name="qconv",
        ),
        helper.make_node("Flatten", ["y"], ["f"], name="flatten"),
        helper.make_node(
            "QLinearMatMul", ["f", "s_y", "zp", "m", "s_w", "zp", "s_z", "zp"], ["z"], name="qmm"
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "qlinear",
        [helper.make_tensor_value_info("x", TensorProto.INT8, [1, 16, 4, 4])],
        [helper.make_tensor_value_info("z", TensorProto.INT8, [1, 16])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_qlinear_int8_graph(tmp_path: Path) -> None:
    """QLinear operators with int8 graph inputs and outputs: int8 arrays in and out, equal to
    onnxruntime's in the half-even rounding."""
    path = tmp_path / "q.onnx"
    path.write_bytes(qlinear_model().SerializeToString())
    net = compile_network(import_model(path, rounding="half-even"))
    x = np.random.default_rng(4).integers(-128, 128, (1, 16, 4, 4)).astype(np.int8)
    got = net.run({"x": x}).outputs["z"]
    assert got.dtype == np.int8 and got.shape == (1, 16)
    assert np.array_equal(got, onnxruntime_runner(path)({"x": x})["z"])  # type: ignore[misc]


def test_rescale_rounds_half_to_even_exactly() -> None:
    x = np.array([-5, -3, -1, 1, 3, 5, 7, 2**31 - 1, -(2**31)], dtype=np.int32)
    assert rescale(x, 1, 2).tolist() == [-2, -2, 0, 0, 2, 2, 4, 2**30, -(2**30)]
    big = np.array([123456789], dtype=np.int32)
    assert rescale(big, 2**30, 3 * 2**30).tolist() == [41152263]  # 123456789 / 3 exactly
    assert rescale(np.array([2], dtype=np.int32), 1, 4).tolist() == [0]  # 0.5 -> 0


# --- refused models: the message names the node, the operator and the reason -------------------


def _with(node: onnx.NodeProto, inputs: list[onnx.ValueInfoProto], inits: list) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node], "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_unknown_operator_is_named(network: tuple) -> None:
    model = _with(
        helper.make_node("Softmax", ["x"], ["y"], name="probs"),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
        [],
    )
    with pytest.raises(OnnxError, match=r"node 'probs' \(Softmax\): vtac does not import this"):
        import_model(model)


def test_non_power_of_two_scale_is_refused() -> None:
    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.3])
    model = _with(
        helper.make_node("QuantizeLinear", ["x", "s"], ["y"], name="q0"),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [scale],
    )
    with pytest.raises(
        OnnxError, match=r"node 'q0' \(QuantizeLinear\): y_scale 0.3\d* is not a power of two"
    ):
        import_model(model)


def test_dynamic_shape_is_refused() -> None:
    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.25])
    model = _with(
        helper.make_node("QuantizeLinear", ["x", "s"], ["y"], name="q0"),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [scale],
    )
    with pytest.raises(
        OnnxError, match=r"node 'q0' \(QuantizeLinear\): graph input 'x' has a dynamic shape"
    ):
        import_model(model)


def test_malformed_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x08\x07garbage that is not a protobuf \xff\xfe")
    with pytest.raises(OnnxError, match=r"bad.onnx: not an ONNX model"):
        import_model(path)
    assert main(["import", str(path), "-o", str(tmp_path / "f.mlir")]) == 1
    assert "vtac: error:" in capsys.readouterr().err
    broken = _with(  # decodes, but a node reads an undefined tensor
        helper.make_node("Relu", ["nowhere"], ["y"], name="r"),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [],
    )
    with pytest.raises(OnnxError, match=r"malformed ONNX model"):
        import_model(broken)


# --- the full tier -------------------------------------------------------------------------------


@pytest.mark.skipif(not FULL, reason="in the full tier: VTAC_FULL_SUITE=1")
@pytest.mark.parametrize("rounding", ["half-up", "half-even"])
def test_small_resnet18_end_to_end(rounding: str) -> None:
    """ResNet-18's architecture at width 16 on 32x32 images: bit-exact with the reference; in
    the half-even rounding equal to onnxruntime, in the half-up one up to ties."""
    from vtac.frontends.onnx.models import resnet18

    rng = np.random.default_rng(5)
    model = quantize_model(
        resnet18(0, 16, 32, 10), rng.standard_normal((4, 1, 3, 32, 32)).astype(np.float32)
    )
    imported = import_model(model, rounding=rounding)
    net = compile_network(imported)
    run_ort = onnxruntime_runner(model, sorted(set(imported.tensors.values())))
    image = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
    run = net.run({"input": image})
    inputs = net.quantized_inputs({"input": image})
    (want,) = reference_run(imported.module, inputs)
    assert np.array_equal(run.values[imported.outputs[0].value], want)
    theirs = run_ort({"input": image})  # type: ignore[misc]
    if rounding == "half-even":
        assert compare(run.outputs, theirs, net)["logits"] == (0, 0)
    checks = check_tensors(imported.module, inputs, imported.tensors, theirs)
    assert all(c.outside_ties == 0 and c.largest <= 1 for c in checks)
