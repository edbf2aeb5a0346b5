"""What the window may ask of the training worker: a closed set of commands.

The session numbers each one as it sends it; the worker applies them in order, between two
steps, and every status it publishes carries the number of the last one applied. Start,
pause and stop are not commands but flags (TrainingSession.start / pause / shutdown).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.config import Config


@dataclass(frozen=True)
class Reset:
    """A new Trainer from cfg (the dataset loaded if it changed); reply: RunInfo."""
    cfg: Config


@dataclass(frozen=True)
class LoadCheckpoint:
    """Continue from a checkpoint as a new run; reply: (RunInfo, step)."""
    path: Path
    device: str | None = None


@dataclass(frozen=True)
class SaveCheckpoint:
    """reply: the step saved."""
    path: Path


@dataclass(frozen=True)
class SetLive:
    """Change live settings (core.config.LIVE_FIELDS) from the next step; reply: what changed."""
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """Take up to n steps now, running or not; reply: steps taken."""
    n: int = 1


@dataclass(frozen=True)
class Sample:
    """reply: (list of core.model.sample.Sample, run id): names drawn by a new model (Reset, then
    Sample) stay when its run is drawn; the previous run's are cleared with it."""
    n: int
    temperature: float
    seed: int | None


@dataclass(frozen=True)
class Evaluate:
    """The loss on every split; reply: (step, {split: loss}, run id)."""


@dataclass(frozen=True)
class SplitLosses:
    """Train and val loss, for the runs table; reply: (run id, step, train, val)."""


@dataclass(frozen=True)
class Calibrate:
    """BatchNorm's statistics over the whole training split; reply: core.diagnostics.calibration.Calibration."""


@dataclass(frozen=True)
class DetailSnapshot:
    """A snapshot with the dearer part-3 diagnostics; reply: (run id, Snapshot)."""


@dataclass(frozen=True)
class RunWords:
    """The current run's own words (its dataset's, or its checkpoint's); reply: list of str."""


@dataclass(frozen=True)
class FollowLayer:
    """Which hidden layer (0 = the first) the snapshots' hpreact, h and saturation describe,
    from now on and in every later run deep enough (a shallower one shows its last); the
    step shown is measured again at once. reply: the layer asked for."""
    layer: int


@dataclass(frozen=True)
class Inspect:
    """A frozen copy of the trainer as it is between two steps, with the last step's snapshot
    of hidden layer `layer` when one is given; reply: gui.bridge.inspection.TrainerView (None
    before the first model)."""
    layer: int | None = None


Command = (Reset | LoadCheckpoint | SaveCheckpoint | SetLive | Step | Sample | Evaluate | SplitLosses
           | Calibrate | DetailSnapshot | RunWords | FollowLayer | Inspect)


# -- the lectures' tools (issue 22: gui/workbench/lecture_tools.py) --------------------------
@dataclass(frozen=True)
class CopyTrainer:
    """A Trainer of its own, equal to the current one (weights, statistics, generator, step,
    schedule), for a tool that trains off this thread (the learning-rate finder); reply: (run id, Trainer)."""


@dataclass(frozen=True)
class CheckGradients:
    """Part 4's gradient check of each engine on one batch at the current weights;
    reply: (run id, step, [core.diagnostics.grad_check.GradCheck])."""


@dataclass(frozen=True)
class Embedding:
    """The embedding table C as it is now; reply: (run id, step, C as a numpy array)."""


@dataclass(frozen=True)
class SetPace:
    """Train at most `steps_per_second` while running, each step published and drawn before
    the next (None: flat out); `until_step`: back to flat out from that step. reply: the pace."""
    steps_per_second: float | None
    until_step: int | None = None


ToolCommand = CopyTrainer | CheckGradients | Embedding | SetPace
