"""Which characters of the context each unit of each layer sees: the tree makemore part 5 draws.

A layer is a row of units, one per position it runs on; a unit of a block that fuses n positions
sees the characters its n inputs saw, side by side. The seed's and the lecture's flat nets are
the one-block case: their hidden layer's single unit sees the whole context at once.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.config import Config


@dataclass(frozen=True)
class TreeLayer:
    name: str                             # "context", "layer 1", ..., "output"
    spans: tuple[tuple[int, int], ...]    # per unit: first and last context position it sees
    width: int                            # numbers per unit (n_embed for the context's characters)

    @property
    def units(self) -> int:
        return len(self.spans)


def context_tree(cfg: Config) -> tuple[TreeLayer, ...]:
    """The context's characters, then each hidden layer's units, then the output: position i of
    the context is the i-th character before the one predicted, counted from the oldest."""
    T = cfg.block_size
    layers = [TreeLayer("context", tuple((i, i) for i in range(T)), cfg.n_embed)]
    if cfg.layer_style == "wavenet":
        widths = cfg.fuse_widths()
    else:
        widths = (T,) + (1,) * (cfg.n_layers - 1)
    spans = layers[0].spans
    for k, n in enumerate(widths, 1):
        spans = tuple((spans[i][0], spans[i + n - 1][1]) for i in range(0, len(spans), n))
        layers.append(TreeLayer(f"layer {k}", spans, cfg.n_hidden))
    layers.append(TreeLayer("output", spans, 0))
    return tuple(layers)


def describe(tree: tuple[TreeLayer, ...]) -> list[str]:
    """One line per layer, e.g. 'layer 1: 4 units of 128, each sees 2 characters (1-2, 3-4, ...)'."""
    lines = []
    for layer in tree[1:-1]:
        seen = {last - first + 1 for first, last in layer.spans}
        each = "/".join(str(s) for s in sorted(seen))
        spans = ", ".join(f"{a + 1}-{b + 1}" if a != b else f"{a + 1}" for a, b in layer.spans)
        lines.append(f"{layer.name}: {layer.units} unit{'s' * (layer.units != 1)} of {layer.width}, "
                     f"each sees {each} character{'s' * (each != '1')} ({spans})")
    return lines
