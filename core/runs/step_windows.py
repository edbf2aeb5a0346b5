"""Windows of steps whose width doubles when full: how every bounded history of a run fits a
run of any length in O(capacity) memory.

A history keeps one entry per window of `width` consecutive steps; when it is full it folds
each pair of neighbouring windows into one and the width doubles, so its entries stay spread
evenly over the whole run (TensorBoard keeps a bounded sample the same way, for the same
reason). Each history folds in its own way: history.BucketSeries keeps every value's min, max
and sum per window (the loss plot, the smoothing), timeline.Timeline and timeline.StepSeries
keep the first item of each window (snapshots, rows of numbers).
"""
from __future__ import annotations

import numpy as np


class StepWindows:
    """Window k holds steps k * width to (k + 1) * width - 1. For a history that takes an item
    at some steps only, `due` says whether a step falls in a window after the last one taken."""

    def __init__(self):
        self.width = 1
        self.next_due = 0            # first step of the window after the last one taken

    def of(self, step):
        """The window a step (or an array of steps) falls in."""
        return step // self.width

    def end(self, step: int) -> int:
        """First step of the window after the one `step` falls in."""
        return (self.of(step) + 1) * self.width

    def middles(self, count: int) -> np.ndarray:
        """Middle step of each of the first `count` windows."""
        return np.arange(count) * self.width + (self.width - 1) / 2

    def due(self, step: int) -> bool:
        return step >= self.next_due

    def taken(self, step: int) -> None:
        self.next_due = self.end(step)

    def double(self) -> None:
        """Full: pairs of windows become one. The step due stays the first after the last
        window taken, now in windows twice as wide."""
        self.width *= 2
        self.next_due = -(-self.next_due // self.width) * self.width
