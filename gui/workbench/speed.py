"""Speed: a slider from slow motion (a few steps a second, each one drawn before the next) to
flat out, and the slow start: a fresh window's first run takes its first steps slowly, so the
init lessons (the loss falling from its first value, the saturation picture going dark) can
be watched, then speeds up. The worker keeps the pace (commands.SetPace, gui/bridge/pace.py)."""
from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from gui.bridge import commands

PACES = (2.0, 5.0, 10.0, 25.0, None)      # steps a second; None: flat out (25: one step a frame)
SLOW_START_PACE = 20.0
SLOW_START_STEPS = 100
SLOW_START_KEY = "tools/slow_start"


def describe(pace: float | None) -> str:
    return "flat out" if pace is None else f"{pace:g} steps/s, every step drawn"


class SpeedControl(QObject):
    def __init__(self, session, run, settings: QSettings, parent=None):
        super().__init__(parent)
        self.session, self.settings = session, settings
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(QLabel("speed"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(PACES) - 1)
        self.slider.setPageStep(1)
        self.slider.setValue(len(PACES) - 1)
        self.slider.setFixedWidth(110)
        self.slider.setToolTip("Training speed: left is slow motion (a few steps a second, every step drawn), "
                               "right is flat out. Step and Step ×100 are not slowed.")
        self.slider.valueChanged.connect(self._on_moved)
        row.addWidget(self.slider)
        self.label = QLabel(describe(None))
        self.label.setMinimumWidth(190)
        row.addWidget(self.label)
        self.slow_start_until: int | None = None    # the step the slow start ends at, while it lasts
        self._first_run = True
        run.run_started.connect(self._on_run_started)
        run.status_changed.connect(self._on_status)
        run.frame_taken.connect(self._on_frame_taken)

    @property
    def pace(self) -> float | None:
        return PACES[self.slider.value()]

    @property
    def slow_start(self) -> bool:
        return self.settings.value(SLOW_START_KEY, True) in (True, "true")

    def set_slow_start(self, on: bool) -> None:
        self.settings.setValue(SLOW_START_KEY, bool(on))

    def set_pace(self, pace: float | None) -> None:
        """As if the slider were moved there (a slow start in progress ends)."""
        if PACES.index(pace) == self.slider.value():
            self._on_moved(self.slider.value())
        else:
            self.slider.setValue(PACES.index(pace))

    def _on_moved(self, _value: int) -> None:
        self.slow_start_until = None
        self.label.setText(describe(self.pace))
        self.session.command(commands.SetPace(self.pace))

    def _on_run_started(self, info) -> None:
        if not (self._first_run and self.slow_start and self.pace is None):
            self._first_run = False
            return
        self._first_run = False
        self.slow_start_until = SLOW_START_STEPS
        self.session.command(commands.SetPace(SLOW_START_PACE, SLOW_START_STEPS))
        self.label.setText(f"slow start: {SLOW_START_STEPS} steps at {SLOW_START_PACE:g}/s")
        self.label.setToolTip("A new window's first run takes its first steps slowly, every one drawn, then "
                              "goes flat out (Training ▸ Slow start turns this off).")

    def _on_status(self, status) -> None:
        if self.slow_start_until is not None and status.step >= self.slow_start_until:
            self.slow_start_until = None
            self.label.setText(describe(self.pace))

    def _on_frame_taken(self, frame) -> None:
        """Tell the worker which step is on screen (slow motion takes the next only then)."""
        if frame.status is not None:
            self.session.frame_drawn(frame.status.run_id, frame.status.step)
