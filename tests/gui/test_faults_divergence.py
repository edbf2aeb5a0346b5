"""A loss that turns NaN: training pauses at that step, the status says why and which step,
the weights (and the loss plot) go back to the last finite step, and the user can go on."""
import numpy as np
from fault_helpers import wait_answered
from window_helpers import WAIT_MS, inspect, wait_paused, wait_status

from core.data import Dataset
from core.runs.loss_curve import LOSS_FLOOR, LossCurve
from core.training.trainer import Trainer

# With BatchNorm, a batch of 2 whose examples share a context has a std of 0 and a NaN loss:
# with this seed and the small word list that happens at step 68, whatever the learning rate.
DIVERGES = {"lr": 100.0, "batch_size": 2}
NAN_STEP = 68


def diverge(qtbot, window):
    window.start_action.trigger()
    def check():
        assert "became NaN" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_paused(qtbot, window)
    wait_answered(qtbot, window)


def test_divergence_pauses_says_which_step_and_rolls_back(qtbot, make_window, words_path):
    window = make_window(**DIVERGES)
    window.control.step(NAN_STEP)      # every finite step taken and drawn, the last one included
    wait_status(qtbot, window, lambda s: s.step == NAN_STEP)
    def check():
        assert window.live.loss_plot.curve.n == NAN_STEP
    qtbot.waitUntil(check, timeout=WAIT_MS)
    window.start_action.trigger()
    def check():
        assert "became NaN" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_paused(qtbot, window)
    wait_answered(qtbot, window)
    trainer = inspect(qtbot, window)
    assert trainer.diverged_at == NAN_STEP and trainer.step == NAN_STEP - 1
    assert f"at step {NAN_STEP}" in window.message_bar.text
    assert f"back as they were at step {NAN_STEP - 1}" in window.message_bar.text
    assert "larger batch" in window.message_bar.text      # the likely cause, for this setting
    status = window.statusBar().currentMessage()
    assert f"diverged at step {NAN_STEP}" in status and f"back at step {NAN_STEP - 1}" in status
    assert window.start_action.text() == "Start" and not window.run.status.running
    assert window.run.status.step == NAN_STEP - 1 and window.run.status.diverged_at == NAN_STEP

    # the weights are exactly those of a run stopped after the last finite step
    fresh = Trainer(trainer.cfg, Dataset.load(str(words_path), trainer.cfg.block_size))
    fresh.train(NAN_STEP - 1)
    state = fresh.model.state()        # every parameter and running buffer
    assert trainer.tensors.keys() == state.keys()
    for name, then in state.items():
        assert np.array_equal(trainer.tensors[name], then.numpy()), name
    assert np.array_equal(trainer.losses, fresh.losses)

    # and the loss plot shows those steps, not the one taken back
    assert window.live.loss_plot.curve.n == NAN_STEP - 1
    expected = LossCurve()
    expected.extend(fresh.losses)
    for got, want in zip(window.live.loss_plot.curve.step_xy(), expected.step_xy(), strict=True):
        assert np.array_equal(got, want)
    assert window.live.loss_plot.per_step.path().elementCount() == NAN_STEP - 1
    # the histograms too: the last step kept, not the one taken back nor an older one
    assert window.run.snapshot.step == NAN_STEP - 2 and window.run.status.loss == trainer.losses[-1]
    assert [m.value() for m in window.live.loss_plot.markers] == [NAN_STEP - 1]


def test_lowering_the_rate_lets_the_user_go_on(qtbot, make_window):
    window = make_window(**DIVERGES)
    diverge(qtbot, window)
    training = window.setup.training
    training.lr.setValue(0.1)
    training.batch_size.setValue(32)       # the advice: a larger batch, a lower rate
    window.start_action.trigger()
    wait_status(qtbot, window, lambda s: s.running and s.step > 500)
    window.start_action.trigger()
    wait_paused(qtbot, window)
    wait_answered(qtbot, window)
    trainer = inspect(qtbot, window)
    assert trainer.divergence is None and window.run.status.diverged_at is None
    assert np.isfinite(trainer.losses).all()
    assert window.live.loss_plot.curve.n == trainer.step            # the plot is the trainer's history ...
    assert window.live.loss_plot.curve.step_xy()[1][NAN_STEP - 1] == np.float32(np.log10(trainer.losses[NAN_STEP - 1]))
    step, change = trainer.events[-1]
    assert step == NAN_STEP - 1 and "lr 100→0.1" in change and "batch_size 2→32" in change


def test_a_step_that_diverges_says_so_too(qtbot, make_window):
    window = make_window(**DIVERGES)
    window.step100_action.trigger()       # Step ×100 stops at the NaN as Start does
    def check():
        assert f"at step {NAN_STEP}" in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert window.run.status.step == NAN_STEP - 1 and window.live.loss_plot.curve.n == NAN_STEP - 1
    assert not window.run.status.running and window.start_action.text() == "Start"


def test_diverging_at_the_second_step_leaves_empty_plots(qtbot, make_window):
    window = make_window(batch_size=2, seed=130)      # with this seed, step 1's batch has std 0
    window.step_action.trigger()
    def check():
        assert window.run.snapshot is not None and window.live.loss_plot.curve.n == 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    window.step_action.trigger()
    def check():
        assert "at step 1 " in window.message_bar.text
    qtbot.waitUntil(check, timeout=WAIT_MS)
    wait_answered(qtbot, window)
    assert window.run.status.step == 0 and inspect(qtbot, window).step == 0
    assert "back as they were at step 0" in window.message_bar.text
    # the one step drawn was taken back: nothing of it is left on the plots
    assert window.live.loss_plot.curve.n == 0 and window.run.snapshot is None
    assert window.live.hpreact_plot.counts is None and window.live.saturation_plot.shape is None
    window.setup.training.batch_size.setValue(32)
    window.step_action.trigger()
    def check():
        assert (window.run.snapshot is not None and window.run.snapshot.step == 0
                        and window.live.loss_plot.curve.n == 1)
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_the_runs_table_forgets_the_step_taken_back(qtbot, make_window):
    window = make_window(**DIVERGES)
    window.control.step(NAN_STEP)
    wait_status(qtbot, window, lambda s: s.step == NAN_STEP)
    history = window.workbench.runs.current
    def check():
        assert history.record.steps == NAN_STEP
    qtbot.waitUntil(check, timeout=WAIT_MS)
    diverge(qtbot, window)
    def check():
        assert history.record.steps == NAN_STEP - 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    trainer = inspect(qtbot, window)
    assert history.smooth.n == NAN_STEP - 1
    x, y = history.record.curve.xy()
    # the taken-back loss is gone (a loss of exactly 0, step 57 here, is kept at the one log floor)
    assert np.allclose(y, np.log10(np.maximum(trainer.losses, LOSS_FLOOR)), atol=1e-6)
