"""Looking back in time: the step slider shows an earlier snapshot; another run's histogram
can be overlaid on the current one."""
import numpy as np
from window_helpers import single_steps, wait_status


def test_the_step_slider_shows_an_earlier_snapshot(qtbot, window):
    wb = window.workbench
    tab = wb.diagnostics.lookback
    window.tabs.setCurrentWidget(tab)
    single_steps(qtbot, window, 3)
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 103)
    def check():
        assert window.run.snapshot.step == 102
    qtbot.waitUntil(check)
    timeline = wb.runs.current.timeline
    assert timeline.steps[:3] == [0, 1, 2] and len(timeline) >= 4
    def check():
        assert tab.slider.maximum() == len(timeline)
    qtbot.waitUntil(check)
    assert tab.slider.value() == tab.slider.maximum() and tab.live   # the right end follows training
    np.testing.assert_array_equal(tab.hpreact.counts, window.run.snapshot.hpreact_hist)

    tab.slider.setValue(0)                                  # drag to the start
    first = timeline.snapshots[0]
    assert not tab.live and tab.shown_snapshot() is first and first.step == 0
    np.testing.assert_array_equal(tab.hpreact.counts, first.hpreact_hist)
    np.testing.assert_array_equal(tab.h.counts, first.h_hist)
    assert tab.saturation.shape == first.saturation_mask.shape
    assert "step 0" in tab.step_label.text()
    assert not np.array_equal(first.h_hist, window.run.snapshot.h_hist)    # it really is another picture

    window.step100_action.trigger()                         # training on does not move a pinned view
    wait_status(qtbot, window, lambda s: s.step == 203)
    def check():
        assert wb.runs.current.latest.step == 202
    qtbot.waitUntil(check)
    wb.diagnostics.redraw(force=True)
    assert tab.shown_snapshot() is first and tab.slider.value() == 0
    tab.live_button.click()
    assert tab.live and tab.shown_snapshot() is wb.runs.current.latest


def test_another_runs_histogram_is_overlaid(qtbot, window):
    wb = window.workbench
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert wb.runs.current.latest is not None and wb.runs.current.latest.step == 99
    qtbot.waitUntil(check)
    first = wb.runs.current
    window.setup.init.boxes["batchnorm"].setChecked(False)
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert wb.runs.current.latest is not None and wb.runs.current.latest.step == 99
    qtbot.waitUntil(check)
    tab = wb.diagnostics.lookback
    window.tabs.setCurrentWidget(tab)
    assert tab.compare.count() == 2                         # "no other run" and the first run
    tab.compare_with(first.run_id)
    mine, other = wb.runs.current.latest, first.latest
    np.testing.assert_array_equal(tab.hpreact.counts, mine.hpreact_hist)           # the current run
    edges, counts = tab.hpreact.other_data                                          # and the other, dashed
    np.testing.assert_array_equal(counts, other.hpreact_hist)
    np.testing.assert_array_equal(tab.h.other_data[1], other.h_hist)
    assert not tab.hpreact.other.path().isEmpty() and not tab.hpreact.bars.path().isEmpty()
    assert first.record.name in tab.hpreact.note.toPlainText()
    tab.compare_with(None)
    assert tab.hpreact.other_data is None and tab.hpreact.other.path().isEmpty()
