"""The smoothed loss curve: TensorBoard's debiased exponential moving average, kept bounded.

The per-step losses are kept as means of buckets of steps (bucket width doubling when
full, like history.DecimatedSeries), and the average runs over the buckets, each counting
for as many steps as it holds: with buckets of one step it is history.ema exactly; with
wider ones the decay over a bucket is still weight ** width, so the smoothing means the
same number of steps whatever the zoom. Memory is O(capacity) for any number of steps.
"""
from __future__ import annotations

import numpy as np

from core.runs.history import log10_losses


class MeanSeries:
    """Mean of each bucket of `width` consecutive values; when `capacity` buckets are full,
    neighbours merge and the width doubles."""

    def __init__(self, capacity: int = 2048):
        self.capacity = capacity // 2 * 2
        self.width = 1
        self.n = 0                    # values seen
        self.merges = 0               # bumped whenever closed buckets change
        self._sum = np.empty(self.capacity, dtype=np.float64)
        self._count = 0               # closed buckets
        self._open_sum = 0.0
        self._open_n = 0

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=np.float64)
        i = 0
        while i < len(values):
            chunk = values[i:i + self.width - self._open_n]
            self._open_sum += float(chunk.sum())
            self._open_n += len(chunk)
            i += len(chunk)
            if self._open_n == self.width:
                self._sum[self._count] = self._open_sum
                self._count += 1
                self._open_sum, self._open_n = 0.0, 0
                if self._count == self.capacity:
                    half = self.capacity // 2
                    self._sum[:half] = self._sum[0::2] + self._sum[1::2]
                    self._count = half
                    self.width *= 2
                    self.merges += 1
        self.n += len(values)

    @property
    def closed(self) -> int:
        return self._count

    def buckets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(middle step, mean, steps held) of every bucket, the one being filled last."""
        k, w = self._count, self.width
        x = np.arange(k) * w + (w - 1) / 2
        means = self._sum[:k] / w
        widths = np.full(k, w, dtype=np.int64)
        if self._open_n:
            x = np.append(x, k * w + (self._open_n - 1) / 2)
            means = np.append(means, self._open_sum / self._open_n)
            widths = np.append(widths, self._open_n)
        return x, means, widths


def ema_buckets(means, widths, weight: float, state: tuple[float, int] = (0.0, 0)
                ) -> tuple[np.ndarray, tuple[float, int]]:
    """Debiased EMA (weight per step) over buckets of `widths` steps of value `means`,
    continuing from `state` (the running sum and steps so far); returns the smoothed
    values and the state after the last bucket."""
    last, n = state
    out = np.empty(len(means), dtype=np.float64)
    if weight <= 0:
        out[:] = means
        return out, (last, n + int(np.sum(widths)))
    for i, (m, w) in enumerate(zip(np.asarray(means).tolist(), np.asarray(widths).tolist(), strict=True)):
        a = weight ** w
        last = last * a + (1 - a) * m
        n += w
        out[i] = last / (1 - weight ** n)
    return out, (last, n)


class SmoothedCurve:
    """log10 of every step's loss, smoothed on demand with any weight; the closed buckets'
    smoothed values are cached, so a frame costs only what arrived since the last one."""

    def __init__(self, capacity: int = 2048):
        self.series = MeanSeries(capacity)
        self.clear()

    def clear(self) -> None:
        self.series = MeanSeries(self.series.capacity)
        self._key: tuple | None = None      # (weight, merges) the cache was made for
        self._ys = np.empty(0)
        self._state = (0.0, 0)

    @property
    def n(self) -> int:
        return self.series.n

    def extend(self, losses) -> None:
        """Plain minibatch losses, stored as log10 (as the loss plot draws them)."""
        self.extend_log10(log10_losses(losses))

    def extend_log10(self, log10) -> None:
        if len(log10):
            self.series.extend(log10)

    def xy(self, weight: float) -> tuple[np.ndarray, np.ndarray]:
        x, means, widths = self.series.buckets()
        k = self.series.closed
        if self._key != (weight, self.series.merges):
            self._key, self._ys, self._state = (weight, self.series.merges), np.empty(0), (0.0, 0)
        done = len(self._ys)
        if done < k:
            ys, self._state = ema_buckets(means[done:k], widths[done:k], weight, self._state)
            self._ys = np.concatenate([self._ys, ys])
        tail, _ = ema_buckets(means[k:], widths[k:], weight, self._state)
        return x, np.concatenate([self._ys, tail])
