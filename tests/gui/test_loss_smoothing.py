"""The loss plot's smoothing slider: TensorBoard's debiased EMA, beside the 1,000-step mean."""
import numpy as np
from window_helpers import inspect, wait_status

from core.runs.history import ema


def test_smoothing_draws_the_debiased_ema_of_the_loss(qtbot, make_window):
    window = make_window(max_steps=300)
    bar = window.workbench.smoothing
    assert bar.slider.weight == 0 and bar.drawn is None and bar.curve.path().isEmpty()
    assert not bar.legend.isVisibleTo(window)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.done)
    def check():
        assert window.workbench.runs.current.record.steps == 300
    qtbot.waitUntil(check)

    bar.slider.set_weight(0.99)
    assert bar.slider.weight == 0.99 and bar.slider.value.text() == "0.99"
    x, y = bar.drawn
    losses = inspect(qtbot, window).losses
    np.testing.assert_array_equal(x, np.arange(300))
    np.testing.assert_allclose(y, ema(np.log10(losses.astype(np.float64)), 0.99), atol=1e-6)
    assert not bar.curve.path().isEmpty() and bar.legend.isVisibleTo(window)
    assert bar.curve.parentItem() is window.live.loss_plot.chunk_mean.parentItem()   # on the loss plot itself

    bar.slider.slider.setValue(0)
    assert bar.drawn is None and bar.curve.path().isEmpty()


def test_the_slider_position_is_remembered(qtbot, make_window):
    window = make_window()
    window.workbench.smoothing.slider.set_weight(0.999)
    window.close()
    again = make_window(saved=True)
    assert again.workbench.smoothing.slider.weight == 0.999
