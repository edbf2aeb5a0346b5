"""Training in the window: plots fill, pause, step, live changes, Reset and presets."""
import numpy as np
from window_helpers import inspect, wait_paused, wait_status, wait_ticks


def test_training_fills_the_plots(qtbot, window):
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.step > 50)
    def check():
        assert window.run.snapshot is not None and window.live.loss_plot.curve.n > 50
    qtbot.waitUntil(check)
    x, y = window.live.loss_plot.curve.step_xy()
    assert len(x) > 50 and np.all(np.isfinite(y))
    assert window.live.loss_plot.per_step.path().elementCount() == len(x)
    batch, hidden = window.run.info.cfg.batch_size, window.run.info.cfg.n_hidden
    for plot in (window.live.hpreact_plot, window.live.h_plot):
        assert len(plot.edges) == len(plot.counts) + 1 and plot.counts.sum() == batch * hidden
        assert plot.bars.path().elementCount() == 2 * len(plot.edges)
    assert window.live.saturation_plot.shape == (batch, hidden)
    assert window.live.saturation_plot.image.pixmap().size().toTuple() == (hidden, batch)
    assert "saturated" in window.live.h_plot.note.toPlainText()
    assert "neurons saturated for the whole batch" in window.live.saturation_plot.note.toPlainText()
    assert window.live.frames_drawn > 0


def test_pause_stops_the_step_count(qtbot, window):
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.step > 20)
    window.start_action.trigger()
    wait_paused(qtbot, window)
    paused_at = window.run.status.step
    wait_ticks(qtbot, window, 5)
    assert window.run.status.step == paused_at == inspect(qtbot, window).step
    assert window.start_action.text() == "Start"


def test_step_takes_exactly_one_step(qtbot, window):
    assert window.run.status.step == 0
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step >= 1)
    wait_ticks(qtbot, window, 3)
    assert window.run.status.step == 1 and inspect(qtbot, window).step == 1
    window.step_action.trigger()
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step >= 3)
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step >= 103)
    wait_ticks(qtbot, window, 3)
    assert window.run.status.step == 103 and not window.run.status.running


def test_learning_rate_change_is_used_by_the_next_step(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    window.setup.training.lr.setValue(0.05)
    window.step_action.trigger()          # Step sends an edit that is still settling first
    wait_status(qtbot, window, lambda s: s.step == 101)
    def check():
        assert window.run.snapshot.step == 100
    qtbot.waitUntil(check)
    assert window.run.snapshot.lr == 0.05     # step 100, the first after the change, used it
    assert inspect(qtbot, window).events[-1] == (100, "lr 0.1→0.05")
    def check():
        assert len(window.live.loss_plot.markers) == 1
    qtbot.waitUntil(check)

    window.start_action.trigger()         # and while running
    wait_status(qtbot, window, lambda s: s.step > 200)
    window.setup.training.lr.setValue(0.02)
    def check():
        assert window.run.snapshot.lr == 0.02
    qtbot.waitUntil(check, timeout=5000)
    window.start_action.trigger()
    wait_paused(qtbot, window)
    step, text = inspect(qtbot, window).events[-1]
    assert text == "lr 0.05→0.02" and step > 200
    assert window.run.snapshot.step >= step
    def check():
        assert len(window.live.loss_plot.markers) == 2
    qtbot.waitUntil(check)


def test_toggling_batchnorm_then_reset_rebuilds_without_it(qtbot, window):
    assert window.run.info.cfg.batchnorm
    window.setup.init.boxes["batchnorm"].setChecked(False)
    assert window.setup.pending.isVisibleTo(window) and "batchnorm on → off" in window.setup.pending.text()
    assert inspect(qtbot, window).cfg.batchnorm  # nothing changes before Reset
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.reset_action.trigger()
    assert not window.run.info.cfg.batchnorm
    trainer = inspect(qtbot, window)
    assert not trainer.cfg.batchnorm and "bngain" not in trainer.param_names
    assert not window.setup.pending.isVisibleTo(window)
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)


def test_a_preset_jumps_to_its_stage_of_the_loss_log(qtbot, window):
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.control.apply_preset("fix softmax")
    cfg = window.run.info.cfg
    assert (cfg.fix_w2, cfg.fix_b2, cfg.fix_w1, cfg.fix_b1, cfg.batchnorm) == (True, True, False, False, False)
    assert (cfg.max_steps, cfg.lr_decay_step) == (200_000, 100_000)
    assert not window.setup.init.boxes["fix_w1"].isChecked()
    assert window.setup.training.max_steps.value() == 200_000
