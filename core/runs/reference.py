"""The lectures' own numbers, kept in every run store as read-only "reference" rows so a
learner sees where their runs stand. Sources: ../shared/seed (the seed notebook and its loss
log) and ../shared/reference (makemore parts 3, 4 and 5)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    name: str
    train: float
    val: float
    steps: int
    source: str
    about: str


REFERENCES = (
    Reference("seed notebook (reference)", 2.0940, 2.1244, 100_000, "seed notebook",
              "the seed notebook's run: one hidden layer of 200, every init fix, BatchNorm"),
    Reference("loss log: original (reference)", 2.1268, 2.1698, 200_000, "seed notebook, loss log",
              "all init fixes off, no BatchNorm"),
    Reference("loss log: fix softmax (reference)", 2.0696, 2.1312, 200_000, "seed notebook, loss log",
              "W2 x 0.01, b2 x 0"),
    Reference("loss log: fix tanh (reference)", 2.0369, 2.1034, 200_000, "seed notebook, loss log",
              "+ W1 Kaiming-scaled, b1 x 0.01"),
    Reference("loss log: add BN (reference)", 2.0459, 2.1086, 200_000, "seed notebook, loss log",
              "+ BatchNorm"),
    Reference("part 2 MLP (reference)", 2.1260, 2.1701, 200_000, "makemore part 2",
              "the MLP of part 2, before the init fixes"),
    Reference("part 3 deep net (reference)", 2.4003, 2.3982, 1_001, "makemore part 3",
              "5 x [Linear, BatchNorm1d, Tanh] of 100 after the lecture's 1,001 debug steps"),
    Reference("part 4 manual backprop (reference)", 2.0705, 2.1099, 200_000, "makemore part 4",
              "the seed's net trained with a hand-written backward pass"),
    Reference("part 5 hierarchical net (reference)", 1.7690, 1.9937, 200_000, "makemore part 5",
              "WaveNet-like hierarchy, context 8, n_embd 24, n_hidden 128 (76K parameters)"),
)
