"""Bounded, decimated loss history for plotting a million steps cheaply, and smoothing."""
from __future__ import annotations

import numpy as np

from core.runs.step_windows import StepWindows

# A minibatch loss can round to exactly 0 in float32 (tiny batches, huge learning rates);
# it is kept at this floor rather than at log10(0) = -inf. The one floor of every loss view.
LOSS_FLOOR = 1e-8


def log10_losses(losses) -> np.ndarray:
    """log10 of plain minibatch losses (Trainer.losses), floored at LOSS_FLOOR."""
    return np.log10(np.maximum(np.asarray(losses, dtype=np.float32), np.float32(LOSS_FLOOR)))


class BucketSeries:
    """A growing series in at most `capacity` buckets of `width` consecutive values, each kept as
    its min, max and sum: the min/max envelope draws spikes faithfully (the loss plot), the
    means smooth (TensorBoard's average over buckets). A value's step is its count; the
    buckets are the StepWindows of those steps: when full, neighbouring buckets merge and
    the width doubles. Memory is O(capacity) for any number of values."""

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity // 2 * 2
        self.windows = StepWindows()
        self.n = 0                       # values seen
        self.merges = 0                  # bumped whenever closed buckets change
        self._lo = np.empty(self.capacity, dtype=np.float32)
        self._hi = np.empty(self.capacity, dtype=np.float32)
        self._sum = np.empty(self.capacity, dtype=np.float64)
        self._count = 0                  # closed buckets stored
        self._open_n = 0                 # values in the bucket being filled, their min/max/sum
        self._open_lo = self._open_hi = self._open_sum = 0.0

    @property
    def closed(self) -> int:
        return self._count

    @property
    def width(self) -> int:
        """Values per closed bucket."""
        return self.windows.width

    def extend(self, values) -> None:
        values = np.asarray(values)
        low = values.astype(np.float32, copy=False)    # the envelope in float32, sums in float64
        i = 0
        while i < len(values):
            step = self.n + i
            take = slice(i, i + self.windows.end(step) - step)   # the rest of the open bucket
            part = low[take]
            lo, hi, total = float(part.min()), float(part.max()), float(values[take].sum(dtype=np.float64))
            if self._open_n:
                lo, hi, total = min(lo, self._open_lo), max(hi, self._open_hi), total + self._open_sum
            self._open_lo, self._open_hi, self._open_sum = lo, hi, total
            self._open_n += len(part)
            i += len(part)
            if self._open_n == self.width:
                self._close()
        self.n += len(values)

    def _close(self) -> None:
        k = self._count
        self._lo[k], self._hi[k], self._sum[k] = self._open_lo, self._open_hi, self._open_sum
        self._count += 1
        self._open_n, self._open_sum = 0, 0.0
        if self._count == self.capacity:
            self._merge()  # before the next bucket opens, so it fills to the new width

    def _merge(self) -> None:
        half = self.capacity // 2
        self._lo[:half] = np.minimum(self._lo[0::2], self._lo[1::2])
        self._hi[:half] = np.maximum(self._hi[0::2], self._hi[1::2])
        self._sum[:half] = self._sum[0::2] + self._sum[1::2]
        self.windows.double()
        self._count = half
        self.merges += 1

    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """The envelope to draw: each bucket as (x, min), (x, max), the open one at the middle of
        the steps it holds so far: at most 2 x capacity points."""
        k = self._count
        if self.width == 1:
            x, y = self.windows.middles(k), self._lo[:k].copy()
        else:
            x = np.repeat(self.windows.middles(k), 2)
            y = np.empty(2 * k, dtype=np.float32)
            y[0::2], y[1::2] = self._lo[:k], self._hi[:k]
        if self._open_n:  # never with width 1: such a bucket closes as soon as it opens
            mid = k * self.width + (self._open_n - 1) / 2
            x = np.concatenate([x, [mid, mid]])
            y = np.concatenate([y, np.array([self._open_lo, self._open_hi], dtype=np.float32)])
        return x, y

    def buckets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(middle step, mean, values held) of every bucket, the one being filled last."""
        k, w = self._count, self.width
        x, means = self.windows.middles(k), self._sum[:k] / w
        widths = np.full(k, w, dtype=np.int64)
        if self._open_n:
            x = np.append(x, k * w + (self._open_n - 1) / 2)
            means = np.append(means, self._open_sum / self._open_n)
            widths = np.append(widths, self._open_n)
        return x, means, widths


class ChunkMeans:
    """Mean of every `chunk` consecutive values (the lecture's lossi.view(-1, 1000).mean(1))."""

    def __init__(self, chunk: int = 1000):
        self.chunk = chunk
        self.means: list[float] = []
        self._sum = 0.0
        self._k = 0

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=np.float64)
        i = 0
        if self._k:                                   # finish the chunk already begun
            i = min(self.chunk - self._k, len(values))
            self._add(values[:i])
        whole = (len(values) - i) // self.chunk * self.chunk   # then whole chunks at once
        if whole:
            self.means.extend((values[i:i + whole].reshape(-1, self.chunk).sum(1) / self.chunk).tolist())
            i += whole
        if i < len(values):
            self._add(values[i:])

    def _add(self, values: np.ndarray) -> None:
        """Values that fit in the open chunk."""
        self._sum += float(values.sum())
        self._k += len(values)
        if self._k == self.chunk:
            self.means.append(self._sum / self.chunk)
            self._sum, self._k = 0.0, 0

    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        m = np.asarray(self.means)
        return np.arange(len(m)) * self.chunk + (self.chunk - 1) / 2, m


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average; weight 0 returns values unchanged."""
    values = np.asarray(values, dtype=np.float64)
    if weight <= 0 or len(values) == 0:
        return values.copy()
    out = np.empty_like(values)
    last, k = 0.0, 0
    for i, v in enumerate(values.tolist()):
        k += 1
        last = last * weight + (1 - weight) * v
        out[i] = last / (1 - weight ** k)
    return out
