"""The deep network in the window: the Layers tab fed from the run's snapshots, the layer
selector of the Live tab and the uniform-guess guide on the loss plot. Driven by single steps,
so nothing depends on the machine's speed."""
import math
import os

import numpy as np
import pytest
from window_helpers import WAIT_MS, inspect, single_steps

from core.config import Config
from core.diagnostics.stats import uniform_guess_loss
from core.presets import CATALOGUE
from gui.workbench.layers_view import activation_line, gradient_line, weight_line

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def lecture_window(make_window, name="lecture-deep"):
    return make_window(**CATALOGUE[name].settings)


def test_the_layers_tab_draws_one_curve_per_layer_with_the_snapshots_numbers(qtbot, make_window):
    window = lecture_window(make_window)
    view = window.workbench.layers.view
    window.tabs.setCurrentWidget(view)
    single_steps(qtbot, window, 3)
    def check():
        assert view.snapshot is not None and view.snapshot.step == 2
    qtbot.waitUntil(check, timeout=WAIT_MS)
    snap = window.run.snapshot
    assert snap.step == 2 and len(snap.layers) == 5 and len(snap.weights) == 7
    assert len(view.activations.curves) == len(view.gradients.curves) == 5 and len(view.weights.curves) == 7
    for curve, s in zip(view.activations.curves, snap.layers, strict=True):
        x, y = curve.getData()
        assert np.array_equal(x, s.edges[:-1]) and np.array_equal(y, s.hist)
    assert view.activations.legend_lines == [activation_line(s) for s in snap.layers]
    assert view.gradients.legend_lines == [gradient_line(s) for s in snap.layers]
    assert view.weights.legend_lines == [weight_line(w) for w in snap.weights]
    assert list(view.updates.curves[0].getData()[0]) == [0, 1, 2]    # every step it was shown
    assert view.saturation.values.shape == (5, 3)
    # a new, shallower model: the tab starts again with its one layer
    window.control.reset(Config(data=window.run.info.cfg.data, n_hidden=20))
    def check():
        assert window.run.info.cfg.n_layers == 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert view.activations.curves == []
    single_steps(qtbot, window, 1)
    def check():
        assert len(view.activations.curves) == 1
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_the_layer_selector_switches_the_live_plots(qtbot, make_window):
    window = lecture_window(make_window, "no-bn-gain-3")
    live = window.live
    assert live.layer_bar.isVisibleTo(window) and live.layer_box.count() == 5
    single_steps(qtbot, window, 2)
    first = window.run.snapshot
    assert first.layer == 0 and np.array_equal(window.live.hpreact_plot.counts, first.hpreact_hist)
    live.layer_box.setCurrentIndex(3)     # as a user picks "4 of 5"
    def check():
        assert window.run.snapshot.layer == 3
    qtbot.waitUntil(check, timeout=WAIT_MS)
    s, expected = window.run.snapshot, inspect(qtbot, window, layer=3).snapshot
    assert s.step == first.step == expected.step     # paused: the same step, measured again
    assert np.array_equal(window.live.hpreact_plot.counts, expected.hpreact_hist)
    assert np.array_equal(window.live.h_plot.counts, expected.h_hist)
    assert window.live.saturation_plot.shape == expected.saturation_mask.shape
    assert not np.array_equal(expected.h_hist, first.h_hist)
    assert window.live.hpreact_plot.plot_item.titleLabel.text.startswith("layer 4 of 5")
    single_steps(qtbot, window, 1)                   # and it keeps following that layer
    assert window.run.snapshot.layer == 3
    assert np.array_equal(window.live.h_plot.counts, inspect(qtbot, window, layer=3).snapshot.h_hist)
    # a one-layer net has nothing to choose: the selector hides and layer 1 is shown
    window.control.reset(Config(data=window.run.info.cfg.data))
    def check():
        assert window.run.info.cfg.n_layers == 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert not live.layer_bar.isVisibleTo(window)
    single_steps(qtbot, window, 1)
    assert window.run.snapshot.layer == 0
    assert window.live.hpreact_plot.plot_item.titleLabel.text == "tanh input (hpreact)"


def test_the_loss_plot_marks_the_loss_of_a_uniform_guess(qtbot, window):
    vocab = len(window.run.info.vocab)
    guide = window.live.loss_plot.guide
    assert guide.isVisible() and guide.value() == pytest.approx(math.log10(-math.log(1 / vocab)))
    assert guide.label.toPlainText() == f"uniform guess −ln(1/{vocab}) = {-math.log(1 / vocab):.2f}"
    assert f"{uniform_guess_loss(27):.2f}" == "3.30"          # names.txt: 26 letters and '.'
    single_steps(qtbot, window, 1)
    assert guide.value() == pytest.approx(math.log10(-math.log(1 / vocab)))   # it stays with the run


def test_without_tanh_the_live_plots_do_not_say_tanh(qtbot, make_window):
    window = lecture_window(make_window, "linear-gain-1")
    single_steps(qtbot, window, 1)
    titles = [p.plot_item.titleLabel.text for p in (window.live.hpreact_plot, window.live.h_plot)]
    assert titles == ["layer 1 of 5: linear layer input", "layer 1 of 5: linear output (±1 shown)"]


def test_the_layers_tab_keeps_the_history_while_hidden_and_draws_it_when_shown(qtbot, make_window):
    window = lecture_window(make_window, "no-bn-gain-1")
    view = window.workbench.layers.view
    single_steps(qtbot, window, 3)               # the Live tab in front
    assert view.updates.curves == []             # nothing drawn unseen
    window.tabs.setCurrentWidget(view)
    assert list(view.updates.curves[0].getData()[0]) == [0, 1, 2]
    assert view.activations.legend_lines == [activation_line(s) for s in window.run.snapshot.layers]
    stds = [s.std for s in window.run.snapshot.layers]
    assert stds == sorted(stds, reverse=True)    # gain 1 without BatchNorm: each layer narrower


def test_random_deep_actions_leave_the_live_and_layers_tabs_agreeing_with_the_worker(qtbot, make_window):
    import random

    from window_helpers import wait_idle

    from core.presets import LECTURE_EXPERIMENTS

    window = lecture_window(make_window)
    rng = random.Random(int(os.environ.get("FUZZ_SEED", 12)))
    view, live, chosen = window.workbench.layers.view, window.live, [0]

    def choose():
        if live.layer_box.count() > 1:
            chosen[0] = rng.randrange(live.layer_box.count())
            live.choose_layer(chosen[0])

    actions = [window.step_action.trigger, window.step100_action.trigger, window.start_action.trigger, choose,
               choose, lambda: window.setup.init.experiment_buttons[rng.choice(LECTURE_EXPERIMENTS)].click(),
               lambda: window.tabs.setCurrentIndex(rng.choice([0, 1])), window.reset_action.trigger,
               lambda: window.control.reset(Config(data=window.run.info.cfg.data, n_hidden=20,
                                                   n_layers=rng.randint(1, 3)))]
    for i in range(120):
        rng.choice(actions)()
        if i % 20 == 19:
            if window.run.running:
                window.start_action.trigger()
            wait_idle(qtbot, window)
            before = window.run.status.step
            window.step_action.trigger()
            def check(b=before):
                assert (window.run.status.diverged_at is not None or (
                    window.run.snapshot is not None and window.run.snapshot.step == b))
            qtbot.waitUntil(check, timeout=WAIT_MS)
            if window.run.status.diverged_at is not None:    # linear, gain 5/3 soon does: start it again
                window.reset_action.trigger()
                def check():
                    assert window.run.status.step == 0 and window.run.status.diverged_at is None
                qtbot.waitUntil(check, timeout=WAIT_MS)
                single_steps(qtbot, window, 1)
            wait_idle(qtbot, window)
            s = window.run.snapshot
            t = inspect(qtbot, window, layer=s.layer)
            assert s.step == t.step - 1 and window.run.info.cfg == t.cfg
            assert s.layer == min(chosen[0], t.cfg.n_layers - 1)
            assert np.array_equal(window.live.h_plot.counts, t.snapshot.h_hist)
            assert live.layer_box.currentIndex() == s.layer
            assert live.layer_bar.isHidden() == (t.cfg.n_layers == 1)    # (the Live tab may be behind)
            assert len(view.snapshot.layers) == t.cfg.n_layers and view.snapshot.step == s.step
            if window.tabs.currentWidget() is view:
                assert view.activations.legend_lines == [activation_line(x) for x in s.layers]
    assert "Unexpected error" not in window.message_bar.text
