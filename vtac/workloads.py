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


def conv(
    c: int,
    h: int,
    k: int,
    r: int,
    pad: int,
    stride: int,
    n: int = 1,
    *,
    w: int | None = None,
    s: int | None = None,
    pad_w: int | None = None,
    stride_w: int | None = None,
) -> str:
    """conv2d (NCHW data, OIHW weights) with TVM's requantizing epilogue: shift right by 8,
    per-channel bias, clip to [0, 127], cast to int8. Square unless w, s, pad_w, stride_w say
    otherwise (``h``/``r``/``pad``/``stride`` are the height-wise values)."""
    w = h if w is None else w
    s = r if s is None else s
    pad_w = pad if pad_w is None else pad_w
    stride_w = stride if stride_w is None else stride_w
    oh = (h + 2 * pad - r) // stride + 1
    ow = (w + 2 * pad_w - s) // stride_w + 1
    x, wt = f"tensor<{n}x{c}x{h}x{w}xi8>", f"tensor<{k}x{c}x{r}x{s}xi8>"
    t = f"tensor<{n}x{k}x{oh}x{ow}xi32>"
    y = f"tensor<{n}x{k}x{oh}x{ow}xi8>"
    return (
        f"func.func @conv(%x: {x}, %w: {wt}, %b: tensor<{k}xi32>) -> {y} {{\n"
        f"  %a = nn.conv2d %x, %w {{strides = array<i64: {stride}, {stride_w}>, padding = "
        f"array<i64: {pad}, {pad_w}, {pad}, {pad_w}>}} : ({x}, {wt}) -> {t}\n"
        f"  %s = nn.shr %a {{amount = 8 : i64}} : ({t}) -> {t}\n"
        f"  %d = nn.add %s, %b : ({t}, tensor<{k}xi32>) -> {t}\n"
        f"  %e = nn.clip %d {{min = 0 : i64, max = 127 : i64}} : ({t}) -> {t}\n"
        f'  %o = nn.cast %e {{mode = "wrap"}} : ({t}) -> {y}\n'
        f"  func.return %o : {y}\n}}\n"
    )
