"""A small CNN trained on scikit-learn's bundled 8x8 digits, exported to ONNX, quantized with
power-of-two scales and run on VTA: test accuracy of the float model, of onnxruntime on the
quantized model, and of vtac (the whole network on the simulator).

Needs numpy, onnx, onnxruntime and scikit-learn (the digits ship with it: no download). The
network: conv 3x3 (1 -> 16) + ReLU, max-pool 2, conv 3x3 (16 -> 32) + ReLU, max-pool 2,
flatten, dense (128 -> 10); trained with Adam on numpy (about a minute).

    python examples/digits_cnn.py [--epochs 30] [--seed 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def im2col(x: np.ndarray) -> np.ndarray:
    """3x3 patches of NCHW ``x`` (padding 1) as rows [N*H*W, C*9], channel-major like OIHW."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    taps = np.stack([xp[:, :, i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=2)
    return taps.transpose(0, 3, 4, 1, 2).reshape(n * h * w, c * 9)


def col2im(cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of :func:`im2col`: rows back onto the (unpadded) input."""
    n, c, h, w = shape
    taps = cols.reshape(n, h, w, c, 9).transpose(0, 3, 4, 1, 2)
    grad = np.zeros((n, c, h + 2, w + 2))
    for t in range(9):
        i, j = divmod(t, 3)
        grad[:, :, i : i + h, j : j + w] += taps[:, :, t]
    return grad[:, :, 1:-1, 1:-1]


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, _, h, wd = x.shape
    cols = im2col(x)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def pool(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def pool_grad(x: np.ndarray, pooled: np.ndarray, grad: np.ndarray) -> np.ndarray:
    up = np.repeat(np.repeat(pooled, 2, axis=2), 2, axis=3)
    mask = x == up
    return mask * np.repeat(np.repeat(grad, 2, axis=2), 2, axis=3)


def forward(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, dict]:
    z1, c1 = conv(x, params["w1"], params["b1"])
    a1 = np.maximum(z1, 0)
    p1 = pool(a1)
    z2, c2 = conv(p1, params["w2"], params["b2"])
    a2 = np.maximum(z2, 0)
    p2 = pool(a2)
    f = p2.reshape(len(x), -1)
    logits = f @ params["wf"].T + params["bf"]
    return logits, dict(x=x, z1=z1, c1=c1, a1=a1, p1=p1, z2=z2, c2=c2, a2=a2, p2=p2, f=f)


def gradients(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict:
    logits, s = forward(params, x)
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    prob[np.arange(len(y)), y] -= 1
    d = prob / len(y)
    g = {"wf": d.T @ s["f"], "bf": d.sum(0)}
    dp2 = (d @ params["wf"]).reshape(s["p2"].shape)
    dz2 = pool_grad(s["a2"], s["p2"], dp2) * (s["z2"] > 0)
    rows2 = dz2.transpose(0, 2, 3, 1).reshape(-1, dz2.shape[1])
    g["w2"] = (rows2.T @ s["c2"]).reshape(params["w2"].shape)
    g["b2"] = rows2.sum(0)
    dp1 = col2im(rows2 @ params["w2"].reshape(len(params["w2"]), -1), s["p1"].shape)
    dz1 = pool_grad(s["a1"], s["p1"], dp1) * (s["z1"] > 0)
    rows1 = dz1.transpose(0, 2, 3, 1).reshape(-1, dz1.shape[1])
    g["w1"] = (rows1.T @ s["c1"]).reshape(params["w1"].shape)
    g["b1"] = rows1.sum(0)
    return g


def train(x: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {
        "w1": rng.normal(0, np.sqrt(2 / 9), (16, 1, 3, 3)),
        "b1": np.zeros(16),
        "w2": rng.normal(0, np.sqrt(2 / 144), (32, 16, 3, 3)),
        "b2": np.zeros(32),
        "wf": rng.normal(0, np.sqrt(1 / 128), (10, 128)),
        "bf": np.zeros(10),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for at in range(0, len(x), 32):
            batch = order[at : at + 32]
            step += 1
            for k, grad in gradients(params, x[batch], y[batch]).items():
                m[k] = 0.9 * m[k] + 0.1 * grad
                v[k] = 0.999 * v[k] + 0.001 * grad**2
                mhat, vhat = m[k] / (1 - 0.9**step), v[k] / (1 - 0.999**step)
                params[k] -= 2e-3 * mhat / (np.sqrt(vhat) + 1e-8)
    return params


def to_onnx(params: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """The trained network as a float ONNX model (opset 17), input ``image`` [1, 1, 8, 8]."""
    import onnx
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in params.items()]
    pads = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    window = {"kernel_shape": [2, 2], "strides": [2, 2]}
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["z1"], name="conv1", **pads),
        helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
        helper.make_node("MaxPool", ["a1"], ["p1"], name="pool1", **window),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["z2"], name="conv2", **pads),
        helper.make_node("Relu", ["z2"], ["a2"], name="relu2"),
        helper.make_node("MaxPool", ["a2"], ["p2"], name="pool2", **window),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_cnn",
        [helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def accuracy(predict, x: np.ndarray, y: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """The share of ``x`` whose largest logit under ``predict`` is the label."""
    hits = [int(np.argmax(predict(s[None]))) == label for s, label in zip(x, y, strict=True)]
    return float(np.mean(hits))


def main(argv: list[str] | None = None) -> int:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from vtac.frontends.onnx.commands import onnxruntime_runner
    from vtac.frontends.onnx.importer import import_model
    from vtac.frontends.onnx.network import compile_network
    from vtac.frontends.onnx.quantize import quantize_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calibration", type=int, default=64, help="training images (64)")
    parser.add_argument("--rounding", choices=("half-up", "half-even"), default="half-up")
    parser.add_argument("--out", help="write the float and quantized models here")
    args = parser.parse_args(argv)

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.2, random_state=args.seed, stratify=digits.target
    )
    start = time.perf_counter()
    params = train(x_train.astype(np.float64), y_train, args.epochs, args.seed)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s")
    model = to_onnx(params)
    quantized = quantize_model(model, x_train[: args.calibration][:, None])
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        Path(args.out, "digits_cnn.onnx").write_bytes(model.SerializeToString())
        Path(args.out, "digits_cnn_qdq.onnx").write_bytes(quantized.SerializeToString())

    float_run = onnxruntime_runner(model)
    quant_run = onnxruntime_runner(quantized)
    assert float_run is not None and quant_run is not None
    network = compile_network(import_model(quantized, rounding=args.rounding))
    vtac_name = f"vtac on VTA ({args.rounding})"
    results = {
        "float (numpy)": accuracy(lambda s: forward(params, s)[0], x_test, y_test),
        "float (onnxruntime)": accuracy(
            lambda s: float_run({"image": s})["logits"], x_test, y_test
        ),
        "quantized (onnxruntime)": accuracy(
            lambda s: quant_run({"image": s})["logits"], x_test, y_test
        ),
        vtac_name: accuracy(
            lambda s: network.run({"image": s}).outputs["logits"],
            x_test,
            y_test,
        ),
    }
    print(f"test set: {len(y_test)} images")
    for name, value in results.items():
        print(f"{name:<28} {value:.2%}")
    gap = results["float (numpy)"] - results[vtac_name]
    print(f"vtac is {gap * 100:+.2f} points below the float model")
    return 0 if gap <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
