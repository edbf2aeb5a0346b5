"""What the loss plot draws: log10 of every step's loss (as the lecture's lossi), kept
bounded by min/max decimation, and its mean over chunks of 1,000 steps."""
from __future__ import annotations

import numpy as np

from .history import ChunkMeans, DecimatedSeries

# A minibatch loss can round to exactly 0 in float32 (tiny batches, huge learning rates);
# it is drawn at this floor rather than at log10(0) = -inf.
LOSS_FLOOR = 1e-8


class LossCurve:
    # 2,048 min/max buckets: at most ~4,100 points, a few per pixel of a plot on a laptop screen
    def __init__(self, capacity: int = 2048, chunk: int = 1000):
        self.per_step = DecimatedSeries(capacity)
        self.chunk_means = ChunkMeans(chunk)

    @property
    def n(self) -> int:
        """Steps seen so far."""
        return self.per_step.n

    def extend(self, losses) -> tuple[float, float] | None:
        """Append plain minibatch losses (Trainer.losses), stored as log10. Returns the
        lowest and highest log10 value appended (None if there were none)."""
        losses = np.asarray(losses, dtype=np.float32)
        if not len(losses):
            return None
        log10 = np.log10(np.maximum(losses, np.float32(LOSS_FLOOR)))
        self.per_step.extend(log10)
        self.chunk_means.extend(log10)
        return float(log10.min()), float(log10.max())

    def step_xy(self) -> tuple[np.ndarray, np.ndarray]:
        return self.per_step.xy()

    def mean_xy(self) -> tuple[np.ndarray, np.ndarray]:
        return self.chunk_means.xy()
