"""TrainingStatusBar: step / max steps with a progress bar, steps/s, the engine, learning rate, last loss, ETA."""
from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from gui.bridge.mailbox import Status

PROGRESS_TICKS = 1000
PREPARING = ("Preparing the fast engine: {elapsed} (compiled once per machine, usually 5–15 s; "
             "after that it loads in under a second)")
ENGINE_TIP = ("The engine taking the steps (Model panel, applied on Reset). fast: a compiled kernel, the "
              "notebook's numbers to float32 rounding; exact: torch autograd, bit for bit the notebook.")


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"


class TrainingStatusBar(QStatusBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.step = QLabel("no model yet")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setMaximum(PROGRESS_TICKS)
        self.rate = QLabel()
        self.engine = QLabel()
        self.lr = QLabel()
        self.loss = QLabel()
        self.eta = QLabel()
        tips = ((self.step, "Steps taken / max steps."), (self.progress, "Progress towards max steps."),
                (self.rate, "Training steps per second, counted over the last second."),
                (self.engine, ENGINE_TIP),
                (self.lr, "Learning rate of the next step."), (self.loss, "Minibatch loss of the last step."),
                (self.eta, "Time left to max steps at the current speed."))
        for widget, tip in tips:
            widget.setToolTip(tip)
            self.addPermanentWidget(widget)
        self._preparing_since: float | None = None   # the kernel is compiling: the seconds so far, each second
        self._preparing_clock = QTimer(self)
        self._preparing_clock.setInterval(1000)
        self._preparing_clock.timeout.connect(self._show_preparing)

    def _show_preparing(self) -> None:
        self.rate.setText(PREPARING.format(elapsed=format_duration(time.monotonic() - self._preparing_since)))

    def show_status(self, s: Status) -> None:
        max_steps = s.cfg.max_steps
        self.step.setText(f"step {s.step:,} / {max_steps:,}")
        self.progress.setValue(PROGRESS_TICKS * min(s.step, max_steps) // max_steps)   # max steps may pass 2**31
        if s.preparing:
            if self._preparing_since is None:
                self._preparing_since = time.monotonic()
                self._preparing_clock.start()
            self._show_preparing()
        else:
            self._preparing_since = None
            self._preparing_clock.stop()
            self.rate.setText(f"{s.steps_per_s:,.0f} steps/s" if s.running else "paused" if not s.done else "done")
        self.engine.setText(s.engine_note or f"{s.engine} engine" if s.engine else "")   # the note: why not fast
        self.engine.setToolTip(f"{s.engine_note}\n{ENGINE_TIP}" if s.engine_note else ENGINE_TIP)
        self.lr.setText(f"lr {s.lr:g}")
        self.loss.setText(f"loss {s.loss:.4f}" if s.loss is not None else "")
        left = max_steps - s.step
        self.eta.setText(f"ETA {format_duration(left / s.steps_per_s)}" if s.running and s.steps_per_s > 0
                         and left > 0 else "")
