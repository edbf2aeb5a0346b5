"""What the Trainer hands an engine (a chunk of batches and its learning rate) and what the
engine hands back (the steps it applied, the last one's record, the failure that stopped it).

An engine only steps: it never reads or writes the Trainer. The Trainer owns the step count,
the record, the divergence and the roll-back (core/training/rollback.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from core.diagnostics.stats import StepRecord


@dataclass(frozen=True)
class Chunk:
    """Steps first, first + 1, ...: batch s is rows idx[s * batch_size:(s + 1) * batch_size] of
    the training split, every step at learning rate lr. generator_state: the generator before
    idx was drawn (one torch.randint of k * B rows is k draws of B, so any step's draw can be
    replayed from it)."""
    first: int
    idx: torch.Tensor
    batch_size: int
    lr: float
    generator_state: torch.Tensor

    @property
    def steps(self) -> int:
        return self.idx.shape[0] // self.batch_size

    @property
    def end(self) -> int:
        """The step after its last."""
        return self.first + self.steps

    def part(self, start: int, stop: int) -> Chunk:
        """Steps start..stop-1 of this chunk (for a replay)."""
        B = self.batch_size
        return Chunk(start, self.idx[(start - self.first) * B:(stop - self.first) * B], B, self.lr,
                     self.generator_state)


@dataclass(frozen=True)
class Failure:
    """A step whose loss was not finite (not applied), and what it showed of the cause:
    the batch std of each seed-style BatchNorm, each hidden layer's linear output."""
    step: int
    loss: float
    seed_stds: list[torch.Tensor] = field(default_factory=list)
    hidden_raws: list[torch.Tensor] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What an engine did with a chunk: the losses of the steps it applied (from the chunk's
    first on), the failure that stopped it early (None when every step was applied), and the
    record of the chunk's last step when every step was applied (after a failure the roll-back
    decides which record stands, so an engine returns None)."""
    losses: np.ndarray
    record: StepRecord | None
    failure: Failure | None = None
