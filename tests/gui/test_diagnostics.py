"""Diagnostics tabs (lecture part 3), live: gradient histograms with grad:data ratios, the
update:data ratio over time with one line per parameter, hpreact's percentile bands."""
import time

import numpy as np
from window_helpers import single_steps, wait_status

from core.diagnostics.stats import PERCENTILES
from gui.bridge.commands import DetailSnapshot
from gui.workbench.diagnostics_controller import HIDDEN_DETAIL_INTERVAL_MS


def train_with_tab(qtbot, window, tab, first: int = 2):
    """With `tab` shown: `first` single steps (each measured while paused), then flat out to
    max_steps. What the tab holds is then the run's first steps and its last, at any speed."""
    window.tabs.setCurrentWidget(tab)
    single_steps(qtbot, window, first)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.done and not s.running)


def last_step(series) -> int | None:
    steps, _ = series.data()
    return int(steps[-1]) if len(steps) else None


def test_gradient_histograms_receive_every_parameter(qtbot, make_window):
    window = make_window(max_steps=300)
    wb = window.workbench
    train_with_tab(qtbot, window, wb.diagnostics.gradients)
    def check():
        assert (wb.runs.current.latest_detail is not None and wb.runs.current.latest_detail.step == 299
                and wb.diagnostics.gradients.step == wb.diagnostics.gradients.noted_step == 299)   # where it stopped
    qtbot.waitUntil(check)
    s = wb.runs.current.latest_detail
    cfg = window.run.info.cfg
    edges, counts = wb.diagnostics.gradients.hgrad.edges, wb.diagnostics.gradients.hgrad.counts
    assert len(edges) == len(counts) + 1 and counts.sum() == cfg.batch_size * cfg.n_hidden
    assert s.param_names == ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
    for i, name in enumerate(s.param_names):
        plot = wb.diagnostics.gradients.params[name]
        assert plot.isVisibleTo(window)
        assert len(plot.edges) == 41 and len(plot.counts) == 40
        np.testing.assert_array_equal(plot.counts, s.detail.grad_hists[i])
        assert f"grad:data {s.grad_data_ratio[i]:.2g}" in plot.note.toPlainText()


def test_without_batchnorm_its_gradient_plots_hide(qtbot, make_window):
    window = make_window(batchnorm=False, max_steps=50)
    wb = window.workbench
    train_with_tab(qtbot, window, wb.diagnostics.gradients)
    def check():
        assert wb.diagnostics.gradients.step == 49
    qtbot.waitUntil(check)
    assert not wb.diagnostics.gradients.params["bngain"].isVisibleTo(window)
    assert wb.diagnostics.gradients.params["W1"].isVisibleTo(window)
    assert wb.runs.current.update_ratios.columns == 5
    window.tabs.setCurrentWidget(wb.diagnostics.update_ratio)
    def check():
        assert len(wb.diagnostics.update_ratio.drawn) == 5
    qtbot.waitUntil(check)
    ratios = wb.diagnostics.update_ratio
    assert "bngain" not in ratios.drawn and ratios.lines["bngain"].path().isEmpty()


def test_update_ratio_plot_has_one_line_per_parameter(qtbot, make_window):
    window = make_window(max_steps=400)
    wb = window.workbench
    train_with_tab(qtbot, window, wb.diagnostics.update_ratio)
    tab = wb.diagnostics.update_ratio
    def check():
        assert last_step(wb.runs.current.update_ratios) == 399 and tab.n == wb.runs.current.update_ratios.n
    qtbot.waitUntil(check)
    steps, values = wb.runs.current.update_ratios.data()
    assert list(steps[:2]) == [0, 1] and steps[-1] == 399      # from the first step to the last
    assert values.shape == (len(steps), 7)
    assert list(tab.drawn) == list(wb.runs.current.param_names) and len(tab.drawn) == 7
    for j, name in enumerate(wb.runs.current.param_names):
        x, y = tab.drawn[name]
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_array_equal(y, values[:, j].astype(np.float64))
        assert not tab.lines[name].path().isEmpty()       # one line per parameter, drawn
    assert tab.guide_y == -3.0 and not tab.guide.path().isEmpty()   # the lecture's 1e-3 guide
    w1 = values[:, wb.runs.current.param_names.index("W1")]
    assert np.all(np.isfinite(w1)) and -6 < np.median(w1) < 0


def test_distribution_bands_follow_hpreact_percentiles(qtbot, make_window):
    window = make_window(max_steps=400)
    wb = window.workbench
    train_with_tab(qtbot, window, wb.diagnostics.distributions)
    tab = wb.diagnostics.distributions
    def check():
        assert last_step(wb.runs.current.percentiles) == 399 and tab.n == wb.runs.current.percentiles.n
    qtbot.waitUntil(check)
    steps, pct = wb.runs.current.percentiles.data()
    assert list(steps[:2]) == [0, 1] and steps[-1] == 399      # the bands reach where training stopped
    assert pct.shape == (len(steps), len(PERCENTILES))
    assert np.all(np.diff(pct, axis=1) >= 0)
    x, y = tab.drawn
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_array_equal(y, pct.astype(np.float64))
    assert all(not b.path().isEmpty() for b in tab.bands) and not tab.median.path().isEmpty()


def test_detail_is_asked_for_only_a_few_times_a_second_while_hidden(qtbot, make_window):
    window = make_window(max_steps=100_000)
    wb = window.workbench
    asked = []
    real = window.session.command

    def counting(command, *args, **kwargs):
        if isinstance(command, DetailSnapshot):
            asked.append(1)
        return real(command, *args, **kwargs)

    window.session.command = counting
    started = time.perf_counter()
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.step > 1500, timeout=30_000)
    window.start_action.trigger()
    elapsed = time.perf_counter() - started
    frames, asked_running = window.live.frames_drawn, len(asked)
    # a few times a second by the clock, never every frame nor every step
    assert asked_running <= 2 + elapsed / (HIDDEN_DETAIL_INTERVAL_MS / 1000) and asked_running < max(2, frames)
    assert window.tabs.currentIndex() == 0
    # the bands fill in even while not shown, up to where training stopped
    def check():
        assert (not window.run.status.running
                        and last_step(wb.runs.current.percentiles) == window.run.status.step - 1)
    qtbot.waitUntil(check)
