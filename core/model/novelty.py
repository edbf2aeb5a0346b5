"""Sample novelty, as makemore prints it: is a sampled name one of the training words, one of
the held-out (val/test) words, or new?"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from core.data import split_words

IN_TRAIN, IN_HELD_OUT, NEW = "in train", "in val/test", "new"
TAGS = (IN_TRAIN, IN_HELD_OUT, NEW)


@dataclass(frozen=True)
class NoveltyIndex:
    """The run's words by split (the notebook's 80/10/10 shuffle, seed 42)."""
    train: frozenset[str]
    held_out: frozenset[str]

    @classmethod
    def of(cls, words: list[str]) -> NoveltyIndex:
        parts = split_words(words)
        return cls(frozenset(parts["train"]), frozenset(parts["val"]) | frozenset(parts["test"]))

    def tag(self, name: str) -> str:
        if name in self.train:
            return IN_TRAIN
        return IN_HELD_OUT if name in self.held_out else NEW

    def tags(self, names: list[str]) -> list[str]:
        return [self.tag(n) for n in names]


def shares(tags: list[str]) -> dict[str, float]:
    """The share of each tag (0 for one that never occurs), in TAGS order."""
    counts = Counter(tags)
    return {t: counts[t] / len(tags) if tags else 0.0 for t in TAGS}


def summary(tags: list[str]) -> str:
    """'12 in train (60%), 2 in val/test (10%), 6 new (30%)'."""
    counts, share = Counter(tags), shares(tags)
    return ", ".join(f"{counts[t]} {t} ({share[t]:.0%})" for t in TAGS)


def short_summary(tags: list[str]) -> str:
    """'in train 10%, val/test 0%, new 90%': the shares, narrow enough for a side panel."""
    share = shares(tags)
    return f"{IN_TRAIN} {share[IN_TRAIN]:.0%}, val/test {share[IN_HELD_OUT]:.0%}, {NEW} {share[NEW]:.0%}"
