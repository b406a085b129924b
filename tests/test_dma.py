"""DMA planning: boxes of element tensors as 2D strided, zero-padded transfers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.backends.vta.dma import DmaError, Transfer, plan_box


def execute(tensor: np.ndarray, transfers: list[Transfer], entries: int) -> np.ndarray:
    """What the transfers leave in SRAM (per vta-isa.md section 3), one integer per element."""
    flat = tensor.reshape(-1)
    sram = np.full(entries, -1, dtype=np.int64)
    for t in transfers:
        width = t.x_pad_0 + t.x_size + t.x_pad_1
        rect = np.zeros((t.y_pad_0 + t.y_size + t.y_pad_1, width), dtype=np.int64)
        for y in range(t.y_size):
            start = t.dram_offset + y * t.x_stride
            rect[t.y_pad_0 + y, t.x_pad_0 : t.x_pad_0 + t.x_size] = flat[start : start + t.x_size]
        sram[t.sram_offset : t.sram_offset + rect.size] = rect.reshape(-1)
    return sram


def expected_box(tensor: np.ndarray, origin: tuple[int, ...], size: tuple[int, ...]) -> np.ndarray:
    pad = [
        (max(0, -o), max(0, o + s - n)) for n, o, s in zip(tensor.shape, origin, size, strict=True)
    ]
    padded = np.pad(tensor, pad)
    index = tuple(slice(o + p[0], o + p[0] + s) for o, s, p in zip(origin, size, pad, strict=True))
    return padded[index].reshape(-1)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_box_lands_as_row_major_sram_box(data: st.DataObject) -> None:
    rank = data.draw(st.integers(1, 4))
    shape = tuple(data.draw(st.integers(1, 7)) for _ in range(rank))
    origin, size = [], []
    for dim, n in enumerate(shape):
        padded = dim >= rank - 2
        lo = data.draw(st.integers(-2 if padded else 0, n - 1))
        hi = data.draw(st.integers(max(lo + 1, 1), n + (2 if padded else 0)))
        origin.append(lo)
        size.append(hi - lo)
    tensor = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) + 1
    transfers = plan_box(shape, tuple(origin), tuple(size))
    sram = execute(tensor, transfers, int(np.prod(size)))
    np.testing.assert_array_equal(sram, expected_box(tensor, tuple(origin), tuple(size)))


def test_full_rows_merge_into_one_transfer() -> None:
    (t,) = plan_box((35, 128), (5, 0), (10, 128))
    assert (t.y_size, t.x_size, t.dram_offset) == (1, 1280, 640)


def test_conv_window_uses_load_padding() -> None:
    transfers = plan_box((4, 58, 58), (1, -1, -1), (2, 10, 58))
    assert len(transfers) == 2
    assert (transfers[0].y_pad_0, transfers[0].x_pad_0, transfers[0].x_size) == (1, 1, 57)


def test_limits_are_named() -> None:
    with pytest.raises(DmaError, match="padding of 16"):
        plan_box((4, 40), (-16, 0), (20, 40))
    with pytest.raises(DmaError, match="leaves dimension 0"):
        plan_box((4, 5, 5), (3, 0, 0), (2, 5, 5))
    with pytest.raises(DmaError, match="not positive"):
        plan_box((4, 5), (0, 0), (0, 5))
