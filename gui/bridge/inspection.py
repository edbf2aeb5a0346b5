"""TrainerView: the trainer as it was between two steps, copied on the worker thread.

The reply of the `Inspect` command (gui.bridge.commands): everything in it is a copy, and
its arrays are read-only, so the GUI thread (a test, a report) may keep and read it while
training goes on; the Trainer itself never leaves the worker thread.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from core.config import Config
from core.diagnostics.stats import Snapshot
from core.training.trainer import Trainer


@dataclass(frozen=True)
class TrainerView:
    run_id: int                     # the run the trainer is (bumped by every Reset or loaded checkpoint)
    cfg: Config                     # its settings now (live changes included)
    source: str                     # where its words came from (a path, "builtin", a checkpoint's)
    vocab: tuple[str, ...]          # its characters, '.' first
    step: int                       # steps taken
    lr: float                       # learning rate of the next step
    done: bool                      # reached max_steps
    running: bool                   # the worker's start/pause flag
    losses: np.ndarray              # the minibatch loss of every step taken (read-only copy)
    events: tuple[tuple[int, str], ...]   # (step, what changed)
    last_loss: float | None         # the last step's minibatch loss (None before the first)
    divergence: str | None          # why the last step was refused
    diverged_at: int | None         # the step whose loss was not finite
    engine: str                     # the engine running ("fast" or "exact")
    engine_note: str | None         # why it is not the one asked for
    param_names: tuple[str, ...]    # the parameters that train, in order
    tensors: Mapping[str, np.ndarray]   # every parameter (idle BatchNorm ones too) and BN buffer, by name
    layers: tuple[tuple[str, int], ...]   # the lecture's flat list: (Linear | BatchNorm1d | Tanh, block)
    n_blocks: int                   # hidden blocks and the output block
    snapshot: Snapshot | None = None    # the last step's statistics of the hidden layer asked for


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def view_of(t: Trainer, run_id: int, running: bool, layer: int | None = None) -> TrainerView:
    """A copy of what `t` holds now; with `layer`, the last step's snapshot of that hidden layer.
    Worker thread only (between two steps)."""
    tensors = {name: _frozen(tensor.numpy()) for name, tensor in t.model.state().items()}
    return TrainerView(
        run_id=run_id, cfg=t.cfg, source=t.dataset.source, vocab=tuple(t.dataset.vocab.itos),
        step=t.step, lr=t.lr, done=t.done, running=running,
        losses=_frozen(t.losses), events=tuple((int(s), str(e)) for s, e in t.events),
        last_loss=t.last.loss if t.last is not None else None,
        divergence=t.divergence, diverged_at=t.diverged_at,
        engine=t.engine_name, engine_note=t.engine_note,
        param_names=tuple(t.model.param_names), tensors=MappingProxyType(tensors),
        layers=tuple(t.model.flat_layers()), n_blocks=len(t.model.blocks),
        snapshot=None if layer is None else t.snapshot(layer=layer))
