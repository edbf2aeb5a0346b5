"""Bounded histories over a run's steps, for looking back in time.

Both keep the first item in each of their step_windows.StepWindows: at most one item per
window of `width` steps. When full they keep the first item of every pair of neighbouring
windows and the width doubles, so a run of any length fits in `capacity` items, spread
evenly over it. Memory is O(capacity) whatever the run's length.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from core.diagnostics.stats import Snapshot
from core.runs.step_windows import StepWindows


def first_of_each_window(windows: StepWindows, steps: np.ndarray, limit: int) -> np.ndarray:
    """Indices of `steps` (ascending) to keep, fewer than `limit`: the first of each window,
    the windows doubling until few enough are left."""
    keep = np.arange(len(steps))
    while len(keep) >= limit:
        windows.double()
        _, first = np.unique(windows.of(steps[keep]), return_index=True)
        keep = keep[first]
    return keep


def snapshot_nbytes(s: Snapshot) -> int:
    return int(s.saturation_mask.nbytes + s.hpreact_hist.nbytes + s.hpreact_edges.nbytes
               + s.h_hist.nbytes + s.h_edges.nbytes + 512)


class Timeline:
    """Snapshots (histograms and saturation picture) of one run at evenly spread steps.

    At most `capacity` snapshots and about `max_bytes` (a big batch x hidden layer makes
    each saturation picture large: then fewer are kept, never fewer than `min_items`)."""

    def __init__(self, capacity: int = 64, max_bytes: int = 16 << 20, min_items: int = 8):
        self.capacity, self.max_bytes, self.min_items = capacity, max_bytes, min_items
        self.windows = StepWindows()
        self.snapshots: list[Snapshot] = []

    def __len__(self) -> int:
        return len(self.snapshots)

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def offer(self, s: Snapshot) -> bool:
        """Keep s if its step is due; True if kept. The part-3 detail is not kept."""
        if not self.windows.due(s.step):
            return False
        if s.detail is not None:
            s = dataclasses.replace(s, detail=None)
        self.snapshots.append(s)
        self.windows.taken(s.step)
        limit = max(self.min_items, min(self.capacity, self.max_bytes // snapshot_nbytes(s)))
        if len(self.snapshots) >= limit:
            keep = first_of_each_window(self.windows, np.array(self.steps), limit)
            self.snapshots = [self.snapshots[i] for i in keep]
        return True

    def index_at(self, step: int) -> int:
        """Index of the last snapshot taken at or before `step` (the first if none)."""
        i = int(np.searchsorted(np.array(self.steps), step, side="right")) - 1
        return max(i, 0)

    def at(self, step: int) -> Snapshot | None:
        return self.snapshots[self.index_at(step)] if self.snapshots else None


class StepSeries:
    """Rows of numbers over steps (one column per parameter or percentile), bounded the same
    way. Values that are not finite (log10 of a zero ratio) are kept as NaN: a gap."""

    def __init__(self, columns: int, capacity: int = 2048):
        self.capacity = capacity
        self.windows = StepWindows()
        self._steps = np.empty(capacity, dtype=np.int64)
        self._values = np.full((capacity, columns), np.nan, dtype=np.float32)
        self.n = 0

    @property
    def columns(self) -> int:
        return self._values.shape[1]

    def offer(self, step: int, row) -> bool:
        if not self.windows.due(step):
            return False
        row = np.asarray(row, dtype=np.float32)
        if row.shape != (self.columns,):
            raise ValueError(f"expected {self.columns} values, got shape {row.shape}")
        self._steps[self.n] = step
        self._values[self.n] = np.where(np.isfinite(row), row, np.nan)
        self.n += 1
        self.windows.taken(step)
        if self.n >= self.capacity:
            keep = first_of_each_window(self.windows, self._steps[: self.n], self.capacity)
            self._steps[: len(keep)] = self._steps[keep]
            self._values[: len(keep)] = self._values[keep]
            self.n = len(keep)
        return True

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values): views of the rows kept; copy them to keep."""
        return self._steps[: self.n], self._values[: self.n]
