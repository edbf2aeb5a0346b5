"""The loss plot stays small however long the run: a million steps draw as a few thousand points."""
import numpy as np

from gui.plots import LossPlot


def test_a_million_steps_draw_as_a_bounded_curve(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    rng = np.random.default_rng(0)
    for _ in range(100):
        plot.append(rng.uniform(1.8, 3.3, 10_000).astype(np.float32))
        plot.redraw()
    x, y = plot.curve.step_xy()
    assert plot.curve.n == 1_000_000
    assert len(x) <= 4096 + 1024 and x[-1] > 990_000
    assert plot.per_step.path().elementCount() == len(x)
    assert plot.chunk_mean.path().elementCount() == 1000
    assert np.log10(1.8) - 1e-6 <= y.min() and y.max() <= np.log10(3.3) + 1e-6


def test_markers_are_dropped_with_the_run(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_event(10, "lr 0.1→0.05")
    assert len(plot.markers) == 1
    plot.clear_run()
    assert plot.markers == [] and plot.curve.n == 0
