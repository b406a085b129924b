"""Mutators of valid inputs (IR text, binary files, JSON) for malformed-input fuzzing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

if TYPE_CHECKING:
    pass

#: Tokens a mutation puts in place of one character or token of valid IR.
IR_TOKENS = ("", "x", "%", "{", "}", "<", ">", "(", ")", "1", "-", ":", ",", "=", "i8", "nn.")
#: Element types and op names a mutation swaps in (wrong types, wrong ops).
IR_TYPES = ("i1", "i8", "i16", "i32", "i64", "f32", "index")
IR_OPS = tuple(f"nn.{op}" for op in ("dense", "matmul", "conv2d", "add", "relu", "shr", "clip"))
#: Integer literals, shape dimensions (``20x33``) included, not digits of names (``%v0``, ``i8``).
_IR_INTEGER = r"(?<![%@A-Za-wyz_\d])-?\d+"


@st.composite
def mutated_texts(draw: st.DrawFn, text: str) -> str:
    """``text`` with one mutation: cut short, a character replaced by a token, an integer (a
    shape, stride, padding, shift or bound) replaced by another, an element type or op name
    swapped, or a line deleted, duplicated or moved."""
    import re

    kind = draw(
        st.sampled_from(["truncate", "char", "integer", "type", "op", "line"]),
        label="mutation",
    )
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "char":
        where = draw(st.integers(0, max(len(text) - 1, 0)))
        return text[:where] + draw(st.sampled_from(IR_TOKENS)) + text[where + 1 :]
    patterns = {
        "integer": _IR_INTEGER,
        "type": r"\b(?:i1|i8|i16|i32|i64|f32|index)\b",
        "op": r"\bnn\.\w+",
    }
    if kind in patterns:
        spans = [m.span() for m in re.finditer(patterns[kind], text)]
        if not spans:
            return text
        lo, hi = draw(st.sampled_from(spans))
        if kind == "integer":
            value = draw(
                st.integers(-3, 70)
                | st.sampled_from([-129, 127, 128, 255, 256, 65535, 65536, 2**31, 2**63, 10**30])
            )
            replacement = str(value)
        else:
            replacement = draw(st.sampled_from(IR_TYPES if kind == "type" else IR_OPS))
        return text[:lo] + replacement + text[hi:]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["delete", "duplicate", "move"]))
    line = lines[i]
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(j, line)
    else:
        del lines[i]
        lines.insert(min(j, len(lines)), line)
    return "".join(lines)


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with bits flipped, bytes overwritten, cut short or extended."""
    kind = draw(st.sampled_from(["flip", "bytes", "truncate", "extend"]))
    if kind == "truncate":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=64))
    if not data:
        return data
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(out) - 1))
        if kind == "flip":
            out[where] ^= 1 << draw(st.integers(0, 7))
        else:
            out[where] = draw(st.integers(0, 255))
    return bytes(out)


@st.composite
def mutated_json(draw: st.DrawFn, text: str) -> str:
    """A JSON document with one value replaced (by another type, a negative, a huge number,
    a wrong string, ...) or one key deleted: still JSON, so it reaches the checks behind the
    parser."""
    import json

    doc = json.loads(text)
    paths: list[tuple[object, ...]] = []

    def walk(node: object, path: tuple[object, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(doc, ())
    path = draw(st.sampled_from(paths[1:] or paths))
    parent: object = doc
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if not path:
        return json.dumps(draw(st.sampled_from([None, [], 0, "x"])))
    old = parent[path[-1]]  # type: ignore[index]
    if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
        del parent[path[-1]]
        return json.dumps(doc)
    nearby = (
        st.integers(old - 3, old + 3)
        if isinstance(old, int) and not isinstance(old, bool)
        else st.nothing()
    )
    value = draw(
        nearby
        | st.sampled_from([None, True, -1, 0, 1, 255, 256, 4096, 2**32, 2**64, 1.5, "", "x"])
        | st.sampled_from([[], {}, [0], ["int8"], "int8", "input", "output", "uop", "int32"])
    )
    parent[path[-1]] = value  # type: ignore[index]
    return json.dumps(doc)
