"""The embedding picture of part 2: each row of C as a point, labelled with its character.

With two embedding dimensions the points are C itself (the lecture's plot). With more, they
are C's first two principal components (C centred, projected on the top two right singular
vectors), each with its share of the variance. A component's sign is arbitrary, so each axis
is turned to agree with the previous frame's (or, on the first frame, so that its largest
loading is positive): the picture does not flip from one frame to the next.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VOWELS = frozenset("aeiou")
BOUNDARY = "."


@dataclass(frozen=True)
class Projection:
    points: np.ndarray             # (vocab, 2)
    axes: np.ndarray | None        # (n_embed, 2) the principal directions, None for raw 2-D
    variance_share: tuple[float, float] | None   # each component's share of the variance
    labels: tuple[str, str]        # what the x and y axes are

    @property
    def raw(self) -> bool:
        return self.axes is None


def project(C: np.ndarray, previous: Projection | None = None) -> Projection:
    """C's points in 2-D: C itself when it has two columns, else its first two principal
    components, signs kept as `previous` had them."""
    C = np.asarray(C, dtype=np.float64)
    if C.shape[1] == 2:
        return Projection(C.copy(), None, None, ("C[:, 0]", "C[:, 1]"))
    centred = C - C.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2].T.copy()
    if axes.shape[1] < 2:                      # one-dimensional embedding: a flat second axis
        axes = np.concatenate([axes, np.zeros((axes.shape[0], 1))], axis=1)
        s = np.concatenate([s, [0.0]])
    for k in range(2):
        if previous is not None and previous.axes is not None and previous.axes.shape == axes.shape:
            flip = float(axes[:, k] @ previous.axes[:, k]) < 0
        else:
            flip = axes[np.argmax(np.abs(axes[:, k])), k] < 0
        if flip:
            axes[:, k] = -axes[:, k]
    total = float((s ** 2).sum())
    share = tuple(float(v ** 2 / total) if total > 0 else 0.0 for v in s[:2])
    labels = tuple(f"PC{k + 1} ({share[k]:.0%} of the variance)" for k in range(2))
    return Projection(centred @ axes, axes, share, labels)


def group(ch: str) -> str:
    """'boundary' for '.', 'vowel' for a e i o u, else 'consonant'."""
    if ch == BOUNDARY:
        return "boundary"
    return "vowel" if ch.lower() in VOWELS else "consonant"


def nearest(C: np.ndarray, i: int, k: int = 4) -> list[tuple[int, float]]:
    """The k rows nearest row i of C (Euclidean, in the full embedding), with their distances."""
    C = np.asarray(C, dtype=np.float64)
    d = np.linalg.norm(C - C[i], axis=1)
    order = [j for j in np.argsort(d, kind="stable") if j != i][:k]
    return [(int(j), float(d[j])) for j in order]
