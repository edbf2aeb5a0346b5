"""Lifecycle: closing mid-run or mid-load, Reset/Start/Sample/Evaluate hammered in quick
succession. No crash, no thread left running, nothing of an old run drawn on a new one."""
import random
import time

import numpy as np
from fault_helpers import big_word_list, wait_answered
from window_helpers import WAIT_MS, inspect, wait_status


def assert_consistent(qtbot, window) -> None:
    """What the window shows is what the worker has (call once everything is answered)."""
    t = inspect(qtbot, window)
    assert window.session.thread.isRunning()
    assert window.run.info.run_id == t.run_id == window.run.status.run_id
    assert window.run.status.step == t.step and window.run.status.cfg == t.cfg
    assert window.run.running == t.running == window.run.status.running
    assert window.start_action.text() == ("Pause" if t.running else "Start")
    if not t.running:
        assert window.live.loss_plot.curve.n == t.step
        assert window.run.snapshot is None or window.run.snapshot.step == t.step - 1
    assert window.setup.applied == window.run.info.cfg


def test_closing_mid_run_stops_the_thread_at_once(qtbot, window):
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.running and s.step > 100)
    t0 = time.perf_counter()
    window.close()
    assert window.session.is_stopped and not window.isVisible()
    assert time.perf_counter() - t0 < 2.0


def test_closing_mid_load_abandons_the_load(qtbot, window, tmp_path):
    path = big_word_list(tmp_path / "big.txt")
    # the yardstick, on this machine as busy as it is now: the whole load, start to run_started
    t0 = time.perf_counter()
    with qtbot.waitSignal(window.run.run_started, timeout=60_000):
        window.control.use_dataset(str(path))
    whole = time.perf_counter() - t0
    again = tmp_path / "again.txt"          # another file: read afresh, not the dataset in memory
    again.write_bytes(path.read_bytes())
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    run = window.run.info
    window.control.use_dataset(str(again))
    def check():
        assert any(m.startswith("Loading again.txt:") for m in messages)
    qtbot.waitUntil(check, timeout=WAIT_MS)
    t0 = time.perf_counter()
    window.close()          # the worker is inside the load: it stops at the next piece
    closing = time.perf_counter() - t0
    assert window.session.is_stopped and not window.isVisible()
    assert closing < whole / 2, (closing, whole)     # not the rest of the load
    assert window.run.info is run


def test_reset_start_and_sample_hammered(qtbot, window):
    rng = random.Random(5)
    actions = [window.reset_action, window.start_action, window.sample_action, window.evaluate_action,
               window.step_action]
    chosen = [rng.choice(actions) for _ in range(60)]
    for action in chosen:                # no waiting in between: they queue up
        action.trigger()
    wait_answered(qtbot, window, timeout=30_000)
    if window.run.running:
        window.start_action.trigger()    # pause, to compare the plot with the trainer
        wait_answered(qtbot, window)
    window.timer.timeout.emit()
    assert_consistent(qtbot, window)
    assert window.message_bar.text == ""
    # the names shown are the current model's, or none if a Reset came after the last Sample
    last = {a: i for i, a in enumerate(chosen)}
    if last.get(window.sample_action, -1) > last.get(window.reset_action, -1):
        assert window.samples.names.count() == window.samples.count.value()
        assert window.samples.run_id == window.run.info.run_id
    else:
        assert window.samples.names.count() == 0


def test_close_with_commands_still_queued(qtbot, window):
    for _ in range(20):
        window.reset_action.trigger()
        window.start_action.trigger()
        window.sample_action.trigger()
    window.close()
    assert window.session.is_stopped


def test_evaluate_right_after_reset_shows_the_new_runs_losses(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.evaluate_action.trigger()
    def check():
        assert window.evaluation.when.text() == "after 100 steps"
    qtbot.waitUntil(check, timeout=WAIT_MS)
    window.reset_action.trigger()
    window.evaluate_action.trigger()      # before the new run has even been drawn
    wait_answered(qtbot, window)
    assert window.run.status.step == 0 and window.evaluation.when.text() == "after 0 steps"
    assert window.evaluation.run_id == window.run.info.run_id
    assert all(np.isfinite(float(label.text())) for label in window.evaluation.labels.values())


def test_evaluate_then_reset_clears_the_old_runs_losses(qtbot, window):
    window.step100_action.trigger()
    window.evaluate_action.trigger()
    window.reset_action.trigger()
    wait_answered(qtbot, window)
    assert window.run.status.step == 0 and window.evaluation.when.text() == ""
    assert {label.text() for label in window.evaluation.labels.values()} == {"–"}
