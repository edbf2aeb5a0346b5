"""Looking back in time: the step slider shows an earlier snapshot; another run's histogram
can be overlaid on the current one."""
import numpy as np
from window_helpers import single_steps, wait_status


def test_the_step_slider_shows_an_earlier_snapshot(qtbot, window):
    wb = window.workbench
    tab = wb.lookback
    window.tabs.setCurrentWidget(tab)
    single_steps(qtbot, window, 3)
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 103)
    qtbot.waitUntil(lambda: window.snapshot.step == 102)
    timeline = wb.current.timeline
    assert timeline.steps[:3] == [0, 1, 2] and len(timeline) >= 4
    qtbot.waitUntil(lambda: tab.slider.maximum() == len(timeline))
    assert tab.slider.value() == tab.slider.maximum() and tab.live   # the right end follows training
    np.testing.assert_array_equal(tab.hpreact.counts, window.snapshot.hpreact_hist)

    tab.slider.setValue(0)                                  # drag to the start
    first = timeline.snapshots[0]
    assert not tab.live and tab.shown_snapshot() is first and first.step == 0
    np.testing.assert_array_equal(tab.hpreact.counts, first.hpreact_hist)
    np.testing.assert_array_equal(tab.h.counts, first.h_hist)
    assert tab.saturation.shape == first.saturation_mask.shape
    assert "step 0" in tab.step_label.text()
    assert not np.array_equal(first.h_hist, window.snapshot.h_hist)    # it really is another picture

    window.step100_action.trigger()                         # training on does not move a pinned view
    wait_status(qtbot, window, lambda s: s.step == 203)
    qtbot.waitUntil(lambda: wb.current.latest.step == 202)
    wb.redraw()
    assert tab.shown_snapshot() is first and tab.slider.value() == 0
    tab.live_button.click()
    assert tab.live and tab.shown_snapshot() is wb.current.latest


def test_another_runs_histogram_is_overlaid(qtbot, window):
    wb = window.workbench
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    qtbot.waitUntil(lambda: wb.current.latest is not None and wb.current.latest.step == 99)
    first = wb.current
    window.setup.init.boxes["batchnorm"].setChecked(False)
    with qtbot.waitSignal(window.run_started, timeout=10_000):
        window.reset_action.trigger()
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    qtbot.waitUntil(lambda: wb.current.latest is not None and wb.current.latest.step == 99)
    tab = wb.lookback
    window.tabs.setCurrentWidget(tab)
    assert tab.compare.count() == 2                         # "no other run" and the first run
    tab.compare_with(first.run_id)
    mine, other = wb.current.latest, first.latest
    np.testing.assert_array_equal(tab.hpreact.counts, mine.hpreact_hist)           # the current run
    edges, counts = tab.hpreact.other_data                                          # and the other, dashed
    np.testing.assert_array_equal(counts, other.hpreact_hist)
    np.testing.assert_array_equal(tab.h.other_data[1], other.h_hist)
    assert not tab.hpreact.other.path().isEmpty() and not tab.hpreact.bars.path().isEmpty()
    assert first.record.name in tab.hpreact.note.toPlainText()
    tab.compare_with(None)
    assert tab.hpreact.other_data is None and tab.hpreact.other.path().isEmpty()
