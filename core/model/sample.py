"""Sampling names from the model, one character at a time, as the notebook does."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.data import Vocab
from core.model.mlp import MLP

NOTEBOOK_SAMPLE_SEED = 2147483647 + 10


@dataclass(frozen=True)
class Sample:
    text: str                      # the name, without the closing '.'
    chars: tuple[str, ...]         # every generated character, '.' included when it ended
    probs: tuple[float, ...]       # the probability the model gave each of them
    truncated: bool = False        # stopped by the length cap, not by '.'

    @property
    def notebook_line(self) -> str:
        return self.text + ("" if self.truncated else ".")


def continued(run_generator: torch.Generator) -> torch.Generator:
    """A copy of the run's generator where it stands: makemore part 5 samples its names from the
    generator it trained with, continuing (its torch.manual_seed(42) drew the init, the batches,
    then the names). A copy, so sampling never shifts the run's next batches."""
    g = torch.Generator()
    g.set_state(run_generator.get_state())
    return g


def sample_names(model: MLP, vocab: Vocab, n: int = 20, seed: int | None = NOTEBOOK_SAMPLE_SEED,
                 temperature: float = 1.0, prefix: str = "", max_len: int = 50,
                 generator: torch.Generator | None = None) -> list[Sample]:
    """n names; the same seed gives the same names. Temperature < 1 sharpens the
    distribution, > 1 flattens it. The prefix is fed as context and kept in the name.
    A generator given is drawn from instead of a new one seeded `seed`."""
    return list(iter_samples(model, vocab, n, seed, temperature, prefix, max_len, generator))


def iter_samples(model: MLP, vocab: Vocab, n: int = 20, seed: int | None = NOTEBOOK_SAMPLE_SEED,
                 temperature: float = 1.0, prefix: str = "", max_len: int = 50,
                 generator: torch.Generator | None = None) -> Iterator[Sample]:
    """sample_names one name at a time, as each is drawn (the arguments are checked at once)."""
    if n < 0:
        raise ValueError("The number of names cannot be negative.")
    if not temperature > 0:
        raise ValueError("The temperature must be greater than 0.")
    if max_len < 1:
        raise ValueError("The length cap must be at least 1.")
    if len(prefix) >= max_len:
        raise ValueError(f"The prefix ({len(prefix)} characters) must be shorter than the length cap ({max_len}).")
    return _draw(model, vocab, n, seed, temperature, prefix, vocab.encode(prefix), max_len, generator)


@torch.no_grad()
def _draw(model, vocab, n, seed, temperature, prefix, prefix_ids, max_len, g) -> Iterator[Sample]:
    if g is None:
        g = torch.Generator()
        if seed is None:
            g.seed()
        else:
            g.manual_seed(seed)
    block_size = model.cfg.block_size
    device = model.C.device
    for _ in range(n):
        context = ([0] * block_size + prefix_ids)[-block_size:]
        chars, probs = [], []
        while True:
            x = torch.tensor([context], device=device)
            logits = model.logits(x)
            if temperature != 1.0:
                scaled = logits / temperature
                if not torch.isfinite(scaled).all():
                    # a tiny temperature overflows float32: take the limit, all the mass on the
                    # likeliest character(s), as softmax(logits / T) tends to when T -> 0
                    scaled = (logits.double() - logits.max()) / temperature
                logits = scaled
            p = F.softmax(logits, dim=1).cpu()
            ix = torch.multinomial(p, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            chars.append(vocab.itos[ix])
            probs.append(p[0, ix].item())
            if ix == 0 or len(prefix) + len(chars) >= max_len:
                break
        text = prefix + "".join(c for c in chars if c != ".")
        yield Sample(text, tuple(chars), tuple(probs), truncated=chars[-1] != ".")
