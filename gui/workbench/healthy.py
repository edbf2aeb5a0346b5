"""What good looks like, on screen: one visible line under every plot saying what a healthy
picture is (the lectures' own rules of thumb), and a label on every guide line.

The lines are keyed by the names the Export menu gives the plots (Workbench.plots()); a plot
whose name starts with one of PREFIXES shares that line (every parameter's gradient)."""
from __future__ import annotations

import pyqtgraph as pg

from gui.workbench.diagnostics import GUIDE_LOG10, TANH_SATURATES_AT

COLOUR = (0, 110, 60)
LOSS = "Healthy: starts near the dashed uniform guess −ln(1/vocab), then falls."
HPREACT = "Healthy: mostly within ±2; wide tails saturate tanh."
H = "Healthy: spread over (−1, 1), few values piled at ±1."
SATURATION = "Healthy: mostly black (saturation low); a white column is a dead neuron."
LINES = {
    "Loss": LOSS,
    "tanh input (hpreact)": HPREACT,
    "tanh output (h)": H,
    "Saturation": SATURATION,
    "Layers: activations": "Healthy: the same spread in every layer, about 5 % saturated.",
    "Layers: gradients": "Healthy: the same spread in every layer.",
    "Layers: weight gradients": "Healthy: similar spreads, grad:data well below 1.",
    "Layers: update:data": "Healthy: the lines settle near the dashed −3 (1e-3).",
    "Layers: saturation over time": "Healthy: dark (a few %) after the first steps.",
    "Gradient into h": "Healthy: centred on 0, about as wide step after step.",
    "Update ratio": "Healthy: the lines settle near the dashed 1e-3 (−3).",
    "hpreact distribution": "Healthy: the bands stay inside the dashed |tanh| = 0.99 lines.",
    "Look back: tanh input": HPREACT,
    "Look back: tanh output": H,
    "Look back: saturation": SATURATION,
    "Runs: overlaid loss curves": "Healthy: a better init starts lower and ends lower.",
    "Sweep: curves": "Healthy: the curves fall and flatten; one that rises has too high a rate.",
    "Sweep: importance": "Reading: long bars are worth tuning; near 0 can stay at the default.",
    "Sweep: parallel coordinates": "Reading: the bright (low-loss) lines bundle where good values lie.",
}
PREFIXES = {"Gradient of ": "Healthy: centred on 0; grad:data about 1e-3 to 1e-2."}


def line_for(name: str) -> str | None:
    """The healthy-picture line of the plot called `name`, or None if there is none."""
    if name in LINES:
        return LINES[name]
    return next((line for prefix, line in PREFIXES.items() if name.startswith(prefix)), None)


def add_healthy_lines(plots: dict[str, pg.PlotItem]) -> dict[str, pg.LabelItem]:
    """Put each plot's line under its x axis; the labels added, by plot name."""
    added = {}
    for name, item in plots.items():
        text = line_for(name)
        if text is None:
            continue
        label = pg.LabelItem(text, size="8pt", color=COLOUR, justify="left")
        label.setToolTip(text)
        item.layout.addItem(label, item.layout.rowCount(), 1)
        added[name] = label
    return added


def label_guides(update_ratio, layers_view, distributions) -> list:
    """Words on the dashed guides that had none: the update:data 1e-3 lines and |tanh| = 0.99."""
    labels = [pg.InfLineLabel(layers_view.guide, "1e-3: the lecture's rule of thumb", position=0.02,
                              color=(60, 60, 60), anchors=[(0, 1), (0, 1)])]
    for plot, y, text in ((update_ratio.plot_item, GUIDE_LOG10, "1e-3: the lecture's rule of thumb"),
                          (distributions.plot_item, TANH_SATURATES_AT, "|tanh| = 0.99: saturated beyond"),
                          (distributions.plot_item, -TANH_SATURATES_AT, "|tanh| = 0.99")):
        label = pg.TextItem(text, color=(60, 60, 60), anchor=(0, 1))
        label.setPos(0, y)
        plot.addItem(label, ignoreBounds=True)
        label.setZValue(50)
        labels.append(label)
    return labels
