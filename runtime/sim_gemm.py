"""Exact batched execution of GEMM instructions for the functional simulator.

A GEMM runs ``iter_out x iter_in x micro-ops`` block products. Rather than one product per step,
a :class:`GemmPlan` arranges the steps as a few large matrix products:

- a loop whose destination factor is zero only accumulates: it joins the contraction (K) axis;
- a loop that moves the destination but not the weights adds rows to the left operand (M axis);
- a loop that moves both becomes a batch axis;
- micro-ops are grouped by destination: the products of one destination join the contraction
  axis, and destinations whose micro-ops read the same weight entries (a convolution's output
  pixels: one micro-op per kernel position) share a right operand, each adding a row.

The products run in float32 over float32 mirrors of the input and (transposed) weight buffers.
This is exact: an int8 product is at most 2^14 in magnitude, so a contraction of at most
1024 terms stays within 2^24, where every float32 integer is exact whatever the summation order.
Longer contractions are cut into chunks of 1024 terms summed in int64 (and a configuration with
BLOCK_IN above 1024 computes in float64). Destinations that repeat are summed in int64 at the
end; wrapping to int32 is the caller's.

A plan depends only on the instruction's loop fields and micro-ops, not on SRAM contents, so the
simulator builds it once per distinct instruction and reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vtac.runtime.isa import Gemm

#: Longest contraction whose float32 sum is exact (|int8 * int8| <= 2^14, 2^14 * 1024 = 2^24).
EXACT_F32_TERMS = 1024
#: Largest single matrix product (M*K*N multiply-adds) handed to BLAS. OpenBLAS runs larger
#: ones on several threads, which stalls for milliseconds when other processes keep the cores
#: busy; a series of single-threaded calls does not.
BLAS_CALL_MACS = 1 << 18
#: Most float values :meth:`GemmPlan.sums` gathers at once: a GEMM whose operands would take
#: more (up to ``MAX_STEPS`` block products, 32 GiB of weights) runs in slices of its products,
#: each slice's sums added to its targets in int64.
GATHER_VALUES = 1 << 24


@dataclass(frozen=True)
class _Loop:
    count: int
    dst: int
    src: int
    wgt: int


@dataclass(frozen=True)
class _Bucket:
    """Groups of destinations computed as one batched product.

    ``src`` indexes the input mirror, shaped [chunk?, batch loops..., G, row loops..., C, T];
    ``wgt`` indexes the transposed weight mirror, shaped [chunk?, batch loops..., G, T], where
    T counts the terms of the contraction (reduction loop iterations x micro-ops per
    destination); the first ``lead`` axes are the batch axes of the product.
    """

    src: np.ndarray
    wgt: np.ndarray
    lead: int
    chunked: bool


class GemmPlan:
    """How to compute one (non-reset) GEMM instruction's accumulator updates.

    ``uop_*`` are the decoded fields of its micro-ops; ``inp_zero`` and ``wgt_zero`` are the
    indices of the zero entries that end the float mirrors (the padding of cut contractions).
    Indices must have been bounds-checked by the caller.
    """

    def __init__(
        self,
        insn: Gemm,
        uop_dst: np.ndarray,
        uop_src: np.ndarray,
        uop_wgt: np.ndarray,
        block_in: int,
        inp_zero: int,
        wgt_zero: int,
    ) -> None:
        loops = [
            _Loop(n, d, s, w)
            for n, d, s, w in (
                (insn.iter_out, insn.dst_factor_out, insn.src_factor_out, insn.wgt_factor_out),
                (insn.iter_in, insn.dst_factor_in, insn.src_factor_in, insn.wgt_factor_in),
            )
            if n > 1
        ]
        self._reduce = [lp for lp in loops if lp.dst == 0]
        self._rows = [lp for lp in loops if lp.dst != 0 and lp.wgt == 0]
        self._batch = [lp for lp in loops if lp.dst != 0 and lp.wgt != 0]
        per_chunk = EXACT_F32_TERMS // block_in
        self.float64 = per_chunk == 0
        self.buckets: list[_Bucket] = []
        dsts = []
        for src_m, wgt_m, dst_m in _groups(uop_dst, uop_src, uop_wgt):
            src, wgt, dst = self._indices(src_m, wgt_m, dst_m)
            terms = src.shape[-1]
            chunked = 0 < per_chunk < terms
            if chunked:  # cut the contraction; the padding reads the zero entries
                chunks = -(-terms // per_chunk)
                src = _chunked(np.broadcast_to(src, dst.shape + (terms,)), chunks, inp_zero)
                wgt = _chunked(wgt, chunks, wgt_zero)
            self.buckets.append(_Bucket(src, wgt, len(self._batch) + 1 + chunked, chunked))
            dsts.append(dst.reshape(-1))
        dst = np.concatenate(dsts)
        self._dst = dst  # the destination of every product, in the order sums computes them
        order = np.argsort(dst, kind="stable")
        first = np.flatnonzero(np.diff(dst[order], prepend=-1))
        #: the distinct accumulator entries :meth:`sums` adds to, in its order
        self.targets: np.ndarray = dst
        self._order: np.ndarray | None = None  # products in target order, when repeated
        self._first: np.ndarray | None = None  # where each target starts among them
        self._repeats = 1  # products per target, when all have the same number
        if first.size < dst.size:
            self.targets, self._order = dst[order][first], order
            counts = np.diff(np.append(first, dst.size))
            if (counts == counts[0]).all():
                self._repeats = int(counts[0])
            else:
                self._first = first

    def _indices(
        self, src_m: np.ndarray, wgt_m: np.ndarray, dst_m: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Input, weight and destination indices of a bucket (see :class:`_Bucket`) from its
        micro-op fields: src [G, C, Q], wgt [G, Q], dst [G, C]."""
        nb, nr = len(self._batch), len(self._rows)
        groups, count, per_dst = src_m.shape
        red_src = _flat_offsets(self._reduce, "src")
        red_wgt = _flat_offsets(self._reduce, "wgt")
        terms = red_src.size * per_dst
        src = (src_m[:, :, None, :] + red_src[:, None]).reshape(groups, count, terms)
        wgt = (wgt_m[:, None, :] + red_wgt[:, None]).reshape(groups, terms)
        src = src.reshape([1] * nb + [groups] + [1] * nr + [count, terms])
        wgt = wgt.reshape([1] * nb + [groups, terms])
        dst = dst_m.reshape([1] * nb + [groups] + [1] * nr + [count])
        ndim = nb + nr + 3
        for k, lp in enumerate(self._batch):
            step = np.arange(lp.count, dtype=np.int64)
            src = src + _axis(step * lp.src, k, ndim)
            wgt = wgt + _axis(step * lp.wgt, k, nb + 2)
            dst = dst + _axis(step * lp.dst, k, ndim - 1)
        for k, lp in enumerate(self._rows):
            step = np.arange(lp.count, dtype=np.int64)
            src = src + _axis(step * lp.src, nb + 1 + k, ndim)
            dst = dst + _axis(step * lp.dst, nb + 1 + k, ndim - 1)
        return np.ascontiguousarray(src), np.ascontiguousarray(wgt), dst

    def sums(self, inp: np.ndarray, wgt_t: np.ndarray) -> np.ndarray:
        """What the GEMM adds to each of :attr:`targets`, exactly, as int64 [n, BATCH, BLOCK_OUT].

        ``inp`` is the float input mirror [depth + 1, BATCH, BLOCK_IN], ``wgt_t`` the float
        transposed weight mirror [depth + 1, BLOCK_IN, BLOCK_OUT], each ending in a zero entry.
        """
        batch, block_out = inp.shape[1], wgt_t.shape[2]
        gathered = sum(
            b.src.size * batch * inp.shape[2] + b.wgt.size * wgt_t.shape[1] * block_out
            for b in self.buckets
        )
        if gathered > GATHER_VALUES:
            return self._sliced_sums(inp, wgt_t)
        parts = []
        for bucket in self.buckets:
            left = np.take(inp, bucket.src, axis=0)  # [..., C, T, BATCH, BLOCK_IN]
            right = np.take(wgt_t, bucket.wgt, axis=0)  # [..., T, BLOCK_IN, BLOCK_OUT]
            lead = bucket.src.shape[: bucket.lead]
            terms = bucket.src.shape[-1]
            if batch > 1 and terms > 1:
                left = np.swapaxes(left, -3, -2)  # rows are (..., C, BATCH), K is (T, BLOCK_IN)
            depth = terms * inp.shape[2]
            left = left.reshape(lead + (-1, depth))
            right = right.reshape(lead + (depth, block_out))
            if self.float64:
                left, right = left.astype(np.float64), right.astype(np.float64)
            values = _matmul(left, right).astype(np.int64)
            if bucket.chunked:
                values = values.sum(axis=0)
            parts.append(values.reshape(-1, batch, block_out))
        values = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if self._order is None:
            return values
        values = values[self._order]
        if self._first is None:
            return values.reshape(-1, self._repeats, batch, block_out).sum(axis=1)
        return np.add.reduceat(values, self._first, axis=0)

    def _sliced_sums(self, inp: np.ndarray, wgt_t: np.ndarray) -> np.ndarray:
        """:meth:`sums` for operands too large to gather at once: each bucket's products in
        slices of at most about ``GATHER_VALUES`` gathered values (along the leading axes,
        then along the rows), each slice's results added to their targets in int64."""
        batch, block_in, block_out = inp.shape[1], inp.shape[2], wgt_t.shape[2]
        out = np.zeros((self.targets.size, batch, block_out), dtype=np.int64)
        target_of = np.searchsorted(self.targets, self._dst) if self._order is not None else None
        start = 0  # the bucket's first product among all of them
        for bucket in self.buckets:
            lead = int(np.prod(bucket.src.shape[: bucket.lead]))
            terms = bucket.src.shape[-1]
            src = bucket.src.reshape(lead, -1, terms)  # [L, R, T]
            wgt = bucket.wgt.reshape(lead, terms)  # [L, T]
            rows = src.shape[1]
            kept = lead // bucket.src.shape[0] if bucket.chunked else lead  # L per chunk
            per_lead = max(rows * terms * batch * block_in, terms * block_in * block_out)
            lead_step = max(1, GATHER_VALUES // per_lead)
            row_step = max(1, GATHER_VALUES // (terms * batch * block_in))
            for lo in range(0, lead, lead_step):
                leads = np.arange(lo, min(lead, lo + lead_step))
                right = np.take(wgt_t, wgt[leads], axis=0).reshape(leads.size, -1, block_out)
                if self.float64:
                    right = right.astype(np.float64)
                for r0 in range(0, rows, row_step):
                    r1 = min(rows, r0 + row_step)
                    left = np.take(inp, src[leads, r0:r1], axis=0)  # [l, r, T, BATCH, BLOCK_IN]
                    if batch > 1 and terms > 1:
                        left = np.swapaxes(left, -3, -2)
                    left = left.reshape(leads.size, -1, terms * block_in)
                    if self.float64:
                        left = left.astype(np.float64)
                    values = _matmul(left, right).astype(np.int64)  # [l, r * BATCH, BLOCK_OUT]
                    values = values.reshape(-1, batch, block_out)
                    product = (leads % kept)[:, None] * rows + np.arange(r0, r1)[None, :]
                    product = start + product.reshape(-1)
                    _accumulate(out, product if target_of is None else target_of[product], values)
            start += kept * rows
        return out


def _groups(
    uop_dst: np.ndarray, uop_src: np.ndarray, uop_wgt: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Micro-ops arranged for batched products: for each bucket, src [G, C, Q], wgt [G, Q] and
    dst [G, C], where each of the G groups has C destinations whose Q micro-ops read the same
    weight entries (in the same order)."""
    order = np.lexsort((uop_wgt, uop_dst))  # by destination, then weight entry
    starts = np.flatnonzero(np.diff(uop_dst[order], prepend=-1))
    per_dst = np.diff(np.append(starts, order.size))
    buckets = []
    for q in np.unique(per_dst):
        members = order[starts[per_dst == q][:, None] + np.arange(q)]  # [D, Q]
        _, signature = np.unique(uop_wgt[members], axis=0, return_inverse=True)
        by_group = np.argsort(signature.reshape(-1), kind="stable")
        group_starts = np.flatnonzero(np.diff(signature.reshape(-1)[by_group], prepend=-1))
        sizes = np.diff(np.append(group_starts, by_group.size))
        for size in np.unique(sizes):
            rows = by_group[group_starts[sizes == size][:, None] + np.arange(size)]  # [G, C]
            chosen = members[rows]  # [G, C, Q]
            buckets.append((uop_src[chosen], uop_wgt[chosen[:, 0, :]], uop_dst[chosen[:, :, 0]]))
    return buckets


def _flat_offsets(loops: list[_Loop], factor: str) -> np.ndarray:
    """Offsets of all iterations of ``loops`` (flattened) along one index."""
    offsets = np.zeros(1, dtype=np.int64)
    for lp in loops:
        step = np.arange(lp.count, dtype=np.int64) * getattr(lp, factor)
        offsets = (offsets[:, None] + step[None, :]).reshape(-1)
    return offsets


def _axis(values: np.ndarray, position: int, ndim: int) -> np.ndarray:
    """``values`` (1-D) shaped to broadcast along axis ``position`` of ``ndim`` axes."""
    shape = [1] * ndim
    shape[position] = values.size
    return values.reshape(shape)


def _chunked(index: np.ndarray, chunks: int, zero: int) -> np.ndarray:
    """Cut the last axis of ``index`` into ``chunks`` equal pieces (padded with ``zero``) and
    move the piece number to a new first axis."""
    per_chunk = -(-index.shape[-1] // chunks)
    pad = chunks * per_chunk - index.shape[-1]
    filler = np.full(index.shape[:-1] + (pad,), zero, dtype=index.dtype)
    whole = np.concatenate([index, filler], axis=-1)
    pieces = whole.reshape(index.shape[:-1] + (chunks, per_chunk))
    return np.ascontiguousarray(np.moveaxis(pieces, -2, 0))


def _matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Batched ``left @ right``, cut along the rows so that each BLAS call stays below
    :data:`BLAS_CALL_MACS`."""
    rows = left.shape[-2]
    step = max(1, BLAS_CALL_MACS // (left.shape[-1] * right.shape[-1]))
    if rows <= step:
        return np.matmul(left, right)
    parts = [np.matmul(left[..., lo : lo + step, :], right) for lo in range(0, rows, step)]
    return np.concatenate(parts, axis=-2)


def _accumulate(out: np.ndarray, targets: np.ndarray, values: np.ndarray) -> None:
    """``out[targets] += values`` with repeated targets summed (in int64, exactly)."""
    order = np.argsort(targets, kind="stable")
    ordered = targets[order]
    first = np.flatnonzero(np.diff(ordered, prepend=-1))
    out[ordered[first]] += np.add.reduceat(values[order], first, axis=0)
