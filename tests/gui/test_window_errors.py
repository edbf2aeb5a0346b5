"""Errors are shown in words and never lose the run; divergence pauses training."""
from window_helpers import inspect, wait_paused, wait_status


def test_a_bad_word_list_keeps_the_current_run(qtbot, window, tmp_path):
    run = window.run.info
    bad = tmp_path / "blank.txt"
    bad.write_text("\n\n")
    window.control.use_dataset(str(bad))
    def check():
        assert window.message_bar.text != ""
    qtbot.waitUntil(check)
    assert "no words" in window.message_bar.text
    assert window.run.info is run and inspect(qtbot, window).cfg.data == run.cfg.data
    assert window.setup.model.data == run.cfg.data       # the panel shows the dataset in use again
    window.step_action.trigger()                          # and the run goes on
    wait_status(qtbot, window, lambda s: s.step == 1)


def test_a_live_change_the_trainer_refuses_is_reported_and_undone(qtbot, window):
    window.setup.training.batch_size.setValue(1_000_000)
    window.setup.training.flush()
    def check():
        assert "larger than the training split" in window.message_bar.text
    qtbot.waitUntil(check)
    def check():
        assert window.setup.training.batch_size.value() == 32
    qtbot.waitUntil(check)
    assert inspect(qtbot, window).cfg.batch_size == 32


def test_divergence_pauses_and_says_why(qtbot, make_window):
    window = make_window(lr=1000.0, batch_size=2)   # with this seed the loss is NaN at step 68
    window.start_action.trigger()
    def check():
        assert "became NaN" in window.message_bar.text
    qtbot.waitUntil(check)
    wait_paused(qtbot, window)
    assert window.start_action.text() == "Start"
    assert "diverged" in window.statusBar().currentMessage()
    assert inspect(qtbot, window).divergence is not None


def test_starting_past_max_steps_says_so(qtbot, make_window):
    window = make_window(max_steps=5)
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.done and not s.running)
    window.start_action.trigger()
    def check():
        assert "max steps" in window.message_bar.text
    qtbot.waitUntil(check)
    wait_paused(qtbot, window)
    assert window.run.status.step == 5
