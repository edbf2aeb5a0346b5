"""A neutral description of the network for the fast engine: an embedding, then a loop of blocks
Linear(+bias) -> optional BatchNorm -> activation, the last block being the output (no activation).

Every array is a float32 numpy *view* of the model's torch tensor, so the engine trains the
model's own memory and snapshots, evaluation, sampling and checkpoints see the current weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

BN_KINDS = ("seed", "lecture")      # ÷ batch std (n-1, no eps)  |  ÷ sqrt(batch var (n-1) + eps)
ACTIVATIONS = (None, "tanh")


@dataclass
class BatchNorm:
    kind: str                    # "seed" or "lecture"
    gamma: np.ndarray            # (n,)
    beta: np.ndarray             # (n,)
    running_mean: np.ndarray     # (n,)
    running_spread: np.ndarray   # (n,) running std for "seed", running var for "lecture"
    momentum: float              # seed 0.001, lecture 0.1
    eps: float = 0.0             # seed 0, lecture 1e-5


@dataclass
class Block:
    weight: np.ndarray           # (fan_in, fan_out)
    bias: np.ndarray | None      # (fan_out,)
    bn: BatchNorm | None
    activation: str | None       # "tanh" or None


@dataclass
class Network:
    embedding: np.ndarray                         # (vocab, n_embed)
    blocks: list[Block]                           # hidden blocks, then the output block
    named: list[tuple[str, np.ndarray]] = field(default_factory=list)  # trainable arrays, model order
    tensors: tuple[torch.Tensor, ...] = ()        # the torch tensors viewed (to notice a swap)

    def __post_init__(self):
        for b in self.blocks:
            if b.bn is not None and b.bn.kind not in BN_KINDS:
                raise ValueError(f"unknown BatchNorm kind {b.bn.kind!r}")
            if b.activation not in ACTIVATIONS:
                raise ValueError(f"unknown activation {b.activation!r}")
        for a, b in zip(self.blocks, self.blocks[1:], strict=False):
            if a.weight.shape[1] != b.weight.shape[0]:
                raise ValueError(f"a block's fan_out {a.weight.shape[1]} does not match the next "
                                 f"block's fan_in {b.weight.shape[0]}")

    def trainable(self) -> list[np.ndarray]:
        """Every array SGD updates, embedding first then block by block."""
        out = [self.embedding]
        for b in self.blocks:
            out += [b.weight] + ([b.bias] if b.bias is not None else [])
            if b.bn is not None:
                out += [b.bn.gamma, b.bn.beta]
        return out

    def state_arrays(self) -> list[np.ndarray]:
        """Everything a step changes: the trainable arrays and BN's running buffers."""
        return self.trainable() + [a for b in self.blocks if b.bn is not None
                                   for a in (b.bn.running_mean, b.bn.running_spread)]


def view(t: torch.Tensor, vector: bool = False) -> np.ndarray:
    """A float32 numpy array sharing t's memory; a vector (a bias, BN's (1, n) rows) as 1-D."""
    a = t.detach().numpy()
    if a.dtype != np.float32 or not a.flags.c_contiguous:
        raise ValueError("the fast engine needs contiguous float32 CPU tensors")
    return a.reshape(-1) if vector else a


def mlp_tensors(model) -> tuple[torch.Tensor, ...]:
    """The tensors network_from_mlp views, in a fixed order: cheap, to notice a swapped tensor
    (the exact engine's out-of-place updates, calibration and loading replace tensors)."""
    out = [model.C]
    for b in model.blocks:
        out.append(b.weight)
        if b.bias is not None:
            out.append(b.bias)
        if b.bn is not None:
            out += [b.bn.gamma, b.bn.beta, b.bn.running_mean, b.bn.running_spread]
    return tuple(out)


def network_from_mlp(model) -> Network:
    """The MLP (core/model/mlp.py) as a Network: its blocks as they are, hidden ones then the output
    one (any depth; the seed's or the lecture's BatchNorm wherever the model has one)."""
    arrays: dict[int, np.ndarray] = {}    # id(tensor) -> its view

    def v(t: torch.Tensor, vector: bool = False) -> np.ndarray:
        arrays[id(t)] = view(t, vector)
        return arrays[id(t)]

    blocks = []
    for b in model.blocks:
        bn = None
        if b.bn is not None:
            n = b.bn
            bn = BatchNorm(n.kind, v(n.gamma, True), v(n.beta, True), v(n.running_mean, True),
                           v(n.running_spread, True), n.momentum, n.eps)
        blocks.append(Block(v(b.weight), None if b.bias is None else v(b.bias, True), bn,
                            "tanh" if b.activation == "tanh" else None))
    net = Network(v(model.C), blocks, tensors=mlp_tensors(model))
    net.named = [(name, arrays[id(p)]) for name, p in zip(model.param_names, model.parameters(), strict=True)]
    return net


# The adapter the fast engine uses: a model -> Network, and the tensors it views (compared by
# identity before every chunk, to notice a swapped tensor).
adapt = network_from_mlp
adapted_tensors = mlp_tensors
