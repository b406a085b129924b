"""Float ONNX models to QDQ models with power-of-two scales (``vtac quantize``).

Every scale is a power of two, per tensor, symmetric (zero points 0), int8: ``2**e`` with the
smallest ``e`` for which the largest magnitude seen fits in 127 steps. Activations take their
range from running the float model (onnxruntime) on calibration inputs; weights from their own
values; biases are int32 at the input scale times the weight scale, as ONNX's QDQ form wants.

What is quantized: the graph's float inputs and the output of every node, except a
contraction's or an add's output read only by one Relu or Clip (the activation is quantized
after it, so its range is not wasted on negatives), and except MaxPool, Flatten, Reshape and
Identity outputs, which keep their input's scale (they move values, so requantizing them would
only round). Weights and biases of Conv and Gemm (and MatMul's constant operand) become integer
initializers behind DequantizeLinear nodes. Every tensor keeps its name: a quantized tensor
``t`` is computed as ``t.float``, then ``QuantizeLinear -> t.q -> DequantizeLinear -> t``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vtac.frontends.onnx import OnnxError, require_onnx
from vtac.frontends.onnx.importer import MIN_OPSET, load_model

#: Operators whose output keeps the input's scale (they select or move values).
SCALE_PRESERVING = ("MaxPool", "Flatten", "Reshape", "Identity")
#: Operators a following Relu or Clip is fused with (quantized after the activation).
FUSES_ACTIVATION = ("Conv", "Gemm", "MatMul", "Add")
ACTIVATIONS = ("Relu", "Clip")
#: Operator -> (weight input index, bias input index or None).
WEIGHTED = {"Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1, None)}


def power_of_two_exponent(max_abs: float, levels: int = 127) -> int:
    """The smallest ``e`` with ``max_abs / 2**e <= levels`` (0 for an all-zero tensor)."""
    if max_abs <= 0 or not math.isfinite(max_abs):
        return 0
    return math.ceil(math.log2(max_abs / levels))


def _run_float(
    model: Any, names: Sequence[str], samples: dict[str, np.ndarray]
) -> dict[str, float]:
    """The largest magnitude of each tensor in ``names`` over the calibration samples."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise OnnxError(
            "calibration runs the float model on onnxruntime: pip install onnxruntime"
        ) from None

    onnx = require_onnx()
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    outputs = {o.name for o in probe.graph.output}
    for name in names:
        if name not in outputs:
            probe.graph.output.append(
                onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
            )
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    wanted = list(names)
    ranges = dict.fromkeys(wanted, 0.0)
    count = len(next(iter(samples.values())))
    for i in range(count):
        feed = {name: array[i] for name, array in samples.items()}
        for name, value in zip(wanted, session.run(wanted, feed), strict=True):
            ranges[name] = max(ranges[name], float(np.max(np.abs(value))) if value.size else 0.0)
    return ranges


def _samples(model: Any, calibration: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Calibration arrays by input name, each a batch of inputs of the graph's shape."""
    onnx = require_onnx()
    initialized = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initialized]
    result = {}
    for graph_input in inputs:
        if graph_input.name not in calibration:
            raise OnnxError(f"no calibration data for the graph input {graph_input.name!r}")
        shape = tuple(d.dim_value for d in graph_input.type.tensor_type.shape.dim)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(graph_input.type.tensor_type.elem_type)
        if dtype != np.float32:
            raise OnnxError(
                f"graph input {graph_input.name!r} is {dtype}: vtac quantize takes float models"
            )
        data = np.asarray(calibration[graph_input.name], dtype=np.float32)
        if data.shape == shape:
            data = data[None]
        elif data.shape[1:] != shape:
            if shape[0] == 1 and data.shape[1:] == shape[1:]:
                data = data[:, None]
            else:
                raise OnnxError(
                    f"calibration data for {graph_input.name!r} has shape {data.shape}: expected "
                    f"{shape} or a batch of them"
                )
        result[graph_input.name] = data
    return result


def quantize_model(
    source: str | Path | Any, calibration: np.ndarray | dict[str, np.ndarray]
) -> Any:
    """The QDQ ``ModelProto`` of a float model (a path or a ``ModelProto``); ``calibration`` is a
    batch of inputs (an array for a one-input model, else arrays by input name)."""
    onnx = require_onnx()
    from onnx import helper

    model = load_model(source)
    graph = model.graph
    initialized = {i.name: i for i in graph.initializer}
    graph_inputs = [i.name for i in graph.input if i.name not in initialized]
    if not isinstance(calibration, dict):
        if len(graph_inputs) != 1:
            raise OnnxError(f"the model has inputs {graph_inputs}: give calibration data by name")
        calibration = {graph_inputs[0]: calibration}
    samples = _samples(model, calibration)

    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    produced_by = {out: node for node in graph.node for out in node.output}
    weights = {
        node.input[at]
        for node in graph.node
        if node.op_type in WEIGHTED
        for at in WEIGHTED[node.op_type]
        if at is not None and len(node.input) > at and node.input[at] in initialized
    }

    def fused(node: Any, name: str) -> bool:
        users = consumers.get(name, [])
        graph_output = any(o.name == name for o in graph.output)
        return (
            node.op_type in FUSES_ACTIVATION
            and len(users) == 1
            and users[0].op_type in ACTIVATIONS
            and not graph_output
        )

    activations = list(graph_inputs)
    for node in graph.node:
        if node.op_type in ("Constant",) or node.op_type in SCALE_PRESERVING:
            continue
        activations += [out for out in node.output if out and not fused(node, out)]
    ranges = _run_float(model, [a for a in activations if a not in graph_inputs], samples)
    for name in graph_inputs:
        ranges[name] = float(np.max(np.abs(samples[name])))
    exps = {name: power_of_two_exponent(ranges[name]) for name in activations}

    def exp_of(name: str) -> int:
        """The exponent of an activation tensor (through scale-preserving ops)."""
        while name not in exps:
            node = produced_by.get(name)
            if node is None:
                raise OnnxError(f"tensor {name!r} has no quantization scale")
            name = node.input[0]
        return exps[name]

    def qdq(name: str, exp: int, source: str, target: str) -> list[Any]:
        scale = helper.make_tensor(f"{name}.scale", onnx.TensorProto.FLOAT, [], [2.0**exp])
        zero = helper.make_tensor(f"{name}.zero", onnx.TensorProto.INT8, [], [0])
        new_inits.extend([scale, zero])
        return [
            helper.make_node(
                "QuantizeLinear",
                [source, scale.name, zero.name],
                [f"{name}.q"],
                name=f"{name}.quantize",
            ),
            helper.make_node(
                "DequantizeLinear",
                [f"{name}.q", scale.name, zero.name],
                [target],
                name=f"{name}.dequantize",
            ),
        ]

    new_inits: list[Any] = []
    nodes: list[Any] = []
    renamed: dict[str, str] = {}
    for name in graph_inputs:
        nodes += qdq(name, exps[name], name, f"{name}.dq")
        renamed[name] = f"{name}.dq"
    for name in sorted(weights):
        nodes += _quantized_constant(name, initialized[name], graph, exp_of, new_inits)
    for node in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        for i, name in enumerate(copy.input):
            copy.input[i] = renamed.get(name, name)
        tails = []
        for i, name in enumerate(copy.output):
            if name in exps and name not in graph_inputs:
                copy.output[i] = f"{name}.float"
                tails += qdq(name, exps[name], f"{name}.float", name)
        nodes += [copy, *tails]
    kept = [i for i in graph.initializer if i.name not in weights]
    new_graph = helper.make_graph(
        nodes, graph.name or "model", list(graph.input), list(graph.output), kept + new_inits
    )
    opset = max(
        MIN_OPSET, next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    )
    quantized = helper.make_model(new_graph, opset_imports=[helper.make_opsetid("", opset)])
    quantized.ir_version = model.ir_version
    onnx.checker.check_model(quantized)
    return quantized


def _quantized_constant(
    name: str, init: Any, graph: Any, exp_of: Any, new_inits: list[Any]
) -> list[Any]:
    """An int8 weight (or int32 bias) initializer and the DequantizeLinear that yields ``name``."""
    onnx = require_onnx()
    from onnx import helper, numpy_helper

    values = numpy_helper.to_array(init).astype(np.float64)
    users = [(node, list(node.input).index(name)) for node in graph.node if name in node.input]
    node, at = users[0]
    bias_at = WEIGHTED.get(node.op_type, (None, None))[1]
    if at == bias_at:
        weight = numpy_helper.to_array(
            next(i for i in graph.initializer if i.name == node.input[1])
        )
        exp = exp_of(node.input[0]) + power_of_two_exponent(float(np.max(np.abs(weight))))
        q = np.rint(values / 2.0**exp)
        if np.abs(q).max(initial=0) >= 2**31:
            raise OnnxError(f"bias {name!r} does not fit int32 at scale 2**{exp}")
        data, kind = q.astype(np.int32), onnx.TensorProto.INT32
    else:
        exp = power_of_two_exponent(float(np.max(np.abs(values))) if values.size else 0.0)
        data, kind = (
            np.clip(np.rint(values / 2.0**exp), -128, 127).astype(np.int8),
            onnx.TensorProto.INT8,
        )
    stored = numpy_helper.from_array(data, f"{name}.q")
    scale = helper.make_tensor(f"{name}.scale", onnx.TensorProto.FLOAT, [], [2.0**exp])
    zero = helper.make_tensor(f"{name}.zero", kind, [], [0])
    new_inits.extend([stored, scale, zero])
    return [
        helper.make_node(
            "DequantizeLinear",
            [stored.name, scale.name, zero.name],
            [name],
            name=f"{name}.dequantize",
        )
    ]
