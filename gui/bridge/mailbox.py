"""The one place the training thread and the GUI thread meet.

The worker writes into it between steps; the GUI's frame timer takes everything new at
once. Losses accumulate, the snapshot and status are latest-wins, replies queue up.
Nothing here blocks for longer than a list append.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.config import Config
from core.diagnostics.stats import Snapshot


@dataclass(frozen=True)
class RunInfo:
    """A freshly built Trainer: the GUI clears its plots when one arrives."""
    run_id: int
    cfg: Config
    source: str
    n_words: int
    vocab: tuple[str, ...]
    n_train: int
    n_parameters: int
    dataset: dict = field(default_factory=dict)   # its identity: path, words, a hash of the words


@dataclass(frozen=True)
class Status:
    run_id: int
    cfg: Config                 # the trainer's settings now (live changes included)
    step: int                   # steps taken
    lr: float                   # learning rate of the next step
    loss: float | None          # last minibatch loss
    steps_per_s: float
    running: bool
    done: bool                  # reached max_steps
    diverged_at: int | None = None   # the step whose loss was not finite, while paused by it
    applied: int = 0            # the number of the last command applied (gui.bridge.commands)
    engine: str = ""            # the engine running ("fast" or "exact")
    engine_note: str | None = None   # why it is not the one asked for
    preparing: bool = False     # the fast engine's kernel is being compiled (or loaded from the cache)


@dataclass(frozen=True)
class Reply:
    number: int                 # the command's (0: no command asked, e.g. a refused start)
    value: Any = None
    error: str | None = None


@dataclass
class Frame:
    """Everything new since the GUI last looked."""
    run: RunInfo | None = None          # set when a new run began since the last take
    losses: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    events: list[tuple[int, str]] = field(default_factory=list)
    snapshot: Snapshot | None = None
    status: Status | None = None
    divergence: str | None = None
    replies: list[Reply] = field(default_factory=list)
    # The run's whole loss history when the worker went back on steps it had published (a
    # divergence rolls back a step): redraw from it, then add `losses` as usual.
    rewind: np.ndarray | None = None
    progress: tuple[float, str] | None = None   # how far a dataset load has got, and what it does


class Mailbox:
    def __init__(self):
        self._lock = threading.Lock()
        self._run: RunInfo | None = None
        self._losses: list[np.ndarray] = []
        self._events: list[tuple[int, str]] = []
        self._snapshot: Snapshot | None = None
        self._status: Status | None = None
        self._divergence: str | None = None
        self._replies: list[Reply] = []
        self._rewind: np.ndarray | None = None
        self._progress: tuple[float, str] | None = None

    def publish(self, losses: np.ndarray, events: list, snapshot: Snapshot | None, status: Status,
                divergence: str | None = None, rewind: np.ndarray | None = None,
                reply: Reply | None = None, run: RunInfo | None = None) -> None:
        """A command's reply comes with the status that follows it, so no frame holds one
        without the other. A new `run` drops whatever the previous one left unread: it must
        not be drawn on the new one."""
        with self._lock:
            if run is not None:
                self._run = run
                self._losses, self._events = [], []
                self._snapshot = self._status = self._divergence = self._rewind = self._progress = None
            if reply is not None:
                self._replies.append(reply)
            if rewind is not None:
                self._rewind, self._losses = rewind, []   # the history holds whatever was unread
            if len(losses):
                self._losses.append(losses)
            self._events.extend(events)
            if snapshot is not None:
                self._snapshot = snapshot
            self._status = status
            if divergence is not None:
                self._divergence = divergence

    def progress(self, fraction: float, what: str) -> None:
        with self._lock:
            self._progress = (fraction, what)

    def reply(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def take(self) -> Frame | None:
        with self._lock:
            if not (self._run or self._losses or self._events or self._snapshot or self._status
                    or self._divergence or self._replies or self._rewind is not None or self._progress):
                return None
            frame = Frame(self._run, _concat(self._losses), self._events, self._snapshot, self._status,
                          self._divergence, self._replies, self._rewind, self._progress)
            self._run, self._losses, self._events = None, [], []
            self._snapshot = self._status = self._divergence = self._rewind = self._progress = None
            self._replies = []
        return frame


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.empty(0, np.float32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
