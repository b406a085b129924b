"""Float ONNX models built in place, without downloads: ResNet-18 (torchvision's architecture)
with seeded random weights, at full size or scaled down for tests.

The weights follow torchvision's initialisation (Kaiming-normal convolutions, fan-out, ReLU
gain; a uniform fully connected layer), and each convolution's batch normalisation, with seeded
random statistics, is folded into the convolution's weights and bias as inference does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vtac.frontends.onnx import require_onnx


class _Builder:
    def __init__(self, seed: int) -> None:
        self.onnx = require_onnx()
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def weight(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv_bn(self, x: str, name: str, cin: int, cout: int, k: int, stride: int) -> str:
        """A bias-free convolution and its batch normalisation, folded into one Conv."""
        std = np.sqrt(2.0 / (cout * k * k))
        w = self.rng.normal(0.0, std, (cout, cin, k, k))
        gamma = self.rng.uniform(0.5, 1.5, cout)
        beta = self.rng.normal(0.0, 0.1, cout)
        mean = self.rng.normal(0.0, 0.1, cout)
        var = self.rng.uniform(0.5, 1.5, cout)
        scale = gamma / np.sqrt(var + 1e-5)
        weights = self.weight(f"{name}.weight", w * scale[:, None, None, None])
        bias = self.weight(f"{name}.bias", beta - mean * scale)
        pad = k // 2
        return self.node(
            "Conv",
            [x, weights, bias],
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad, pad, pad, pad],
        )

    def block(self, x: str, name: str, cin: int, cout: int, stride: int) -> str:
        """torchvision's BasicBlock: two 3x3 convolutions and the residual (a strided 1x1
        convolution when the shape changes)."""
        y = self.node(
            "Relu", [self.conv_bn(x, f"{name}.conv1", cin, cout, 3, stride)], f"{name}.relu1"
        )
        y = self.conv_bn(y, f"{name}.conv2", cout, cout, 3, 1)
        shortcut = x
        if stride != 1 or cin != cout:
            shortcut = self.conv_bn(x, f"{name}.downsample", cin, cout, 1, stride)
        added = self.node("Add", [y, shortcut], f"{name}.add")
        return self.node("Relu", [added], f"{name}.relu2")


def resnet18(
    seed: int = 0,
    width: int = 64,
    image_size: int = 224,
    classes: int = 1000,
    blocks: Sequence[int] = (2, 2, 2, 2),
) -> Any:
    """ResNet-18 as a float ONNX model (opset 17): input ``input`` [1, 3, S, S], output
    ``logits`` [1, classes]. ``width`` (64), ``image_size`` (224), ``classes`` and ``blocks``
    per stage scale it down for tests."""
    b = _Builder(seed)
    onnx = b.onnx
    x = b.conv_bn("input", "conv1", 3, width, 7, 2)
    x = b.node("Relu", [x], "relu")
    x = b.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = width
    for stage, count in enumerate(blocks):
        cout = width * 2**stage
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            x = b.block(x, f"layer{stage + 1}.{i}", cin, cout, stride)
            cin = cout
    x = b.node("GlobalAveragePool", [x], "avgpool")
    x = b.node("Flatten", [x], "flatten", axis=1)
    bound = 1.0 / np.sqrt(cin)
    fc_w = b.weight("fc.weight", b.rng.uniform(-bound, bound, (classes, cin)))
    fc_b = b.weight("fc.bias", b.rng.uniform(-bound, bound, classes))
    b.nodes.append(onnx.helper.make_node("Gemm", [x, fc_w, fc_b], ["logits"], name="fc", transB=1))
    graph = onnx.helper.make_graph(
        b.nodes,
        "resnet18",
        [
            onnx.helper.make_tensor_value_info(
                "input", onnx.TensorProto.FLOAT, [1, 3, image_size, image_size]
            )
        ],
        [onnx.helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, [1, classes])],
        b.inits,
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
