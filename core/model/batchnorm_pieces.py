"""The lecture's BatchNorm calibration over a split too large for one piece.

MLP.calibrate measures each BatchNorm's mean and std (or var) over the whole training split
at once, as the lecture does: for 2,000,000 words that is gigabytes of activations. Here the
split goes through in pieces of `rows`, each BatchNorm in order (the layers before it already
using the new statistics, as in MLP.calibrate), and the moments are merged in float64 with
Chan's formula: the same numbers to float32 rounding, in a bounded amount of memory. Nothing is
assigned until every statistic is measured, so a cancelled calibration changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from core.model.layers import Norm


class Cancelled(Exception):
    """The calibration gave up because its `cancelled()` turned true."""


class Moments:
    """Count, mean and sum of squared deviations of each column, merged piece by piece."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, None, None

    def add(self, x: torch.Tensor) -> None:
        x = x.double()
        k = x.shape[0]
        mean = x.mean(0, keepdim=True)
        m2 = ((x - mean) ** 2).sum(0, keepdim=True)
        if self.n == 0:
            self.n, self.mean, self.m2 = k, mean, m2
            return
        n = self.n + k
        delta = mean - self.mean
        self.mean = self.mean + delta * (k / n)
        self.m2 = self.m2 + m2 + delta ** 2 * (self.n * k / n)
        self.n = n

    def spread(self, kind: str) -> torch.Tensor:
        """torch's unbiased std (the seed's BatchNorm) or var (the lecture's)."""
        var = self.m2 / (self.n - 1)
        return var.sqrt() if kind == Norm.SEED else var


@torch.no_grad()
def measure(model, x: torch.Tensor, rows: int, cancelled: Callable[[], bool] | None = None) -> list:
    """Each block's new (mean, spread), None where it has no BatchNorm, over x in pieces."""
    found: list = []
    for k, block in enumerate(model.blocks):
        if block.bn is None:
            found.append(None)
            continue
        moments = Moments()
        for i in range(0, x.shape[0], rows):
            if cancelled is not None and cancelled():
                raise Cancelled("Calibrating BatchNorm was cancelled.")
            moments.add(_columns(block.bn, _pre_batchnorm(model, x[i:i + rows], k, found)))
        like = block.bn.running_mean
        found.append((moments.mean.reshape(like.shape).to(like.dtype),
                      moments.spread(block.bn.kind).reshape(like.shape).to(like.dtype)))
    return found


def _columns(bn, raw: torch.Tensor) -> torch.Tensor:
    """raw as rows of the values one statistic is taken over (BatchNorm.batch_stats's dims): a
    3-D input's positions are rows too, unless part 5's BatchNorm1d keeps one per position."""
    if raw.ndim == 3 and bn.over_positions:
        return raw.reshape(-1, raw.shape[-1])
    return raw.reshape(raw.shape[0], -1)


def _pre_batchnorm(model, x: torch.Tensor, k: int, found: list) -> torch.Tensor:
    """Block k's linear output for x, the blocks before it normalised with the new statistics."""
    h = model.embed(x)
    for block, stats in zip(model.blocks[:k], found, strict=True):
        raw = block.linear(block.flatten(h))
        if stats is not None:
            raw = block.bn.normalise(raw, *stats)
        h = block.activate(raw)
    block = model.blocks[k]
    return block.linear(block.flatten(h))


def assign(model, found: list) -> None:
    for block, stats in zip(model.blocks, found, strict=True):
        if stats is not None:
            block.bn.running_mean, block.bn.running_spread = stats
