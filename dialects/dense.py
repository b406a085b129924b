"""Integer dense elements attributes to and from numpy arrays, through their bytes (building or
reading a large constant element by element is slow)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, IntegerType, TensorType


def dense_attr(array: np.ndarray, element: IntegerType) -> DenseIntOrFPElementsAttr:
    """A dense elements attribute of ``element`` values holding ``array``."""
    dtype = np.dtype(f"<i{max(element.width.data // 8, 1)}")
    raw = np.ascontiguousarray(array, dtype=dtype).tobytes()
    return DenseIntOrFPElementsAttr(TensorType(element, array.shape), BytesAttr(raw))


def dense_values(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The values of an integer dense attribute, shaped like it (a splat expanded), as int64."""
    element = attr.get_element_type()
    if not isinstance(element, IntegerType) or element.width.data not in (8, 16, 32, 64):
        raise ValueError(f"expected a dense attribute of i8, i16, i32 or i64, got {element}")
    values = np.frombuffer(attr.data.data, dtype=f"<i{element.width.data // 8}")
    shape = attr.get_shape()
    if values.size == 1:
        return np.full(shape, values[0], dtype=np.int64)
    return values.astype(np.int64).reshape(shape)
