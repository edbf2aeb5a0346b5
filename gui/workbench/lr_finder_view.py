"""The learning-rate finder's window: part 2's sweep on a copy of the run, drawn live.

The sweep runs on a thread of its own (FinderThread) on a copy of the trainer the worker hands
over (commands.CopyTrainer), so training may go on meanwhile and the run is never touched.
Raw and smoothed loss against the learning rate on a log axis; fastai's three suggestions
marked; *Apply* puts the suggested (or chosen) rate in the Training panel's learning rate.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.diagnostics.lr_finder import FASTAI_RANGE, LECTURE_RANGE, SUGGESTED, FinderCurve, find_lr
from gui.plots.style import BLUE, GREY, RED, html_title

EMIT_INTERVAL_S = 0.05       # the live curve is sent to the window at most this often
HEALTHY = ("What good looks like: the loss barely moves at tiny rates, falls through a valley, then shoots "
           "up. Pick a rate in the valley, well below the blow-up; the lecture reads about 0.1 off its plot.")
MARK_COLOURS = {"valley": RED, "steepest": (44, 160, 44), "minimum/10": (148, 103, 189)}
RANGES = {"the lecture's: 1e-3 … 1, 1,000 steps": LECTURE_RANGE, "fastai's: 1e-7 … 10, 100 steps": FASTAI_RANGE}


def copy_of(curve: FinderCurve) -> FinderCurve:
    return FinderCurve(list(curve.lrs), list(curve.losses), list(curve.smoothed), curve.planned, curve.stopped,
                       list(curve.suggestions))


class FinderThread(QThread):
    """find_lr on a trainer of its own; the curve as it grows, then the whole of it."""
    progressed = Signal(object)     # FinderCurve so far (a copy)
    found = Signal(object)          # FinderCurve, with the suggestions
    failed = Signal(str)

    def __init__(self, trainer, start: float, end: float, steps: int, parent=None):
        super().__init__(parent)
        self.trainer, self.range = trainer, (start, end, steps)
        self._stop = threading.Event()
        self._sent_at = 0.0

    def cancel(self) -> None:
        self._stop.set()

    def run(self) -> None:
        try:
            curve = find_lr(self.trainer, *self.range, on_step=self._on_step, cancelled=self._stop.is_set)
        except Exception as e:        # a bug or a refused setting: say it, keep the window
            self.failed.emit(f"The learning-rate finder stopped: {e}")
            return
        self.found.emit(curve)

    def _on_step(self, curve: FinderCurve) -> None:
        now = time.perf_counter()
        if now - self._sent_at >= EMIT_INTERVAL_S:
            self._sent_at = now
            self.progressed.emit(copy_of(curve))


class LRFinderDialog(QDialog):
    """Ask for a copy of the run (`request_copy(on_copy)`), sweep it, show the curve; Apply
    calls apply_lr(rate)."""
    applied = Signal(float)

    def __init__(self, request_copy: Callable[[Callable], None], apply_lr: Callable[[float], None], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Learning-rate finder")
        self.request_copy, self.apply_lr = request_copy, apply_lr
        self.thread: FinderThread | None = None
        self.curve: FinderCurve | None = None
        layout = QVBoxLayout(self)
        self.healthy = QLabel(HEALTHY)
        self.healthy.setWordWrap(True)
        layout.addWidget(self.healthy)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", "learning rate (log scale)")
        item.setLabel("left", "minibatch loss")
        item.setTitle(html_title(("raw loss", GREY), ("and", None), ("smoothed (fastai's β = 0.98)", BLUE)))
        item.showGrid(x=True, y=True, alpha=0.2)
        # decades labelled, the 2…9 between them unlabelled (pyqtgraph would label them all, overlapping)
        item.getAxis("bottom").setTicks([[(e, f"{10.0 ** e:g}") for e in range(-8, 3)],
                                         [(e + math.log10(k), "") for e in range(-8, 2) for k in range(2, 10)]])
        self.raw = item.plot(pen=pg.mkPen(GREY, width=1))
        self.smooth = item.plot(pen=pg.mkPen(BLUE, width=2))
        self.marks: list[pg.InfiniteLine] = []
        layout.addWidget(self.plot, 1)
        self.verdict = QLabel("Press Run: one training step per learning rate, on a copy of the run.")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        row = QHBoxLayout()
        self.range_box = QComboBox()
        self.range_box.addItems(list(RANGES))
        self.range_box.setToolTip("The rates tried, evenly spaced in log scale (fastai's range is wider).")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Sweep the learning rate from the current weights (the run itself is not changed).")
        self.run_button.clicked.connect(self.start)
        self.choice = QComboBox()
        self.choice.setToolTip("Which suggestion Apply uses.")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.choice.setMinimumContentsLength(18)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Use this learning rate for the run from its next step.")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self._apply)
        for w in (QLabel("range"), self.range_box, self.run_button, QWidget(), QLabel("suggestion"), self.choice,
                  self.apply_button):
            row.addWidget(w)
        row.setStretch(3, 1)
        layout.addLayout(row)
        # a fixed minimum, not the layout's: changing labels would re-send the size hints each time
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.resize(720, 520)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(self) -> None:
        if self.running:
            return
        self.run_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.verdict.setText("Copying the run…")
        self.request_copy(self._on_copy, self._on_failed)

    def _on_copy(self, trainer) -> None:
        start, end, steps = RANGES[self.range_box.currentText()]
        self.thread = FinderThread(trainer, start, end, steps, self)
        self.thread.progressed.connect(self._draw)
        self.thread.found.connect(self._on_found)
        self.thread.failed.connect(self._on_failed)
        self.verdict.setText(f"Sweeping {start:g} … {end:g} in {steps:,} steps…")
        self.thread.start()

    def _draw(self, curve: FinderCurve) -> None:
        self.curve = curve
        self.raw.setData(curve.lrs, curve.losses)
        self.smooth.setData(curve.lrs, curve.smoothed)

    def _on_found(self, curve: FinderCurve) -> None:
        self._draw(curve)
        for line in self.marks:
            self.plot.removeItem(line)
        self.marks = []
        self.choice.clear()
        for k, s in enumerate(curve.suggestions):     # each at the rate it suggests
            colour = MARK_COLOURS[s.name]
            line = pg.InfiniteLine(pos=math.log10(s.lr), angle=90, movable=False,
                                   pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                                   label=f"{s.name}: {s.lr:.3g}",
                                   labelOpts={"position": 0.95 - 0.08 * k, "color": colour})
            self.plot.addItem(line)
            self.marks.append(line)
            self.choice.addItem(f"{s.name}: {s.lr:.3g}", s.lr)
        best = curve.suggestion
        ended = (f"Stopped after {len(curve.lrs):,} of {curve.planned:,} steps: {curve.stopped}. "
                 if curve.stopped else "")
        if best is None:
            self.verdict.setText(ended + "Too few points to suggest a rate.")
        else:
            self.choice.setCurrentIndex([s.name for s in curve.suggestions].index(SUGGESTED))
            self.verdict.setText(ended + f"Suggested learning rate: {best.lr:.3g} ({best.name}, the middle of the "
                                 "longest stretch where the loss keeps falling).")
        self.apply_button.setEnabled(best is not None)
        self.run_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self.verdict.setText(message)
        self.run_button.setEnabled(True)

    def _apply(self) -> None:
        lr = self.choice.currentData()
        if lr is not None:
            self.apply_lr(float(lr))
            self.applied.emit(float(lr))

    def stop(self) -> None:
        """Cancel a sweep and wait for its thread (the window is closing)."""
        if self.thread is not None:
            self.thread.cancel()
            self.thread.wait()

    def closeEvent(self, event) -> None:
        if self.thread is not None:
            self.thread.cancel()
        super().closeEvent(event)
