"""The smoothing slider (TensorBoard's), and the smoothed curve it draws on the loss plot."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from core.runs.smoothing import SmoothedCurve
from gui.plots.lean import pen, polyline
from gui.plots.style import BLUE

SMOOTHED_COLOUR = BLUE  # TensorBoard's way: the raw steps faded, the smoothed curve strong, in one hue
# a few weights with two or three digits, as TensorBoard's slider shows them: 0.99 averages over ~100 steps
WEIGHTS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.997, 0.999)
TICKS = len(WEIGHTS) - 1


def weight_at(t: int) -> float:
    return WEIGHTS[min(max(t, 0), TICKS)]


def position_of(weight: float) -> int:
    return min(range(TICKS + 1), key=lambda t: abs(weight_at(t) - weight))


class SmoothingSlider(QWidget):
    weight_changed = Signal(float)

    def __init__(self, label: str = "smoothing", tip: str = "", parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, TICKS)
        self.slider.setPageStep(3)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setMinimumWidth(120)
        self.slider.setMaximumWidth(220)
        self.value = QLabel()
        self.value.setMinimumWidth(44)
        caption = QLabel(label)
        tip = tip or ("Smooths the curve with TensorBoard's debiased exponential moving average.\n"
                      "The weight is how much each point keeps of the average before it: 0 draws no smoothed "
                      "line,\n0.9 averages over about 10 steps, 0.99 about 100, 0.999 about 1,000.")
        for w in (caption, self.slider, self.value, self):
            w.setToolTip(tip)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption)
        layout.addWidget(self.slider)
        layout.addWidget(self.value)
        self.slider.valueChanged.connect(self._on_value_changed)
        self._on_value_changed(0)

    @property
    def weight(self) -> float:
        return weight_at(self.slider.value())

    def set_weight(self, weight: float) -> None:
        self.slider.setValue(position_of(weight))

    def _on_value_changed(self, t: int) -> None:
        self.value.setText(f"{weight_at(t):g}" if t else "off")
        self.weight_changed.emit(weight_at(t))


class SmoothingBar(QWidget):
    """A row above the loss plot: the slider, and a smoothed line drawn on that plot."""

    def __init__(self, plot, parent=None):
        super().__init__(parent)
        self.plot = plot
        # under the red 1,000-step mean (z 1), over the faded steps (z 0)
        self.curve = plot.add_path_item(pen(SMOOTHED_COLOUR, width=2), z=0.5)
        self.drawn: tuple | None = None
        self.slider = SmoothingSlider(
            "loss smoothing",
            "Draws the loss smoothed with TensorBoard's debiased exponential moving average (strong blue;\n"
            "the steps themselves fade), under the mean of each 1,000 steps (red). 0: off; 0.9 averages\n"
            "over about 10 steps, 0.99 about 100, 0.999 about 1,000. Unlike the 1,000-step mean it follows\n"
            "every step.")
        self.legend = QLabel(f"<span style='color: rgb{SMOOTHED_COLOUR}'>━ smoothed</span>")
        self.legend.setToolTip(self.slider.toolTip())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.slider)
        layout.addWidget(self.legend)
        layout.addStretch(1)
        self.slider.weight_changed.connect(lambda _: self.redraw())
        self.source: SmoothedCurve | None = None

    def show_curve(self, source: SmoothedCurve | None) -> None:
        self.source = source
        self.redraw()

    def redraw(self) -> None:
        w = self.slider.weight
        self.legend.setVisible(w > 0)
        self.plot.fade_steps(w > 0)
        if w <= 0 or self.source is None or self.source.n == 0:
            self.drawn = None
            self.curve.setPath(polyline([], []))
            return
        self.drawn = self.source.xy(w)
        self.curve.setPath(polyline(*self.drawn))
