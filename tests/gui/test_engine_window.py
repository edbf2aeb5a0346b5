"""The window on either engine: the status bar names it, says when the fast engine is being
prepared, and training in chunks keeps every step, pause and live change where it belongs."""

import numpy as np
import pytest
from window_helpers import WAIT_MS, hold_kernel_preparation, wait_paused, wait_status


@pytest.mark.parametrize("engine", ["fast", "exact"])
def test_the_status_bar_names_the_engine_that_runs(qtbot, make_window, engine):
    window = make_window(engine=engine, max_steps=500)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.done and not s.running)
    assert window.run.status.engine == engine
    assert window.status_bar.engine.text() == f"{engine} engine"
    def check():
        assert window.live.loss_plot.curve.n == 500   # one loss per step
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_preparing_the_fast_engine_shows_in_the_status_bar(qtbot, make_window, monkeypatch):
    """While the kernel is compiled (held here until the test has seen the words) the status
    bar says so; then training goes on."""
    window = make_window(max_steps=200)
    release, prepared = hold_kernel_preparation(monkeypatch)
    window.start_action.trigger()
    def check():
        assert window.status_bar.rate.text().startswith("Preparing the fast engine")
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert window.run.status.step == 0
    release.set()
    wait_status(qtbot, window, lambda s: s.done and not s.running)
    assert window.status_bar.rate.text() == "done" and prepared


def test_chunks_stop_at_max_steps_and_a_pause_holds(qtbot, make_window):
    """Flat out in chunks: paused part-way, the step the window shows is the trainer's and stays;
    resumed, it ends exactly at max steps with one loss per step."""
    window = make_window(max_steps=30_000)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.running and s.step >= 500)
    window.start_action.trigger()
    wait_paused(qtbot, window)
    paused_at = window.run.status.step
    assert 500 <= paused_at < 30_000
    window.step_action.trigger()                       # one single step from the pause
    wait_status(qtbot, window, lambda s: s.step == paused_at + 1)
    window.start_action.trigger()
    # 29,000 flat-out steps: seconds on a quiet machine, minutes on a crowded one; the end, at any speed
    wait_status(qtbot, window, lambda s: s.done and not s.running, timeout=300_000)
    assert window.run.status.step == 30_000
    def check():
        assert window.run.snapshot is not None and window.run.snapshot.step == 29_999
    qtbot.waitUntil(check, timeout=WAIT_MS)
    def check():
        assert window.live.loss_plot.curve.n == 30_000
    qtbot.waitUntil(check, timeout=WAIT_MS)
    assert np.isfinite(window.run.status.loss)


def test_the_status_bar_says_why_wide_layers_run_on_the_exact_engine(qtbot, make_window):
    window = make_window(n_layers=3, n_hidden=2000, n_embed=2, batch_size=128)
    wait_status(qtbot, window, lambda s: s.engine == "exact")
    assert "wide" in window.status_bar.engine.text()
