"""A run's loss history as the window keeps it: log10 of every step's minibatch loss (as
the lecture's lossi), bounded however long the run, in the shapes its views draw: one bucket
series gives the min/max envelope (the loss plot, the runs table's JSON) and the bucket means
for TensorBoard smoothing (the smoothing bar and the runs overlay); beside it the means of
1,000 steps (the loss plot's bold line). One store, one log floor."""
from __future__ import annotations

import math

import numpy as np

from core.runs.history import LOSS_FLOOR, ChunkMeans, log10_losses
from core.runs.smoothing import SmoothedCurve

__all__ = ["LOSS_FLOOR", "LossCurve", "log10_losses"]


class LossCurve:
    # 2,048 min/max buckets: at most ~4,100 points, a few per pixel of a plot on a laptop screen
    def __init__(self, capacity: int = 2048, chunk: int = 1000):
        self.capacity, self.chunk = capacity, chunk
        self.chunk_means = ChunkMeans(chunk)
        self.smooth = SmoothedCurve(capacity)   # its bucket series is also the per-step envelope
        self.lo, self.hi = math.inf, -math.inf   # lowest and highest log10 loss held
        self.generation = 0                      # bumped when the history is replaced

    @property
    def n(self) -> int:
        """Steps seen so far."""
        return self.smooth.series.n

    def extend(self, losses) -> tuple[float, float] | None:
        """Append plain minibatch losses (Trainer.losses). Returns the lowest and highest
        log10 value appended (None if there were none)."""
        return self.extend_log10(log10_losses(losses))

    def extend_log10(self, log10: np.ndarray) -> tuple[float, float] | None:
        """Append log10 losses as the run store keeps them (NaN, a step never recorded, is skipped)."""
        log10 = np.asarray(log10, dtype=np.float32)
        if len(log10) and np.isnan(log10).any():
            log10 = log10[~np.isnan(log10)]
        if not len(log10):
            return None
        self.chunk_means.extend(log10)
        self.smooth.extend_log10(log10)
        span = float(log10.min()), float(log10.max())
        self.lo, self.hi = min(self.lo, span[0]), max(self.hi, span[1])
        return span

    def replace(self, losses) -> None:
        """Start again from a whole loss history (after training took steps back)."""
        self.chunk_means = ChunkMeans(self.chunk)
        self.smooth.clear()
        self.lo, self.hi = math.inf, -math.inf
        self.generation += 1
        self.extend(losses)

    def step_xy(self) -> tuple[np.ndarray, np.ndarray]:
        return self.smooth.series.xy()

    xy = step_xy

    def mean_xy(self) -> tuple[np.ndarray, np.ndarray]:
        return self.chunk_means.xy()
