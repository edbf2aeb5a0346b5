"""The smoothed loss curve: TensorBoard's debiased exponential moving average, kept bounded.

The per-step losses are kept as means of buckets of steps (history.BucketSeries: the bucket
width doubles when full), and the average runs over the buckets, each counting
for as many steps as it holds: with buckets of one step it is history.ema exactly; with
wider ones the decay over a bucket is still weight ** width, so the smoothing means the
same number of steps whatever the zoom. Memory is O(capacity) for any number of steps.
"""
from __future__ import annotations

import numpy as np

from core.runs.history import BucketSeries, log10_losses


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
        self.series = BucketSeries(capacity)
        self.clear()

    def clear(self) -> None:
        self.series = BucketSeries(self.series.capacity)
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
