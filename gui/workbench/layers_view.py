"""The Layers view: the lecture's four figures of a deep net, live, from core.diagnostics.stats snapshots.

Activation distributions (one curve per hidden layer, with its mean, std and saturated %),
the gradients flowing into them, each 2-D weight's gradient with its grad:data ratio, the
update:data ratio of each weight over time with the lecture's -3 guide, and, beyond the
lecture, saturation % per layer over time as a small heat-map (layer x step).

Self-contained: `LayersView.show_snapshot(snapshot)` adds one snapshot and draws it (or
`add_snapshot` now, `draw` when the view is seen), `clear_run()` forgets the history. Plot
items are made once per architecture; every frame only calls setData.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QWidget

from core.diagnostics.stats import Snapshot
from gui.plots.words import THRESHOLDS_WHY, hidden_layer, saturates, with_module
from gui.workbench.layer_figures import Figure, SaturationMap

GUIDE_LOG10 = -3.0     # the lecture's rule of thumb: each update about 1/1000 of the data
HISTORY = 512          # snapshots kept for the over-time plots; older ones are thinned out


def activation_lines(layers) -> list[str]:
    """One legend line per hidden layer: its name, mean, std and (a tanh layer's) saturated %."""
    n = len(layers)
    return [f"{with_module(k, n, s.index, s.kind)}: mean {s.mean:+.2f}, std {s.std:.2f}"
            + (f", saturated {s.saturated_pct:.2f}%" if saturates(s.kind) else "") for k, s in enumerate(layers)]


def gradient_lines(layers) -> list[str]:
    n = len(layers)
    # without the module index: the activation legend beside it has it, and this line must fit
    return [f"{hidden_layer(k, n)}: mean {s.grad_mean:+.2e}, std {s.grad_std:.2e}" for k, s in enumerate(layers)]


def weight_line(w) -> str:
    return f"{w.name} {w.shape}: std {w.grad_std:.3e}, grad:data ratio {w.grad_data_ratio:.3e}"


def update_line(w) -> str:
    return f"{w.name}: log10 update:data {w.update_log10:+.2f}"


class LayersView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.activations = Figure(
            "activation distribution", "output of each hidden layer", "density",
            "Histogram (as a density, so layers of different widths compare) of each hidden layer's output\n"
            "over the last batch. With a good gain or BatchNorm every layer looks alike; at gain 1 without\n"
            "BatchNorm they shrink layer after layer, at gain 3 they pile up at ±1 (saturated).\n"
            "The legend names each hidden layer as every tab does, with the lecture's place in its list of\n"
            "modules in brackets, as its tables print it: [2 Tanh] is the first hidden layer's output.\n"
            + THRESHOLDS_WHY)
        self.gradients = Figure(
            "gradient distribution", "gradient into each hidden layer's output", "density",
            "The gradient flowing back into each layer's output. Healthy: about the same spread in every\n"
            "layer. Shrinking towards the input means the first layers barely learn.")
        self.weights = Figure(
            "weights gradient distribution", "gradient of each 2-D weight", "density",
            "Each weight matrix's gradient. grad:data ratio = std(grad) / std(weight): how large a step\n"
            "is next to the values it changes. One far larger than the rest trains faster than the rest.")
        self.updates = Figure(
            "update:data ratio (log10)", "step", "log10 update:data",
            "How much each weight matrix changes per step relative to its size, over time.\n"
            "About -3 (one part in a thousand, the dashed line) is healthy; far above, the learning rate\n"
            "is too high for that layer; far below, it learns too slowly.", histogram=False)
        self.guide = pg.InfiniteLine(pos=GUIDE_LOG10, angle=0,
                                     pen=pg.mkPen((0, 0, 0), width=1, style=Qt.PenStyle.DashLine))
        self.updates.plot.addItem(self.guide)
        self.saturation = SaturationMap()
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setSpacing(4)
        for i, fig in enumerate((self.activations, self.gradients, self.weights, self.updates)):
            grid.addWidget(fig, i // 2, i % 2)
        grid.addWidget(self.saturation, 2, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 2)
        self.snapshot: Snapshot | None = None
        self.clear_run()

    def plot_items(self) -> dict[str, pg.PlotItem]:
        """Its plots, by the name the Export menu gives them."""
        figures = {"activations": self.activations, "gradients": self.gradients,
                   "weight gradients": self.weights, "update:data": self.updates}
        out = {f"Layers: {name}": fig.plot.getPlotItem() for name, fig in figures.items()}
        out["Layers: saturation over time"] = self.saturation.getPlotItem()
        return out

    def clear_run(self) -> None:
        """A new run: forget the over-time history and blank every figure."""
        self.steps = np.zeros(0, dtype=np.int64)
        self.update_history = np.zeros((0, 0), dtype=np.float64)   # snapshots x weights
        self.saturation_history = np.zeros((0, 0), dtype=np.float32)  # snapshots x layers
        self.snapshot = None
        for fig in (self.activations, self.gradients, self.weights, self.updates):
            fig.ensure(0)
            fig.set_legend([])
        self.saturation.draw(self.steps, np.zeros((0, 0), dtype=np.float32))

    def show_snapshot(self, snap: Snapshot | None) -> None:
        """Add a snapshot to the history and draw it (None or one without per-layer
        statistics: nothing to draw)."""
        if self.add_snapshot(snap):
            self.draw()

    def add_snapshot(self, snap: Snapshot | None) -> bool:
        """Add a snapshot to the over-time history without drawing (while the view is hidden);
        False when it has no per-layer statistics."""
        if snap is None or not snap.layers:
            return False
        self._remember(snap)
        self.snapshot = snap
        return True

    def draw(self, legends: bool = True, settle: bool = False) -> None:
        """Draw the newest snapshot added and the history up to it; `legends` writes their
        numbers too (text is dear to lay out: the window does it a few times a second);
        `settle` fits the axes to the data now (paused), else they follow it lazily."""
        snap = self.snapshot
        if snap is None:
            return
        layers, weights = snap.layers, snap.weights
        for fig, pairs in ((self.activations, [(s.edges, s.hist) for s in layers]),
                           (self.gradients, [(s.grad_edges, s.grad_hist) for s in layers]),
                           (self.weights, [(w.edges, w.hist) for w in weights])):
            fig.ensure(len(pairs))
            for curve, (edges, hist) in zip(fig.curves, pairs, strict=True):
                curve.setData(edges[:-1], hist)   # as the lecture: plt.plot(hx[:-1], hy)
            fig.fit(settle)
        self.updates.ensure(len(weights))
        for j, curve in enumerate(self.updates.curves):
            curve.setData(self.steps, self.update_history[:, j], connect="finite")
        self.updates.fit(settle)
        self.saturation.draw(self.steps, self.saturation_history.T.copy())
        if legends:
            self.write_legends()

    def write_legends(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        self.activations.set_legend(activation_lines(snap.layers))
        self.gradients.set_legend(gradient_lines(snap.layers))
        self.weights.set_legend([weight_line(w) for w in snap.weights])
        self.updates.set_legend([update_line(w) for w in snap.weights])

    def _remember(self, snap: Snapshot) -> None:
        """Append this snapshot to the history; after a step taken back (divergence) or a new
        architecture, what no longer belongs to this run is dropped first."""
        ups = np.array([w.update_log10 for w in snap.weights], dtype=np.float64)
        sat = np.array([s.saturated_pct if saturates(s.kind) else 0.0 for s in snap.layers], dtype=np.float32)
        if self.update_history.shape[1:] != ups.shape or self.saturation_history.shape[1:] != sat.shape:
            self.clear_run()
            self.update_history = np.zeros((0, len(ups)))
            self.saturation_history = np.zeros((0, len(sat)), dtype=np.float32)
        keep = self.steps < snap.step
        if not keep.all():
            self.steps, self.update_history = self.steps[keep], self.update_history[keep]
            self.saturation_history = self.saturation_history[keep]
        ups[~np.isfinite(ups)] = np.nan
        self.steps = np.append(self.steps, snap.step)
        self.update_history = np.vstack([self.update_history, ups])
        self.saturation_history = np.vstack([self.saturation_history, sat])
        if len(self.steps) > HISTORY:   # thin the older half so the latest frames stay dense
            half = len(self.steps) // 2
            idx = np.concatenate([np.arange(0, half, 2), np.arange(half, len(self.steps))])
            self.steps, self.update_history = self.steps[idx], self.update_history[idx]
            self.saturation_history = self.saturation_history[idx]
