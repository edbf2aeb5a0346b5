"""LossPlot: log10 of every step's minibatch loss (faint) and its mean over 1,000 steps (bold),
a view of a LossCurve (in the window, the run state's: the one loss store)."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from core.runs.loss_curve import LossCurve
from gui.plots.lean import LeanPlotWidget, pen, polyline
from gui.plots.style import BLUE, GREY, RED, html_title

# x-axis ends the view jumps between, so the axis is redrawn a few dozen times a run, not per
# frame, and the data always fill at least two thirds of it
_X_STOPS = [m * 10 ** e for e in range(2, 13) for m in (1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)]
FIRST_STEPS_AS_DOTS = 20     # steps drawn as dots too, until their line is long enough to see


class LossPlot(LeanPlotWidget):
    def __init__(self, parent=None):
        title = html_title(("Training loss:", None), ("each step", BLUE), ("and", None),
                           ("mean of 1,000 steps", RED))
        super().__init__(title, "step", "log10 loss (loss in nats)", parent)
        self.per_step = self.add_path_item(pen((*BLUE, 70)))
        self.chunk_mean = self.add_path_item(pen(RED, width=2), z=1)
        # the first steps as dots: one step is no line, yet its loss (27 against 3.3) is the first lesson
        self.first_steps = pg.ScatterPlotItem(size=7, pen=pg.mkPen(BLUE), brush=pg.mkBrush(BLUE))
        self.first_steps.setZValue(2)
        self.plot_item.addItem(self.first_steps, ignoreBounds=True)
        self.setToolTip("Cross-entropy loss of each minibatch, as log10 (the lecture's lossi), "
                        "and its mean over every 1,000 steps.\nDrag or scroll to zoom; "
                        "double-click to follow the run again.")
        self.view_box.sigRangeChangedManually.connect(self._on_range_changed_manually)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.max_steps = 0
        self.markers: list[pg.InfiniteLine] = []
        # where a uniform guess over the vocabulary would put the loss: a good init starts there
        self.guide = pg.InfiniteLine(angle=0, movable=False,
                                     pen=pg.mkPen(GREY, width=1, style=Qt.PenStyle.DashLine),
                                     label="uniform guess", labelOpts={"position": 0.02, "color": (60, 60, 60),
                                                          "anchors": [(0, 1), (0, 1)]})
        # its label at the left end, above the line: the markers' labels stand at the foot of their lines
        self.guide.setToolTip("The loss of a uniform guess, −ln(1/vocab): every character equally likely.\n"
                              "A well-initialised net starts about here; one that starts far above it is "
                              "confidently wrong\n(the lecture's first lesson: 3.30 for names.txt, not 27).")
        self.guide.hide()
        self.plot_item.addItem(self.guide, ignoreBounds=True)
        self.uniform_loss: float | None = None
        self.clear_run()

    def set_uniform_guess(self, loss: float, vocab_size: int) -> None:
        """Put the dashed guide at `loss` (core.diagnostics.stats.uniform_guess_loss(vocab_size)), labelled."""
        self.uniform_loss = loss
        self.guide.setPos(math.log10(loss))
        self.guide.show()             # first: a hidden label keeps its old text
        self.guide.label.setFormat(f"uniform guess −ln(1/{vocab_size}) = {loss:.2f}")

    def clear_run(self, curve: LossCurve | None = None) -> None:
        """Forget the markers and show `curve` (a new, empty one if None)."""
        self.curve = curve if curve is not None else LossCurve()
        for line in self.markers:
            self.plot_item.removeItem(line)
        self.markers = []
        self._x_hi = 0
        self._means_drawn = 0
        self._drawn = (self.curve.generation, 0)    # (generation, steps) on screen
        self.following = True
        self.per_step.setPath(polyline([], []))
        self.chunk_mean.setPath(polyline([], []))
        self.first_steps.setData([], [])
        self.first_steps.hide()
        self._apply_range()

    def fade_steps(self, faded: bool) -> None:
        """Fade each step's loss further while a smoothed curve is drawn over it (TensorBoard's way)."""
        alpha = 30 if faded else 70
        if self.per_step.pen().color().alpha() != alpha:     # a new pen re-strokes the whole path: only on a change
            self.per_step.setPen(pen((*BLUE, alpha)))

    def set_max_steps(self, max_steps: int) -> None:
        self.max_steps = max_steps

    def append(self, losses) -> None:
        """Add losses to the curve shown (when the plot is its only view)."""
        self.curve.extend(losses)

    def add_event(self, step: int, text: str) -> None:
        (x0, x1), _ = self.view_box.viewRange()
        # at the foot of its line (the uniform guess's label is at the top, where the loss starts);
        # in the right half it is written leftwards, so the plot's edge never cuts it
        anchor = (1, 1) if step > (x0 + x1) / 2 else (0, 1)
        line = pg.InfiniteLine(pos=step, angle=90, movable=False,
                               pen=pg.mkPen(GREY, width=1, style=Qt.PenStyle.DashLine),
                               label=text, labelOpts={"position": 0.03, "color": (60, 60, 60),
                                                      "fill": (255, 255, 255, 200), "anchors": [anchor, anchor]})
        line.setToolTip(f"step {step:,}: {text}")
        self.plot_item.addItem(line)
        self.markers.append(line)

    def redraw(self) -> bool:
        """Push new points to the curves; False when there was nothing new. A curve that
        started again (the trainer went back on steps shown) is drawn anew; markers stay."""
        now = (self.curve.generation, self.curve.n)
        if now == self._drawn:
            return False
        if now[0] != self._drawn[0]:
            self._means_drawn = -1
        self._drawn = now
        x, y = self.curve.step_xy()
        self.per_step.setPath(polyline(x, y))
        dots = len(x) <= FIRST_STEPS_AS_DOTS
        if dots or self.first_steps.isVisible():
            self.first_steps.setData(x if dots else [], y if dots else [])
            self.first_steps.setVisible(dots and len(x) > 0)
        if len(self.curve.chunk_means.means) != self._means_drawn:  # a new mean every 1,000 steps
            mean_x, mean_y = self.curve.mean_xy()
            self.chunk_mean.setPath(polyline(mean_x, mean_y))
            self._means_drawn = len(mean_y)
        if self.following:
            self._apply_range()
        return True

    def _apply_range(self) -> None:
        n = self.curve.n
        x_hi = next((x for x in _X_STOPS if x >= n * 1.05), n)
        if self.max_steps:
            x_hi = min(x_hi, self.max_steps)
        if x_hi != self._x_hi:
            self._x_hi = x_hi
            self.plot_item.setXRange(0, max(x_hi, n, 1), padding=0.01)
        if self.curve.lo <= self.curve.hi:
            (_, _), (y0, y1) = self.view_box.viewRange()
            lo, hi = self.curve.lo, self.curve.hi
            if self.uniform_loss is not None:      # the guide stays in view: where the loss should start
                guide = math.log10(self.uniform_loss)
                lo, hi = min(lo, guide), max(hi, guide)
            if lo < y0 or hi > y1 or (y1 - y0) > 3 * (hi - lo + 0.05):
                pad = 0.05 * (hi - lo) + 0.02
                self.plot_item.setYRange(lo - pad, hi + pad, padding=0)

    def _on_range_changed_manually(self, *_) -> None:
        self.following = False

    def _on_click(self, event) -> None:
        if event.double():
            self.following = True
            self._x_hi = 0
            self._apply_range()
