"""Stand-ins for testing a controller on its own (napari's way: build it against a small
stand-in of what it is handed, drive it, assert): a session that records the commands sent
and answers them when the test says, frames as the worker publishes them, and a headless
Trainer's real snapshots to put in them. No window, no worker thread."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer
from gui.bridge.mailbox import Frame, RunInfo, Status
from gui.report import Report


@dataclass
class Sent:
    command: object
    on_result: object
    on_error: object
    answered: bool = False


@dataclass
class StandInSession:
    """What the controllers use of a TrainingSession: `command` and `waiting_for`. The test
    answers (or refuses) a command sent with `answer` / `refuse`, as a frame would."""
    sent: list[Sent] = field(default_factory=list)
    running: bool = False

    def command(self, command, on_result=None, on_error=None) -> int:
        self.sent.append(Sent(command, on_result, on_error))
        return len(self.sent)

    def waiting_for(self, kind: type) -> list:
        return [s.command for s in self.sent if isinstance(s.command, kind) and not s.answered]

    def commands(self, kind: type | None = None) -> list:
        """Every command sent (of that kind), answered or not, oldest first."""
        return [s.command for s in self.sent if kind is None or isinstance(s.command, kind)]

    def _oldest(self, kind: type) -> Sent:
        waiting = [s for s in self.sent if isinstance(s.command, kind) and not s.answered]
        assert waiting, f"no {kind.__name__} waits for an answer; sent: {self.commands()}"
        waiting[0].answered = True
        return waiting[0]

    def answer(self, kind: type, value) -> None:
        """The oldest unanswered command of that kind succeeded with `value`."""
        s = self._oldest(kind)
        if s.on_result is not None:
            s.on_result(value)

    def refuse(self, kind: type, message: str) -> None:
        s = self._oldest(kind)
        assert s.on_error is not None, f"{kind.__name__} was sent with nobody to hear a refusal"
        s.on_error(message)


@dataclass
class Said:
    """A Report that keeps what it was told."""
    errors: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def report(self) -> Report:
        return Report(self.errors.append, self.infos.append, lambda text, *_: self.statuses.append(text),
                      lambda: self.statuses.append(""))


def run_info(cfg: Config, run_id: int = 1) -> RunInfo:
    return RunInfo(run_id, cfg, cfg.data, 300, tuple(".abcdefghij"), 240, 1000)


def status(cfg: Config, step: int, run_id: int = 1, running: bool = False, applied: int = 0) -> Status:
    return Status(run_id, cfg, step, cfg.lr, 2.0 if step else None, 0.0, running, step >= cfg.max_steps,
                  None, applied)


def frame(cfg: Config, step: int, run_id: int = 1, running: bool = False, new_run: bool = False,
          snapshot=None, losses=None) -> Frame:
    """What the worker publishes: `step` steps taken (their losses, if given), maybe a new run."""
    losses = np.zeros(0, np.float32) if losses is None else np.asarray(losses, np.float32)
    return Frame(run=run_info(cfg, run_id) if new_run else None, losses=losses, snapshot=snapshot,
                 status=status(cfg, step, run_id, running))


def trained(words_path, steps: int, **changes) -> Trainer:
    """A headless Trainer on the small word list after `steps` steps: real snapshots to publish."""
    cfg = Config(data=str(words_path), **changes)
    t = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    t.train(steps)
    return t
