"""nn programs of standard workloads as textual IR: GEMMs and convolutions with the
requantizing epilogue TVM's VTA flow used (shift right, per-channel bias, clip, cast to int8)."""

from __future__ import annotations


def matmul(m: int, n: int, k: int, epilogue: bool) -> str:
    """C = A B, optionally requantized to int8 (shr, bias add, clip, cast)."""
    t = f"tensor<{m}x{n}xi32>"
    body = f"  %c = nn.matmul %a, %b : (tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) -> {t}\n"
    result, rtype = "%c", t
    args = f"%a: tensor<{m}x{k}xi8>, %b: tensor<{k}x{n}xi8>"
    if epilogue:
        args += f", %bias: tensor<{n}xi32>"
        body += (
            f"  %s = nn.shr %c {{amount = 9 : i64}} : ({t}) -> {t}\n"
            f"  %d = nn.add %s, %bias : ({t}, tensor<{n}xi32>) -> {t}\n"
            f"  %e = nn.clip %d {{min = -128 : i64, max = 127 : i64}} : ({t}) -> {t}\n"
            f'  %y = nn.cast %e {{mode = "wrap"}} : ({t}) -> tensor<{m}x{n}xi8>\n'
        )
        result, rtype = "%y", f"tensor<{m}x{n}xi8>"
    return f"func.func @gemm({args}) -> {rtype} {{\n{body}  func.return {result} : {rtype}\n}}\n"


def conv(c: int, h: int, k: int, r: int, pad: int, stride: int, n: int = 1) -> str:
    """conv2d with TVM's requantizing epilogue (shr 8, bias, clip [0, 127], cast)."""
    oh = (h + 2 * pad - r) // stride + 1
    x, w = f"tensor<{n}x{c}x{h}x{h}xi8>", f"tensor<{k}x{c}x{r}x{r}xi8>"
    t = f"tensor<{n}x{k}x{oh}x{oh}xi32>"
    y = f"tensor<{n}x{k}x{oh}x{oh}xi8>"
    return (
        f"func.func @conv(%x: {x}, %w: {w}, %b: tensor<{k}xi32>) -> {y} {{\n"
        f"  %a = nn.conv2d %x, %w {{strides = array<i64: {stride}, {stride}>, padding = "
        f"array<i64: {pad}, {pad}, {pad}, {pad}>}} : ({x}, {w}) -> {t}\n"
        f"  %s = nn.shr %a {{amount = 8 : i64}} : ({t}) -> {t}\n"
        f"  %d = nn.add %s, %b : ({t}, tensor<{k}xi32>) -> {t}\n"
        f"  %e = nn.clip %d {{min = 0 : i64, max = 127 : i64}} : ({t}) -> {t}\n"
        f'  %o = nn.cast %e {{mode = "wrap"}} : ({t}) -> {y}\n'
        f"  func.return %o : {y}\n}}\n"
    )
