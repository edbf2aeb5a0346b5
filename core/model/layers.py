"""The MLP's layers as plain data: a list of blocks Linear -> (BatchNorm) -> activation.

Two flavours of each piece reproduce two notebooks bit for bit:
- "seed": the seed notebook's hidden layer (`embcat @ W1 + b1`; BatchNorm dividing by the
  batch std, no eps, running mean/std);
- "lecture": the lecture's Linear and BatchNorm1d classes (`out = x @ W; out += b`; batch
  variance + eps, running mean/var).
makemore part 5 adds FlattenConsecutive(n) at the start of a block (`Block.fuse`): (B, T, C) is
viewed as (B, T/n, C*n), so the block's Linear, BatchNorm and tanh run on every position; its
BatchNorm1d takes a 3-D input's statistics over dims (0, 1) (or, as the lecture's bug, over 0).
In row-major memory the fuse is a reinterpretation: B*T/n rows of C*n (`Block.rows`).
These blocks are the only description of the network: both engines loop over `MLP.blocks`
reading only these attributes (the fast engine's binding takes float32 views of them).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch

LECTURE_EPS = 1e-5


class Kind(StrEnum):
    """A table of kinds: the word is the setting's (config, setup files, the command line), `code`
    the compiled kernel's int for it (the member's position in the table)."""

    @property
    def code(self) -> int:
        return list(type(self)).index(self)


class Norm(Kind):
    """A block's BatchNorm: none, the seed's or the lecture's."""
    NONE = "none"
    SEED = "seed"          # ÷ batch std (n - 1, no eps); keeps a running std
    LECTURE = "lecture"    # ÷ sqrt(batch var (n - 1) + eps); keeps a running var


class Activation(Kind):
    TANH = "tanh"
    NONE = "none"          # the lecture's linear-only experiment


@dataclass(eq=False)
class BatchNorm:
    """kind "seed": gamma * (x - mean) / std + beta, running_spread is the running std.
    kind "lecture": gamma * (x - mean) / sqrt(var + eps) + beta, running_spread is the running var."""
    kind: Norm
    gamma: torch.Tensor
    beta: torch.Tensor
    running_mean: torch.Tensor
    running_spread: torch.Tensor
    momentum: float
    eps: float = 0.0
    over_positions: bool = True   # a 3-D input's statistics over dims (0, 1); False: over 0 (part 5's bug)

    @classmethod
    def new(cls, kind: Norm, dim: int, momentum: float, positions: int = 0,
            over_positions: bool = True) -> BatchNorm:
        """positions: how many positions a 3-D input has (0 for a 2-D input)."""
        kind = Norm(kind)
        if kind == Norm.SEED:    # the notebook's (1, n_hidden) tensors
            return cls(kind, torch.ones((1, dim)), torch.zeros((1, dim)),
                       torch.zeros((1, dim)), torch.ones((1, dim)), momentum)
        # The lecture's buffers start as (dim,) and take the shape of the batch mean at its first
        # update: (1, dim), on a 3-D input (1, 1, dim), or (1, positions, dim) over dim 0 only.
        # That shape from the start holds the same numbers and keeps one shape for checkpoints.
        shape = (1, dim) if not positions else (1, 1 if over_positions else positions, dim)
        return cls(kind, torch.ones(dim), torch.zeros(dim), torch.zeros(shape), torch.ones(shape),
                   momentum, LECTURE_EPS, over_positions)

    def batch_stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dim = (0, 1) if x.ndim == 3 and self.over_positions else 0   # part 5's BatchNorm1d
        mean = x.mean(dim, keepdim=True)
        return mean, (x.std(dim, keepdim=True) if self.kind == Norm.SEED else x.var(dim, keepdim=True))

    def normalise(self, x: torch.Tensor, mean: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
        if self.kind == Norm.SEED:
            return self.gamma * (x - mean) / spread + self.beta
        xhat = (x - mean) / torch.sqrt(spread + self.eps)
        return self.gamma * xhat + self.beta

    @torch.no_grad()
    def update_running(self, mean: torch.Tensor, spread: torch.Tensor) -> None:
        m = self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mean
        self.running_spread = (1 - m) * self.running_spread + m * spread

    def to(self, device) -> BatchNorm:
        for name in ("gamma", "beta", "running_mean", "running_spread"):
            setattr(self, name, getattr(self, name).to(device))
        return self


@dataclass(eq=False)
class Block:
    """x @ weight (+ bias) -> (bn) -> activation. `inplace_bias` is the lecture's `out += b`,
    which gives the same numbers as `+ b` but keeps the op as it wrote it."""
    weight: torch.Tensor
    bias: torch.Tensor | None
    bn: BatchNorm | None
    activation: Activation
    inplace_bias: bool = False
    fuse: int = 0        # FlattenConsecutive(fuse) before the Linear; 0: the input is already 2-D
    positions: int = 0   # positions of the block's output: (B, positions, fan_out); 0 when 2-D

    def __post_init__(self):
        self.activation = Activation(self.activation)

    def flatten(self, x: torch.Tensor) -> torch.Tensor:
        """Part 5's FlattenConsecutive: (B, T, C) viewed as (B, T/n, C*n), T dropped at 1."""
        if not self.fuse:
            return x
        B, T, C = x.shape
        x = x.view(B, T // self.fuse, C * self.fuse)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        return x

    @property
    def rows(self) -> int:
        """Rows per example the block runs on: its input read as rows x fan_in, the same memory."""
        return max(1, self.positions)

    @property
    def norm(self) -> Norm:
        return Norm.NONE if self.bn is None else self.bn.kind

    def linear(self, x: torch.Tensor) -> torch.Tensor:
        if self.bias is None:
            return x @ self.weight
        if self.inplace_bias:
            out = x @ self.weight
            out += self.bias
            return out
        return x @ self.weight + self.bias

    def activate(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) if self.activation == Activation.TANH else x

    @property
    def fan_in(self) -> int:
        return self.weight.shape[0]

    @property
    def fan_out(self) -> int:
        return self.weight.shape[1]
